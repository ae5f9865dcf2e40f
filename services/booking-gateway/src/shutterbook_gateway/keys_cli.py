"""`shutterbook-booking-gateway keys ...`: issue, list and revoke partner API keys."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from urllib.parse import urlsplit

from shutterbook_gateway.application.api_keys import issue_key, list_keys, revoke_key
from shutterbook_gateway.application.calendar_feeds import create_feed, create_staff_feed, list_feeds, revoke_feed
from shutterbook_kit.db import Database
from shutterbook_kit.settings import ServiceSettings


async def _run(args: argparse.Namespace, settings: ServiceSettings) -> int:
    db = Database(settings.database_url)
    try:
        if args.action == "issue":
            key = await issue_key(
                db,
                args.company,
                args.label,
                location_ids=args.location or [],
                publishable=args.publishable,
                allowed_origins=args.origin or [],
            )
            print(key)
            print("store it now: only its hash is kept", file=sys.stderr)
        elif args.action == "list":
            for row in await list_keys(db, args.company):
                state = f"revoked {row.revoked_at.isoformat()}" if row.revoked_at else "active"
                locations = ",".join(row.location_ids) or "all locations"
                kind = row.kind + (f" ({','.join(row.allowed_origins)})" if row.allowed_origins else "")
                print(f"{row.key_id}\t{row.company_id}\t{row.label}\t{kind}\t{locations}\t{state}")
        elif args.action == "feed-create":
            if args.staff_member:
                path = await create_staff_feed(db, args.company, args.staff_member, args.label or "")
            else:
                path = await create_feed(db, args.company, args.schedule, args.label or "")
            print(f"{args.base_url.rstrip('/')}{path}")
            print("give it to the calendar's owner now: only its hash is kept", file=sys.stderr)
        elif args.action == "feed-list":
            for feed in await list_feeds(db, args.company):
                state = f"revoked {feed.revoked_at.isoformat()}" if feed.revoked_at else "active"
                of = f"staffMembers/{feed.staff_member_id}" if feed.staff_member_id else f"schedules/{feed.schedule_id}"
                print(f"{feed.id}\t{feed.company_id}\t{of}\t{feed.label}\t{state}")
        elif args.action == "feed-revoke":
            if not await revoke_feed(db, args.feed_id):
                print(f"no active feed {args.feed_id}", file=sys.stderr)
                return 1
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


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
        raise argparse.ArgumentTypeError(f"not an origin (scheme://host[:port]): {value!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


def keys_cli(argv: list[str], settings: ServiceSettings) -> int:
    parser = argparse.ArgumentParser(prog="shutterbook-booking-gateway keys")
    sub = parser.add_subparsers(dest="action", required=True)
    issue = sub.add_parser("issue", help="issue a key for a company (optionally some locations); prints it once")
    issue.add_argument("--company", required=True, type=_uuid)
    issue.add_argument("--label", required=True)
    issue.add_argument("--location", action="append", type=_uuid, help="limit to this location (repeatable)")
    issue.add_argument(
        "--publishable",
        action="store_true",
        help="a publishable key (pbk_) for booking pages: catalog and booking routes only",
    )
    issue.add_argument(
        "--origin",
        action="append",
        type=_origin,
        help="a site a publishable key may be used from, e.g. https://studio.example (repeatable)",
    )
    listing = sub.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--company", type=_uuid)
    revoke = sub.add_parser("revoke", help="revoke a key by its id (the part after sbk_)")
    revoke.add_argument("key_id")
    feed = sub.add_parser(
        "feed-create", help="a secret calendar feed URL of a schedule or a staff member; prints it once"
    )
    feed.add_argument("--company", required=True, type=_uuid)
    of = feed.add_mutually_exclusive_group(required=True)
    of.add_argument("--schedule", type=_uuid, help="the schedule's id (schedules/<id>)")
    of.add_argument(
        "--staff-member", type=_uuid, help="the staff member's id (staffMembers/<id>): every schedule they are on"
    )
    feed.add_argument("--label", help="whose feed, e.g. 'Jane on her phone'")
    feed.add_argument("--base-url", default="http://127.0.0.1:8000", help="the gateway's public address")
    feeds = sub.add_parser("feed-list", help="list calendar feeds (never their secrets)")
    feeds.add_argument("--company", type=_uuid)
    feed_revoke = sub.add_parser("feed-revoke", help="revoke a calendar feed by its id")
    feed_revoke.add_argument("feed_id", type=_uuid)
    return asyncio.run(_run(parser.parse_args(argv), settings))
