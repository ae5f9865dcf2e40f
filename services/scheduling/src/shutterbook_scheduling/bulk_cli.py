"""Staff command line of bulk scheduling: the Bulk Session Wizard end to end over gRPC.

    python -m shutterbook_scheduling.bulk_cli --company COMPANY_ID select --group clientGroups/ID
    python -m shutterbook_scheduling.bulk_cli --company COMPANY_ID run \\
        --organization organizations/ID --year 2026 --only-without-future-session \\
        --unselect clients/ID --location locations/ID --session-type sessionTypes/ID \\
        --photographer schedules/ID --description "School portraits" \\
        --row "start=2026-09-07,end=2026-09-11,from=08:00,to=16:00,duration=10,gap=2,break=12:00-12:30,skip=sat+sun"
    python -m shutterbook_scheduling.bulk_cli --company COMPANY_ID status bulkJobs/ID

`run` selects the clients (through the clients service), leaves out those unselected,
verifies the rows (slots against clients, conflicts) and, unless `--verify-only`, creates
the job and follows its progress until it finishes (`--no-wait` returns at once). The
target is `--target` or SHUTTERBOOK_SCHEDULING_ADDR (default 127.0.0.1:50052). Exit codes:
0 done, 1 an RPC refused (its message and field violations are printed), 2 not enough
slots or items failed, 64 bad command line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Sequence
from datetime import date
from typing import TextIO

import grpc
from google.rpc import error_details_pb2, status_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import bulk_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.caller_token import Signer
from shutterbook_kit.settings import ServiceSettings
from shutterbook_kit.tenancy import CallContext
from shutterbook_scheduling.settings import service_address

USAGE_ERROR = 64
MAX_WAIT_SECONDS = 6 * 3600


class UsageError(Exception):
    pass


def _clock(text: str) -> pb.TimeOfDay:
    hours, _, minutes = text.partition(":")
    try:
        return pb.TimeOfDay(hours=int(hours), minutes=int(minutes or 0))
    except ValueError:
        raise UsageError(f"{text!r} is not a time like 09:30") from None


def _date(text: str) -> date_pb2.Date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date like 2026-09-07") from None
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def parse_row(text: str) -> bpb.TimeSlotRow:
    """A row from `start=DATE,end=DATE,from=HH:MM,to=HH:MM,duration=MIN` and optionally
    `,gap=MIN`, `,break=HH:MM-HH:MM`, `,skip=sat+sun`."""
    row = bpb.TimeSlotRow()
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise UsageError(f"row part {part!r} is not key=value")
        if key == "start":
            row.start_date.CopyFrom(_date(value))
        elif key == "end":
            row.end_date.CopyFrom(_date(value))
        elif key == "from":
            row.start_time.CopyFrom(_clock(value))
        elif key == "to":
            row.end_time.CopyFrom(_clock(value))
        elif key in ("duration", "gap"):
            try:
                minutes = int(value)
            except ValueError:
                raise UsageError(f"{key} must be whole minutes") from None
            if key == "duration":
                row.session_duration_minutes = minutes
            else:
                row.minutes_between_sessions = minutes
        elif key == "break":
            start, _, end = value.partition("-")
            row.break_start.CopyFrom(_clock(start))
            row.break_end.CopyFrom(_clock(end))
        elif key == "skip":
            for day in value.split("+"):
                if day.lower() in ("sat", "saturday"):
                    row.exclude_saturdays = True
                elif day.lower() in ("sun", "sunday"):
                    row.exclude_sundays = True
                else:
                    raise UsageError(f"skip takes sat and/or sun, not {day!r}")
        else:
            raise UsageError(f"unknown row field {key!r}")
    return row


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shutterbook-bulk", description="Bulk scheduling of sessions.")
    parser.add_argument("--target", default=service_address())
    parser.add_argument("--company", required=True, help="the studio's company id")
    parser.add_argument("--caller", default="bulk-cli", help="who is booking (recorded as booked_by)")
    sub = parser.add_subparsers(dest="command", required=True)

    def selector(p: argparse.ArgumentParser) -> None:
        p.add_argument("--group", default="", help="clientGroups/ID")
        p.add_argument("--saved-filter", default="", help="savedFilters/ID")
        p.add_argument("--organization", default="", help="organizations/ID")
        p.add_argument("--year", type=int, default=0, help="with --organization: the membership year")
        p.add_argument("--only-without-future-session", action="store_true")

    selector(sub.add_parser("select", help="list the clients a selection chooses"))
    run = sub.add_parser("run", help="select, verify, create the job and follow it")
    selector(run)
    run.add_argument("--unselect", action="append", default=[], help="clients/ID to leave out (repeatable)")
    run.add_argument("--location", required=True)
    run.add_argument("--session-type", required=True)
    run.add_argument("--status", default="")
    run.add_argument("--photographer", default="")
    run.add_argument("--assistant", default="")
    run.add_argument("--camera-room", default="")
    run.add_argument("--description", default="")
    run.add_argument("--row", action="append", default=[], required=True, help="a time-slot row (repeatable)")
    run.add_argument("--allow-conflicts", action="store_true")
    run.add_argument("--verify-only", action="store_true")
    run.add_argument("--no-wait", action="store_true")
    run.add_argument("--request-id", default="", help="idempotency key (default: a new one)")
    status = sub.add_parser("status", help="progress of a job")
    status.add_argument("job", help="bulkJobs/ID")
    return parser


def _rpc_failure(err: grpc.aio.AioRpcError, out: TextIO) -> int:
    print(f"error: {err.code().name}: {err.details()}", file=out)
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    for violation in bad.field_violations:
                        print(f"  {violation.field}: {violation.description}", file=out)
    return 1


def _progress(job: bpb.BulkJob) -> str:
    state = bpb.BulkJobState.Name(job.state).removeprefix("BULK_JOB_STATE_").lower()
    return f"{job.name} {state}: done {job.done}, failures {job.failures}, total {job.total}"


async def _run(args: argparse.Namespace, out: TextIO) -> int:
    # signed with the key ring the scheduling settings name: the CLI is a tool of the studio's
    # operators (it acts as a service, recording `--caller` as the job's starter)
    signer = Signer(ServiceSettings.from_env("scheduling").caller_keys())
    metadata = signer.metadata(CallContext(args.company, args.caller).identity)
    async with grpc.aio.insecure_channel(args.target) as channel:
        stub: bulk_pb2_grpc.BulkSchedulingServiceAsyncStub = bulk_pb2_grpc.BulkSchedulingServiceStub(channel)
        try:
            if args.command == "status":
                job = await stub.GetBulkJob(bpb.GetBulkJobRequest(name=args.job), metadata=metadata)
                print(_progress(job), file=out)
                return 0
            selection = await stub.SelectBulkClients(
                bpb.SelectBulkClientsRequest(
                    selector=bpb.BulkClientSelector(
                        group=args.group, saved_filter=args.saved_filter, organization=args.organization, year=args.year
                    ),
                    only_without_future_session=args.only_without_future_session,
                ),
                metadata=metadata,
            )
            unselected = set(args.unselect) if args.command == "run" else set()
            for client in selection.clients:
                if client.client in unselected:
                    print(f"unselected\t{client.client}\t{client.display_name}", file=out)
                else:
                    print(f"selected\t{client.client}\t{client.display_name}", file=out)
            for name in sorted(unselected - {c.client for c in selection.clients}):
                print(f"not in the selection (--unselect ignored)\t{name}", file=out)
            for client in selection.not_known_clients:
                print(f"not known yet\t{client.client}\t{client.display_name}", file=out)
            if selection.excluded_with_future_session:
                print(f"left out (future session booked): {selection.excluded_with_future_session}", file=out)
            if args.command == "select":
                return 0
            clients = [c.client for c in selection.clients if c.client not in unselected]
            template = bpb.BulkSessionTemplate(
                location=args.location,
                description=args.description,
                session_type=args.session_type,
                status=args.status,
                photographer=args.photographer,
                assistant=args.assistant,
                camera_room=args.camera_room,
            )
            rows = [parse_row(r) for r in args.row]
            verified = await stub.VerifyBulkSchedule(
                bpb.VerifyBulkScheduleRequest(template=template, time_slot_rows=rows, clients=clients),
                metadata=metadata,
            )
            print(
                f"verify: {verified.slot_count} sessions in the rows {list(verified.slots_per_row)} "
                f"for {verified.client_count} clients; {len(verified.conflicts)} conflicts",
                file=out,
            )
            for conflict in verified.conflicts:
                when = conflict.slot_start_time.ToJsonString()
                print(
                    f"  conflict: slot {conflict.slot_index} at {when}: {conflict.entry} on {conflict.schedule}",
                    file=out,
                )
            if not verified.enough_slots:
                print("not enough time slots: add rows or unselect clients", file=out)
                return 2
            if args.verify_only or not clients:
                return 0
            job = await stub.CreateBulkJob(
                bpb.CreateBulkJobRequest(
                    bulk_job=bpb.BulkJob(template=template, time_slot_rows=rows, allow_conflicts=args.allow_conflicts),
                    clients=clients,
                    request_id=args.request_id or str(uuid.uuid4()),
                ),
                metadata=metadata,
            )
            print(f"job {job.name} started for {job.total} clients", file=out)
            if args.no_wait:
                return 0
            loop = asyncio.get_running_loop()
            deadline = loop.time() + MAX_WAIT_SECONDS
            while job.state != bpb.BULK_JOB_STATE_SUCCEEDED and loop.time() < deadline:
                await asyncio.sleep(1.0)
                job = await stub.GetBulkJob(bpb.GetBulkJobRequest(name=job.name), metadata=metadata)
                print(_progress(job), file=out, flush=True)
            return 0 if job.state == bpb.BULK_JOB_STATE_SUCCEEDED and job.failures == 0 else 2
        except grpc.aio.AioRpcError as err:
            return _rpc_failure(err, out)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command; returns the exit code (see the module docstring)."""
    stream = out or sys.stdout
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and USAGE_ERROR
    try:
        return asyncio.run(_run(args, stream))
    except UsageError as exc:
        print(f"usage error: {exc}", file=stream)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
