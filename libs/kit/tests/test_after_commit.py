"""`UnitOfWork.after_commit`: a callback runs once the unit of work committed, after the
commit, and never for one that did not commit; a failing callback leaves the commit standing."""

from __future__ import annotations

from sqlalchemy import text
from uow_support import note_database

from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_kit.uow import UnitOfWork


async def _count(db: Database) -> int:
    async with UnitOfWork(db, readonly=True) as uow:
        return int(await uow.session.scalar(text("SELECT count(*) FROM note")) or 0)


async def test_a_callback_runs_after_the_commit_only(databases: DatabaseFactory) -> None:
    db = await note_database(databases)
    try:
        seen: list[int] = []

        async def note(n: int, *, commit: bool, fail: bool = False) -> None:
            async with UnitOfWork(db) as uow:
                await uow.session.execute(text("INSERT INTO note (id, body) VALUES (:n, 'x')"), {"n": n})

                def after() -> None:
                    seen.append(n)
                    if fail:
                        raise RuntimeError("the callback failed")

                uow.after_commit(after)
                if commit:
                    await uow.commit()

        await note(1, commit=False)  # rolled back: not run
        assert seen == []
        await note(2, commit=True)
        assert seen == [2]
        await note(3, commit=True, fail=True)  # logged; the commit stands
        assert seen == [2, 3]
        assert await _count(db) == 2
    finally:
        await db.dispose()
