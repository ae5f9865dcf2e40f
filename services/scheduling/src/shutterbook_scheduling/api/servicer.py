"""gRPC API of the scheduling service: each method hands its request to a use case with
the caller's company."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from shutterbook.common.v1 import audit_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc
from shutterbook_kit import audit, tenancy
from shutterbook_kit.db import Database
from shutterbook_scheduling.api import (
    appointment_convert,
    calendar_convert,
    known_client_convert,
    session_convert,
    setup_convert,
)
from shutterbook_scheduling.api import company_convert as convert
from shutterbook_scheduling.api.photo_day import check_photo_day_update
from shutterbook_scheduling.application import (
    calendar,
    client_directory,
    company,
    history,
    marketing_images,
    preferences,
    setup,
)
from shutterbook_scheduling.domain.company import LOGO_NAME, PREFERENCES_NAME, PROFILE_NAME

Context = grpc.aio.ServicerContext[Any, Any]


def _company() -> str:
    return tenancy.current().company_id


class SchedulingServicer(scheduling_pb2_grpc.SchedulingServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- known clients ---

    async def GetKnownClient(self, request: pb.GetKnownClientRequest, context: Context) -> pb.KnownClient:
        return known_client_convert.known_client_message(
            await client_directory.get_known_client(self.db, _company(), request.name)
        )

    async def ListKnownClients(
        self, request: pb.ListKnownClientsRequest, context: Context
    ) -> pb.ListKnownClientsResponse:
        page = await client_directory.list_known_clients(self.db, _company(), request.page_size, request.page_token)
        return known_client_convert.list_response(page)

    async def EnsureKnownClient(self, request: pb.EnsureKnownClientRequest, context: Context) -> pb.KnownClient:
        version = known_client_convert.ensure_request_version(request)
        known = await client_directory.ensure_known_client(self.db, _company(), version)
        return known_client_convert.known_client_message(known)

    # --- locations ---

    async def CreateLocation(self, request: pb.CreateLocationRequest, context: Context) -> pb.Location:
        result: pb.Location = await setup_convert.create(self.db, setup.LOCATIONS, _company(), request)
        return result

    async def GetLocation(self, request: pb.GetLocationRequest, context: Context) -> pb.Location:
        result: pb.Location = await setup_convert.get(self.db, setup.LOCATIONS, _company(), request.name)
        return result

    async def ListLocations(self, request: pb.ListLocationsRequest, context: Context) -> pb.ListLocationsResponse:
        items, token = await setup_convert.list_page(self.db, setup.LOCATIONS, _company(), request)
        return pb.ListLocationsResponse(locations=items, next_page_token=token)

    async def UpdateLocation(self, request: pb.UpdateLocationRequest, context: Context) -> pb.Location:
        result: pb.Location = await setup_convert.update(self.db, setup.LOCATIONS, _company(), request)
        return result

    async def DeleteLocation(self, request: pb.DeleteLocationRequest, context: Context) -> empty_pb2.Empty:
        await setup_convert.delete(self.db, setup.LOCATIONS, _company(), request.name)
        return empty_pb2.Empty()

    # --- staff members ---

    async def CreateStaffMember(self, request: pb.CreateStaffMemberRequest, context: Context) -> pb.StaffMember:
        result: pb.StaffMember = await setup_convert.create(self.db, setup.STAFF, _company(), request)
        return result

    async def GetStaffMember(self, request: pb.GetStaffMemberRequest, context: Context) -> pb.StaffMember:
        result: pb.StaffMember = await setup_convert.get(self.db, setup.STAFF, _company(), request.name)
        return result

    async def ListStaffMembers(
        self, request: pb.ListStaffMembersRequest, context: Context
    ) -> pb.ListStaffMembersResponse:
        items, token = await setup_convert.list_page(self.db, setup.STAFF, _company(), request)
        return pb.ListStaffMembersResponse(staff_members=items, next_page_token=token)

    async def UpdateStaffMember(self, request: pb.UpdateStaffMemberRequest, context: Context) -> pb.StaffMember:
        result: pb.StaffMember = await setup_convert.update(self.db, setup.STAFF, _company(), request)
        return result

    async def DeleteStaffMember(self, request: pb.DeleteStaffMemberRequest, context: Context) -> empty_pb2.Empty:
        await setup_convert.delete(self.db, setup.STAFF, _company(), request.name)
        return empty_pb2.Empty()

    # --- schedules ---

    async def CreateSchedule(self, request: pb.CreateScheduleRequest, context: Context) -> pb.Schedule:
        result: pb.Schedule = await setup_convert.create(self.db, setup.SCHEDULES, _company(), request)
        return result

    async def GetSchedule(self, request: pb.GetScheduleRequest, context: Context) -> pb.Schedule:
        result: pb.Schedule = await setup_convert.get(self.db, setup.SCHEDULES, _company(), request.name)
        return result

    async def ListSchedules(self, request: pb.ListSchedulesRequest, context: Context) -> pb.ListSchedulesResponse:
        items, token = await setup_convert.list_page(
            self.db, setup.SCHEDULES, _company(), request, {"location": request.location}
        )
        return pb.ListSchedulesResponse(schedules=items, next_page_token=token)

    async def UpdateSchedule(self, request: pb.UpdateScheduleRequest, context: Context) -> pb.Schedule:
        result: pb.Schedule = await setup_convert.update(self.db, setup.SCHEDULES, _company(), request)
        return result

    async def DeleteSchedule(self, request: pb.DeleteScheduleRequest, context: Context) -> empty_pb2.Empty:
        await setup_convert.delete(self.db, setup.SCHEDULES, _company(), request.name)
        return empty_pb2.Empty()

    # --- session types ---

    async def CreateSessionType(self, request: pb.CreateSessionTypeRequest, context: Context) -> pb.SessionType:
        result: pb.SessionType = await setup_convert.create(self.db, setup.SESSION_TYPES, _company(), request)
        return result

    async def GetSessionType(self, request: pb.GetSessionTypeRequest, context: Context) -> pb.SessionType:
        result: pb.SessionType = await setup_convert.get(self.db, setup.SESSION_TYPES, _company(), request.name)
        return result

    async def ListSessionTypes(
        self, request: pb.ListSessionTypesRequest, context: Context
    ) -> pb.ListSessionTypesResponse:
        items, token = await setup_convert.list_page(self.db, setup.SESSION_TYPES, _company(), request)
        return pb.ListSessionTypesResponse(session_types=items, next_page_token=token)

    async def UpdateSessionType(self, request: pb.UpdateSessionTypeRequest, context: Context) -> pb.SessionType:
        result: pb.SessionType = await setup_convert.update(self.db, setup.SESSION_TYPES, _company(), request)
        return result

    async def DeleteSessionType(self, request: pb.DeleteSessionTypeRequest, context: Context) -> empty_pb2.Empty:
        await setup_convert.delete(self.db, setup.SESSION_TYPES, _company(), request.name)
        return empty_pb2.Empty()

    # --- appointment types ---

    async def CreateAppointmentType(
        self, request: pb.CreateAppointmentTypeRequest, context: Context
    ) -> pb.AppointmentType:
        result: pb.AppointmentType = await setup_convert.create(self.db, setup.APPOINTMENT_TYPES, _company(), request)
        return result

    async def GetAppointmentType(self, request: pb.GetAppointmentTypeRequest, context: Context) -> pb.AppointmentType:
        result: pb.AppointmentType = await setup_convert.get(self.db, setup.APPOINTMENT_TYPES, _company(), request.name)
        return result

    async def ListAppointmentTypes(
        self, request: pb.ListAppointmentTypesRequest, context: Context
    ) -> pb.ListAppointmentTypesResponse:
        items, token = await setup_convert.list_page(self.db, setup.APPOINTMENT_TYPES, _company(), request)
        return pb.ListAppointmentTypesResponse(appointment_types=items, next_page_token=token)

    async def UpdateAppointmentType(
        self, request: pb.UpdateAppointmentTypeRequest, context: Context
    ) -> pb.AppointmentType:
        result: pb.AppointmentType = await setup_convert.update(self.db, setup.APPOINTMENT_TYPES, _company(), request)
        return result

    async def DeleteAppointmentType(
        self, request: pb.DeleteAppointmentTypeRequest, context: Context
    ) -> empty_pb2.Empty:
        await setup_convert.delete(self.db, setup.APPOINTMENT_TYPES, _company(), request.name)
        return empty_pb2.Empty()

    # --- the company's profile and logo ---

    async def GetCompanyProfile(self, request: pb.GetCompanyProfileRequest, context: Context) -> pb.CompanyProfile:
        convert.check_name(request.name, PROFILE_NAME, "name")
        return convert.profile_message(await company.get_profile(self.db, _company()))

    async def UpdateCompanyProfile(
        self, request: pb.UpdateCompanyProfileRequest, context: Context
    ) -> pb.CompanyProfile:
        fields, paths = convert.profile_update(request)
        profile = await company.update_profile(self.db, _company(), fields, paths, convert.announce_change)
        return convert.profile_message(profile)

    async def UpdateCompanyLogo(self, request: pb.UpdateCompanyLogoRequest, context: Context) -> pb.CompanyLogo:
        content_type, data = convert.logo_upload(request)
        logo = await company.update_logo(self.db, _company(), content_type, data, convert.announce_change)
        return convert.logo_message(logo, with_data=False)

    async def GetCompanyLogo(self, request: pb.GetCompanyLogoRequest, context: Context) -> pb.CompanyLogo:
        convert.check_name(request.name, LOGO_NAME, "name")
        return convert.logo_message(await company.get_logo(self.db, _company()), with_data=True)

    async def DeleteCompanyLogo(self, request: pb.DeleteCompanyLogoRequest, context: Context) -> empty_pb2.Empty:
        convert.check_name(request.name, LOGO_NAME, "name")
        await company.delete_logo(self.db, _company(), convert.announce_change)
        return empty_pb2.Empty()

    # --- marketing images of types ---

    async def UpdateMarketingImage(
        self, request: pb.UpdateMarketingImageRequest, context: Context
    ) -> pb.MarketingImage:
        booking_type, content_type, data = convert.image_upload(request)
        image = await marketing_images.update_image(self.db, _company(), booking_type, content_type, data)
        return convert.image_message(booking_type, image, with_data=False)

    async def GetMarketingImage(self, request: pb.GetMarketingImageRequest, context: Context) -> pb.MarketingImage:
        booking_type = convert.image_type(request.name, "name")
        image = await marketing_images.get_image(self.db, _company(), booking_type)
        return convert.image_message(booking_type, image, with_data=True)

    async def DeleteMarketingImage(self, request: pb.DeleteMarketingImageRequest, context: Context) -> empty_pb2.Empty:
        await marketing_images.delete_image(self.db, _company(), convert.image_type(request.name, "name"))
        return empty_pb2.Empty()

    # --- session statuses and preferences ---

    async def CreateSessionStatus(self, request: pb.CreateSessionStatusRequest, context: Context) -> pb.SessionStatus:
        result: pb.SessionStatus = await setup_convert.create(self.db, setup.STATUSES, _company(), request)
        return result

    async def GetSessionStatus(self, request: pb.GetSessionStatusRequest, context: Context) -> pb.SessionStatus:
        result: pb.SessionStatus = await setup_convert.get(self.db, setup.STATUSES, _company(), request.name)
        return result

    async def ListSessionStatuses(
        self, request: pb.ListSessionStatusesRequest, context: Context
    ) -> pb.ListSessionStatusesResponse:
        result: pb.ListSessionStatusesResponse = await setup_convert.list_statuses(self.db, _company(), request)
        return result

    async def UpdateSessionStatus(self, request: pb.UpdateSessionStatusRequest, context: Context) -> pb.SessionStatus:
        result: pb.SessionStatus = await setup_convert.update(self.db, setup.STATUSES, _company(), request)
        return result

    async def DeleteSessionStatus(self, request: pb.DeleteSessionStatusRequest, context: Context) -> empty_pb2.Empty:
        await setup_convert.delete(self.db, setup.STATUSES, _company(), request.name)
        return empty_pb2.Empty()

    async def GetSchedulingPreferences(
        self, request: pb.GetSchedulingPreferencesRequest, context: Context
    ) -> pb.SchedulingPreferences:
        convert.check_name(request.name, PREFERENCES_NAME, "name")
        return convert.preferences_message(await preferences.get_preferences(self.db, _company()))

    async def UpdateSchedulingPreferences(
        self, request: pb.UpdateSchedulingPreferencesRequest, context: Context
    ) -> pb.SchedulingPreferences:
        incoming, paths = convert.preferences_update(request)
        return convert.preferences_message(await preferences.update_preferences(self.db, _company(), incoming, paths))

    # --- sessions ---

    async def CreateSession(self, request: pb.CreateSessionRequest, context: Context) -> pb.Session:
        return await session_convert.create_session(self.db, _company(), request)

    async def GetSession(self, request: pb.GetSessionRequest, context: Context) -> pb.Session:
        return await session_convert.get_session(self.db, _company(), request.name)

    async def ListSessions(self, request: pb.ListSessionsRequest, context: Context) -> pb.ListSessionsResponse:
        return await session_convert.list_sessions(self.db, _company(), request)

    async def UpdateSession(self, request: pb.UpdateSessionRequest, context: Context) -> pb.Session:
        await check_photo_day_update(self.db, _company(), request)
        return await session_convert.update_session(self.db, _company(), request)

    async def RescheduleSession(self, request: pb.RescheduleSessionRequest, context: Context) -> pb.Session:
        return await session_convert.reschedule_session(self.db, _company(), request)

    async def CancelSession(self, request: pb.CancelSessionRequest, context: Context) -> pb.Session:
        return await session_convert.cancel_session(self.db, _company(), request)

    async def HoldSession(self, request: pb.HoldSessionRequest, context: Context) -> pb.Session:
        return await session_convert.hold_session(self.db, _company(), request)

    # --- appointments ---

    async def CreateAppointment(self, request: pb.CreateAppointmentRequest, context: Context) -> pb.Appointment:
        return await appointment_convert.create_appointment(self.db, _company(), request)

    async def GetAppointment(self, request: pb.GetAppointmentRequest, context: Context) -> pb.Appointment:
        return await appointment_convert.get_appointment(self.db, _company(), request.name)

    async def ListAppointments(
        self, request: pb.ListAppointmentsRequest, context: Context
    ) -> pb.ListAppointmentsResponse:
        return await appointment_convert.list_appointments(self.db, _company(), request)

    async def UpdateAppointment(self, request: pb.UpdateAppointmentRequest, context: Context) -> pb.Appointment:
        return await appointment_convert.update_appointment(self.db, _company(), request)

    async def RescheduleAppointment(self, request: pb.RescheduleAppointmentRequest, context: Context) -> pb.Appointment:
        return await appointment_convert.reschedule_appointment(self.db, _company(), request)

    async def CancelAppointment(self, request: pb.CancelAppointmentRequest, context: Context) -> pb.Appointment:
        return await appointment_convert.cancel_appointment(self.db, _company(), request)

    # --- calendar ---

    async def QueryCalendar(self, request: pb.QueryCalendarRequest, context: Context) -> pb.QueryCalendarResponse:
        q = calendar_convert.calendar_query(request)
        found = await calendar.query_calendar(self.db, _company(), q.location_id, q.first, q.last, q.schedule_ids)
        return calendar_convert.calendar_response(found)

    async def ExportScheduleCalendar(
        self, request: pb.ExportScheduleCalendarRequest, context: Context
    ) -> pb.ExportScheduleCalendarResponse:
        schedule_id, start, end = calendar_convert.export_range(request)
        data = await calendar.export_schedule_ics(self.db, _company(), schedule_id, start, end)
        return calendar_convert.calendar_file(data)

    # --- audit trail ---

    async def ListAuditEntries(
        self, request: audit_pb2.ListAuditEntriesRequest, context: Context
    ) -> audit_pb2.ListAuditEntriesResponse:
        page = await history.list_audit_entries(
            self.db, _company(), request.parent, request.page_size, request.page_token
        )
        return audit.entries_response(page)
