"""A photographer's edits of their own sessions: the record-level half of `sessions.photo_day`.

UpdateSession needs `sessions.photo_day` (the kit's interceptor checks it). A caller that may
not also book (`sessions.book`: front desk, managers, owners, services) may change only the
photo-day fields (status, confirmed, no show, redo) of a session whose photographer or
assistant is their own schedule (`Caller.staff_schedule_id`); anything else is
PERMISSION_DENIED, and another company's session stays NOT_FOUND.
"""

from __future__ import annotations

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import PermissionDenied
from shutterbook_kit.permissions import Permission, grants
from shutterbook_scheduling.application import sessions

PHOTO_DAY_FIELDS = frozenset({"status", "confirmed", "no_show", "redo"})


def _schedule_id(name: str) -> str:
    return name.removeprefix("schedules/")


async def check_photo_day_update(db: Database, company_id: str, request: pb.UpdateSessionRequest) -> None:
    caller = tenancy.current_caller()
    if caller is None or Permission.SESSIONS_BOOK in grants(caller):
        return
    paths = set(request.update_mask.paths)
    if not paths or not paths <= PHOTO_DAY_FIELDS:
        raise PermissionDenied(
            f"only {', '.join(sorted(PHOTO_DAY_FIELDS))} may be changed without {Permission.SESSIONS_BOOK.value}",
            metadata={"permission": Permission.SESSIONS_BOOK.value},
        )
    session = await sessions.get_session(db, company_id, request.session.name)  # NOT_FOUND if not ours
    own = _schedule_id(caller.staff_schedule_id)
    if not own or own not in {_schedule_id(session.photographer), _schedule_id(session.assistant)}:
        raise PermissionDenied("only the session's own photographer or assistant may change it")
