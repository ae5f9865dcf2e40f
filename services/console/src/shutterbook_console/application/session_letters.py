"""Emailing a session's letter from the Scheduling Wizard's last screen (reference page 03:
"Email Session Confirmation" with a chosen form letter): the letters a client may be sent about
a session, and the send through notifications, for the logged-in staff member (notifications
checks sessions.book; the console first checks the session is at one of their locations)."""

from __future__ import annotations

import uuid

import grpc

from shutterbook.clients.v1 import clients_pb2 as cpb
from shutterbook_console.application.session_records import visible_session
from shutterbook_console.notifications_client import Letter, LoggedMessage, NotificationsClient
from shutterbook_console.upstreams import Upstreams, upstream_error
from shutterbook_kit.errors import FieldViolation, InvalidArgument, Unavailable
from shutterbook_kit.identity import Caller

# letters that speak to a client about a booked session; the confirmation first
SESSION_PURPOSES = ("session_confirmation", "reminder", "custom")


async def session_letters(notifications: NotificationsClient, caller: Caller) -> list[Letter]:
    try:
        letters = await notifications.letters(caller)
    except grpc.aio.AioRpcError as err:
        raise upstream_error(err) from err
    usable = [x for x in letters if x.purpose in SESSION_PURPOSES]
    return sorted(usable, key=lambda x: (SESSION_PURPOSES.index(x.purpose), x.built_in is False, x.display_name))


async def email_session_letter(
    up: Upstreams, notifications: NotificationsClient, caller: Caller, session: str, letter_id: str, request_id: str
) -> LoggedMessage:
    """Send the letter (`letter_id`: a form letter's id; empty: the session confirmation)."""
    try:
        uuid.UUID(request_id)
    except ValueError:
        raise InvalidArgument(
            "the request has invalid fields", violations=[FieldViolation("request_id", "a UUID")]
        ) from None
    booked = await visible_session(up, caller, session)
    # the client as clients has it now: a name corrected a moment ago (the wizard saves its
    # client screen after booking) is the name the letter carries, not notifications' copy of
    # before the correction (its event may still be on its way)
    seen = None
    if booked.client:
        seen = (await up.call(up.clients.GetClient, cpb.GetClientRequest(name=booked.client), caller)).update_time
    letter = f"formLetters/{letter_id}" if letter_id else ""
    try:
        return await notifications.send_session_letter(caller, session, letter, request_id, seen)
    except grpc.aio.AioRpcError as err:
        refused = upstream_error(err)
        if refused.status in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
            # scheduling has the session (checked above); notifications learns it (and its
            # client) from events, a moment after the booking: the desk may click again
            raise Unavailable(
                "the booking has not reached the mail service yet; try again in a moment", reason="NOT_YET_KNOWN"
            ) from err
        raise refused from err
