"""The permission each RPC of the scheduling services needs (checked by the kit's interceptor).

UpdateSession needs `sessions.photo_day`; a caller without `sessions.book` (a photographer)
may then change only the photo-day fields of their own sessions (`api/photo_day.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

from shutterbook.scheduling.v1 import bulk_pb2, online_pb2, picture_day_pb2, scheduling_pb2, slot_patterns_pb2
from shutterbook_kit.permissions import Permission

_READ = Permission.CALENDAR_READ
_SETUP = Permission.SETUP_WRITE
_BOOK = Permission.SESSIONS_BOOK
_ONLINE = Permission.ONLINE_BOOK

_SCHEDULING: dict[str, Permission] = {
    "GetKnownClient": Permission.CLIENTS_READ,
    "ListKnownClients": Permission.CLIENTS_READ,
    "EnsureKnownClient": Permission.CLIENTS_WRITE,
    "CreateLocation": Permission.COMPANY_ADMIN,
    "GetLocation": _READ,
    "ListLocations": _READ,
    "UpdateLocation": Permission.COMPANY_ADMIN,
    "DeleteLocation": Permission.COMPANY_ADMIN,
    "CreateStaffMember": _SETUP,
    "GetStaffMember": _READ,
    "ListStaffMembers": _READ,
    "UpdateStaffMember": _SETUP,
    "DeleteStaffMember": _SETUP,
    "CreateSchedule": _SETUP,
    "GetSchedule": _READ,
    "ListSchedules": _READ,
    "UpdateSchedule": _SETUP,
    "DeleteSchedule": _SETUP,
    "CreateSessionType": _SETUP,
    "GetSessionType": _READ,
    "ListSessionTypes": _READ,
    "UpdateSessionType": _SETUP,
    "DeleteSessionType": _SETUP,
    "CreateAppointmentType": _SETUP,
    "GetAppointmentType": _READ,
    "ListAppointmentTypes": _READ,
    "UpdateAppointmentType": _SETUP,
    "DeleteAppointmentType": _SETUP,
    "GetCompanyProfile": _READ,
    "UpdateCompanyProfile": _SETUP,  # owners and managers (studio setup)
    "UpdateCompanyLogo": _SETUP,
    "GetCompanyLogo": _READ,
    "DeleteCompanyLogo": _SETUP,
    "UpdateMarketingImage": _SETUP,
    "GetMarketingImage": _READ,
    "DeleteMarketingImage": _SETUP,
    "CreateSessionStatus": _SETUP,
    "GetSessionStatus": _READ,
    "ListSessionStatuses": _READ,
    "UpdateSessionStatus": _SETUP,
    "DeleteSessionStatus": _SETUP,
    "GetSchedulingPreferences": _READ,
    "UpdateSchedulingPreferences": _SETUP,
    "CreateSession": _BOOK,
    "GetSession": _READ,
    "ListSessions": _READ,
    "UpdateSession": Permission.SESSIONS_PHOTO_DAY,  # without sessions.book: own photo-day fields only
    "RescheduleSession": _BOOK,
    "CancelSession": _BOOK,
    "HoldSession": _BOOK,
    "CreateAppointment": _BOOK,
    "GetAppointment": _READ,
    "ListAppointments": _READ,
    "UpdateAppointment": _BOOK,
    "RescheduleAppointment": _BOOK,
    "CancelAppointment": _BOOK,
    "QueryCalendar": _READ,
    "ExportScheduleCalendar": _READ,
    "ListAuditEntries": _READ,
}
_ONLINE_BOOKING: dict[str, Permission] = {
    "CreateTimeSlot": _SETUP,
    "GenerateTimeSlots": _SETUP,
    "GetTimeSlot": _READ,
    "ListTimeSlots": _READ,
    "UpdateTimeSlot": _SETUP,
    "DeleteTimeSlot": _SETUP,
    "ListOpenSlots": _READ,
    "HoldSlot": _ONLINE,
    "ReleaseHold": _ONLINE,
    "BookOnline": _ONLINE,
    "CancelOnlineBooking": _ONLINE,
    "RescheduleOnlineBooking": _ONLINE,
    "BookAppointmentOnline": _ONLINE,
    "CancelOnlineAppointment": _ONLINE,
    "RescheduleOnlineAppointment": _ONLINE,
}
_BULK: dict[str, Permission] = {
    "SelectBulkClients": Permission.BULK_RUN,
    "VerifyBulkSchedule": Permission.BULK_RUN,
    "CreateBulkJob": Permission.BULK_RUN,
    "GetBulkJob": _READ,
    "ListBulkJobItems": _READ,
    "ListBulkJobs": _READ,
}
_SLOT_PATTERNS: dict[str, Permission] = {
    "CreateTimeSlotPattern": _SETUP,
    "GetTimeSlotPattern": _READ,
    "ListTimeSlotPatterns": _READ,
    "DeleteTimeSlotPattern": _SETUP,
}
_PICTURE_DAYS: dict[str, Permission] = {
    "CreatePictureDay": Permission.BULK_RUN,
    "GetPictureDay": _READ,
    "ListPictureDays": _READ,
    "ListPictureDayFamilies": _READ,
    "ListPictureDaySlots": _READ,
    "CreatePictureDayBooking": _BOOK,
    "ReschedulePictureDayBooking": _BOOK,
    "CancelPictureDayBooking": _BOOK,
    "IssuePictureDayAccessCodes": Permission.BULK_RUN,
    "RevokePictureDayAccessCode": Permission.BULK_RUN,
    # the portal (the gateway, for a family holding its access code)
    "GetPictureDayAccess": _ONLINE,
    "BookPictureDayByCode": _ONLINE,
    "ReschedulePictureDayBookingByCode": _ONLINE,
    "CancelPictureDayBookingByCode": _ONLINE,
}


def _named(service: str, methods: dict[str, Permission]) -> dict[str, Permission]:
    return {f"{service}.{name}": p for name, p in methods.items()}


PERMISSIONS: Mapping[str, Permission] = {
    **_named(scheduling_pb2.DESCRIPTOR.services_by_name["SchedulingService"].full_name, _SCHEDULING),
    **_named(online_pb2.DESCRIPTOR.services_by_name["OnlineBookingService"].full_name, _ONLINE_BOOKING),
    **_named(bulk_pb2.DESCRIPTOR.services_by_name["BulkSchedulingService"].full_name, _BULK),
    **_named(picture_day_pb2.DESCRIPTOR.services_by_name["PictureDayService"].full_name, _PICTURE_DAYS),
    **_named(slot_patterns_pb2.DESCRIPTOR.services_by_name["TimeSlotPatternService"].full_name, _SLOT_PATTERNS),
}
