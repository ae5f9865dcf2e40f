"""What names a client outside the known-client aggregate: sessions, appointments and session
participants carry a client's id. A merge of two clients re-points them to the survivor
(application/client_directory.py), in the merge's own transaction."""

from __future__ import annotations

from sqlalchemy import select, update

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.storage.models import AppointmentRow, ParticipantRow, SessionRow


class ClientRefs:
    """The rows naming a client, within one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def repoint(self, company_id: str, old: str, new: str) -> None:
        """The sessions and appointments of client `old` moved to client `new`, and so are the
        participants of the moved sessions (their names carry the client's id)."""
        session = self.uow.session
        await session.execute(
            update(SessionRow)
            .where(SessionRow.company_id == company_id, SessionRow.client_id == old)
            .values(client_id=new)
        )
        await session.execute(
            update(AppointmentRow)
            .where(AppointmentRow.company_id == company_id, AppointmentRow.client_id == old)
            .values(client_id=new)
        )
        moved = select(SessionRow.id).where(SessionRow.company_id == company_id, SessionRow.client_id == new)
        await session.execute(
            update(ParticipantRow)
            .where(ParticipantRow.session_id.in_(moved), ParticipantRow.client_id == old)
            .values(client_id=new)
        )
