"""The permission each RPC of the notifications service needs (checked by the kit's interceptor).

Form letters and triggers are studio setup; the communication log and a client's preferences
are part of the client's record; sending a letter for a session, or a message to a client (a
picture day's code or reminder), is a front-desk action.
"""

from __future__ import annotations

from collections.abc import Mapping

from shutterbook.notifications.v1 import notifications_pb2
from shutterbook_kit.permissions import Permission

_SERVICE = notifications_pb2.DESCRIPTOR.services_by_name["NotificationsService"].full_name
_METHODS: dict[str, Permission] = {
    "ListFormLetters": Permission.CALENDAR_READ,
    "GetFormLetter": Permission.CALENDAR_READ,
    "CreateFormLetter": Permission.SETUP_WRITE,
    "UpdateFormLetter": Permission.SETUP_WRITE,
    "PreviewFormLetter": Permission.CALENDAR_READ,
    "ListTriggers": Permission.CALENDAR_READ,
    "CreateTrigger": Permission.SETUP_WRITE,
    "UpdateTrigger": Permission.SETUP_WRITE,
    "DeleteTrigger": Permission.SETUP_WRITE,
    "ListMessages": Permission.CLIENTS_READ,
    "GetMessage": Permission.CLIENTS_READ,
    "SendSessionLetter": Permission.SESSIONS_BOOK,
    "SendClientMessage": Permission.SESSIONS_BOOK,
    "GetClientPreferences": Permission.CLIENTS_READ,
    "UpdateClientPreferences": Permission.CLIENTS_WRITE,
}
PERMISSIONS: Mapping[str, Permission] = {f"{_SERVICE}.{name}": p for name, p in _METHODS.items()}
