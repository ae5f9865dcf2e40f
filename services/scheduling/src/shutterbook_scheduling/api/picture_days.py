"""Picture days (issue 21): the gRPC service and the worker that closes the days. Wired into
the scheduling service by main.py like the other features (`SERVICE_NAMES`, `register`,
`workers`); families are read from `settings.upstreams["clients"]`."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import grpc

from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import picture_day_pb2_grpc
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import InvalidArgument
from shutterbook_kit.grpc_server import Worker
from shutterbook_kit.messaging import NatsConnection
from shutterbook_kit.periodic import PeriodicWorker
from shutterbook_kit.schema import utcnow
from shutterbook_kit.settings import ServiceSettings
from shutterbook_scheduling.adapters.clients_service import ClientsService
from shutterbook_scheduling.api import picture_day_convert as convert
from shutterbook_scheduling.application import (
    bulk_jobs,
    picture_day_bookings,
    picture_day_close,
    picture_day_codes,
    picture_days,
)
from shutterbook_scheduling.settings import SchedulingSettings

SERVICE_NAMES: list[str] = [pdpb.DESCRIPTOR.services_by_name["PictureDayService"].full_name]
Context = Any  # grpc.aio.ServicerContext
log = logging.getLogger(__name__)


def _company() -> str:
    return tenancy.current().company_id


class PictureDayServicer(picture_day_pb2_grpc.PictureDayServiceServicer):
    def __init__(self, db: Database, clients_target: str) -> None:
        self.db = db
        self.clients = ClientsService(clients_target)

    async def CreatePictureDay(self, request: pdpb.CreatePictureDayRequest, context: Context) -> pdpb.PictureDay:
        company_id = _company()
        settings, rows, selection = convert.new_day(request)
        try:
            listed = await bulk_jobs.list_selected(self.clients, selection)
        except InvalidArgument as err:
            raise convert.renamed(err, "selector", convert.FAMILIES) from None
        return await picture_days.create_picture_day(
            company_id,
            settings,
            rows,
            convert.new_families(listed),
            convert.template_check(company_id, request),
            convert.created_day(request),
            convert.create_day_once(self.db, company_id, request),
        )

    async def GetPictureDay(self, request: pdpb.GetPictureDayRequest, context: Context) -> pdpb.PictureDay:
        return convert.day_message(await picture_days.get_picture_day(self.db, _company(), request.name))

    async def ListPictureDays(
        self, request: pdpb.ListPictureDaysRequest, context: Context
    ) -> pdpb.ListPictureDaysResponse:
        page = await picture_days.list_picture_days(self.db, _company(), request.page_size, request.page_token)
        return convert.days_response(page)

    async def ListPictureDayFamilies(
        self, request: pdpb.ListPictureDayFamiliesRequest, context: Context
    ) -> pdpb.ListPictureDayFamiliesResponse:
        page = await picture_days.list_families(
            self.db,
            _company(),
            request.parent,
            request.page_size,
            request.page_token,
            only_not_booked=request.only_not_booked,
        )
        return convert.families_response(page)

    async def ListPictureDaySlots(
        self, request: pdpb.ListPictureDaySlotsRequest, context: Context
    ) -> pdpb.ListPictureDaySlotsResponse:
        day, page = await picture_days.list_slots(
            self.db, _company(), request.parent, request.page_size, request.page_token, only_free=request.only_free
        )
        return convert.slots_response(day, page)

    async def CreatePictureDayBooking(
        self, request: pdpb.CreatePictureDayBookingRequest, context: Context
    ) -> pdpb.PictureDayBooking:
        company_id = _company()
        b = request.booking
        return await picture_day_bookings.create_booking(
            company_id,
            request.parent,
            b.client,
            b.slot,
            list(b.children),
            convert.booking_once(self.db, company_id, request),
            convert.announce_booking,
        )

    async def ReschedulePictureDayBooking(
        self, request: pdpb.ReschedulePictureDayBookingRequest, context: Context
    ) -> pdpb.PictureDayBooking:
        company_id = _company()
        once = convert.booking_once(self.db, company_id, request)
        return await picture_day_bookings.reschedule_booking(
            company_id, request.name, request.slot, once, convert.announce_booking
        )

    async def CancelPictureDayBooking(
        self, request: pdpb.CancelPictureDayBookingRequest, context: Context
    ) -> pdpb.PictureDayBooking:
        company_id = _company()
        once = convert.booking_once(self.db, company_id, request)
        return await picture_day_bookings.cancel_booking(company_id, request.name, once, convert.announce_booking)

    async def IssuePictureDayAccessCodes(
        self, request: pdpb.IssuePictureDayAccessCodesRequest, context: Context
    ) -> pdpb.IssuePictureDayAccessCodesResponse:
        issued = await picture_day_codes.issue_codes(self.db, _company(), request.parent, request.families)
        return convert.access_codes_response(issued)

    async def RevokePictureDayAccessCode(
        self, request: pdpb.RevokePictureDayAccessCodeRequest, context: Context
    ) -> pdpb.PictureDayFamily:
        return convert.family_message(await picture_day_codes.revoke_code(self.db, _company(), request.name))

    async def GetPictureDayAccess(
        self, request: pdpb.GetPictureDayAccessRequest, context: Context
    ) -> pdpb.PictureDayAccess:
        return convert.access_message(await picture_day_codes.get_access(self.db, _company(), request.access_code))

    async def BookPictureDayByCode(
        self, request: pdpb.BookPictureDayByCodeRequest, context: Context
    ) -> pdpb.PictureDayBooking:
        company_id = _company()
        once = convert.booking_once(self.db, company_id, request)
        return await picture_day_codes.book_by_code(
            company_id, request.access_code, request.slot, list(request.children), once, convert.announce_booking
        )

    async def ReschedulePictureDayBookingByCode(
        self, request: pdpb.ReschedulePictureDayBookingByCodeRequest, context: Context
    ) -> pdpb.PictureDayBooking:
        company_id = _company()
        once = convert.booking_once(self.db, company_id, request)
        return await picture_day_codes.reschedule_by_code(
            company_id, request.access_code, request.booking, request.slot, once, convert.announce_booking
        )

    async def CancelPictureDayBookingByCode(
        self, request: pdpb.CancelPictureDayBookingByCodeRequest, context: Context
    ) -> pdpb.PictureDayBooking:
        company_id = _company()
        once = convert.booking_once(self.db, company_id, request)
        return await picture_day_codes.cancel_by_code(
            company_id, request.access_code, request.booking, once, convert.announce_booking
        )


def register(server: grpc.aio.Server, db: Database, settings: ServiceSettings, own: SchedulingSettings) -> None:
    picture_day_pb2_grpc.add_PictureDayServiceServicer_to_server(
        PictureDayServicer(db, settings.upstreams.get("clients", "")), server
    )


class CloseWorker(PeriodicWorker):
    """Every `interval` seconds, closes the due picture days whose lease is free (assigning the
    remaining families where the day says so; another replica takes the others)."""

    def __init__(self, db: Database, *, interval: float, lease_seconds: float) -> None:
        super().__init__(name="picture-day-close", interval=interval)
        self.db = db
        self.lease_seconds = lease_seconds
        self.owner = str(uuid.uuid4())
        self.assigned = 0  # bookings this worker made for remaining families
        self.closed = 0  # days this worker closed

    async def run_once(self) -> bool:
        for day_id in await picture_day_close.due_day_ids(self.db, utcnow()):
            if self.stopping:
                break
            made = await picture_day_close.close_day(
                self.db,
                day_id,
                owner=self.owner,
                lease_seconds=self.lease_seconds,
                announce=convert.announce_booking,
            )
            if made is not None:
                self.closed += 1
                self.assigned += made
        return False


def workers(db: Database, nats: NatsConnection, settings: ServiceSettings, own: SchedulingSettings) -> list[Worker]:
    """The close worker: a round every SHUTTERBOOK_SCHEDULING_PICTURE_DAY_CLOSE_INTERVAL_SECONDS
    (default 30); a day's lease lasts SHUTTERBOOK_SCHEDULING_PICTURE_DAY_LEASE_SECONDS (default 120)."""
    timing = own.picture_day_close
    return [CloseWorker(db, interval=timing.interval_seconds, lease_seconds=timing.lease_seconds)]
