"""`shutterbook-booking-gateway keys ...`: issue, list and revoke partner API keys."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid

from shutterbook_gateway.application.api_keys import issue_key, list_keys, revoke_key
from shutterbook_kit.db import Database
from shutterbook_kit.settings import ServiceSettings


async def _run(args: argparse.Namespace, settings: ServiceSettings) -> int:
    db = Database(settings.database_url)
    try:
        if args.action == "issue":
            key = await issue_key(db, args.company, args.label, location_ids=args.location or [])
            print(key)
            print("store it now: only its hash is kept", file=sys.stderr)
        elif args.action == "list":
            for row in await list_keys(db, args.company):
                state = f"revoked {row.revoked_at.isoformat()}" if row.revoked_at else "active"
                locations = ",".join(row.location_ids) or "all locations"
                print(f"{row.key_id}\t{row.company_id}\t{row.label}\t{locations}\t{state}")
        elif not await revoke_key(db, args.key_id):
            print(f"no active key {args.key_id}", file=sys.stderr)
            return 1
        return 0
    finally:
        await db.dispose()


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a UUID: {value!r}") from None


def keys_cli(argv: list[str], settings: ServiceSettings) -> int:
    parser = argparse.ArgumentParser(prog="shutterbook-booking-gateway keys")
    sub = parser.add_subparsers(dest="action", required=True)
    issue = sub.add_parser("issue", help="issue a key for a company (optionally some locations); prints it once")
    issue.add_argument("--company", required=True, type=_uuid)
    issue.add_argument("--label", required=True)
    issue.add_argument("--location", action="append", type=_uuid, help="limit to this location (repeatable)")
    listing = sub.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--company", type=_uuid)
    revoke = sub.add_parser("revoke", help="revoke a key by its id (the part after sbk_)")
    revoke.add_argument("key_id")
    return asyncio.run(_run(parser.parse_args(argv), settings))
