"""Calendar feeds over HTTP: `/calendars/{feed id}/{secret}.ics`, the URL a staff member pastes
into their calendar app (application/calendar_feeds.py). Not part of the partner API: no key,
the secret in the URL is the credential, and an unknown, revoked or wrong one is the same 404
(counted against the caller's address by the rate limiter, like any request without a key)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from shutterbook_gateway.api.deps import provide_db, provide_upstreams
from shutterbook_gateway.application.calendar_feeds import feed_ics
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound


class CalendarFeedController(Controller):
    path = "/calendars"
    include_in_schema = False
    dependencies = {
        "db": Provide(provide_db, sync_to_thread=False),
        "upstreams": Provide(provide_upstreams, sync_to_thread=False),
    }

    @get("/{feed_id:str}/{file_name:str}")
    async def feed(
        self,
        feed_id: FromPath[str],
        file_name: FromPath[str],
        db: NamedDependency[Database],
        upstreams: NamedDependency[Upstreams],
    ) -> Response[bytes]:
        if not file_name.endswith(".ics") or len(file_name) > 200:
            raise NotFound("no such calendar", reason="NOT_FOUND")
        data = await feed_ics(db, upstreams, feed_id, file_name.removesuffix(".ics"))
        return Response(
            data,
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"},
        )
