"""What each kind of caller and each staff role may do.

Each service maps every RPC it serves to one `Permission` (its `api/permissions.py`); the
kit's server interceptor refuses a call whose caller lacks that permission with
PERMISSION_DENIED before the handler runs. A method missing from a service's table is
refused for everyone (fail closed); a test checks every method is listed.

Checks that need the record (a photographer's own sessions, a front desk's refund limit,
locations) happen where the record is loaded, with `grants(caller)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from shutterbook_kit.identity import Caller, CallerKind, Role


class Permission(StrEnum):
    CALENDAR_READ = "calendar.read"  # locations, staff, schedules, types, sessions, slots, calendar
    CLIENTS_READ = "clients.read"
    CLIENTS_WRITE = "clients.write"  # create and edit clients, organizations, groups, filters
    CLIENTS_DELETE = "clients.delete"  # delete and merge clients
    SESSIONS_BOOK = "sessions.book"  # book, edit, reschedule, cancel sessions and appointments
    SESSIONS_PHOTO_DAY = "sessions.photo_day"  # status, confirmed, no show, redo of own sessions
    ONLINE_BOOK = "online.book"  # hold, book, cancel and reschedule online slots
    SETUP_WRITE = "setup.write"  # staff, schedules, types, statuses, preferences, time slots
    BULK_RUN = "bulk.run"  # select, verify and start bulk scheduling jobs
    BILLING_READ = "billing.read"
    BILLING_CHARGE = "billing.charge"  # invoices, promotions applied, payments, deposits
    BILLING_REFUND = "billing.refund"  # refunds (staff without BILLING_REFUND_ANY: up to a limit)
    BILLING_REFUND_ANY = "billing.refund_any"  # refunds of any amount
    BILLING_VOID = "billing.void"
    BILLING_SETUP = "billing.setup"  # price list, promotions
    COMPANY_ADMIN = "company.admin"  # locations, API keys, staff accounts


_PHOTOGRAPHER = frozenset({Permission.CALENDAR_READ, Permission.CLIENTS_READ, Permission.SESSIONS_PHOTO_DAY})
_FRONT_DESK = frozenset(
    {
        Permission.CALENDAR_READ,
        Permission.CLIENTS_READ,
        Permission.CLIENTS_WRITE,
        Permission.SESSIONS_BOOK,
        Permission.SESSIONS_PHOTO_DAY,
        Permission.ONLINE_BOOK,
        Permission.BILLING_READ,
        Permission.BILLING_CHARGE,
        Permission.BILLING_REFUND,
    }
)
_MANAGER = _FRONT_DESK | {
    Permission.CLIENTS_DELETE,
    Permission.SETUP_WRITE,
    Permission.BULK_RUN,
    Permission.BILLING_REFUND_ANY,
    Permission.BILLING_VOID,
    Permission.BILLING_SETUP,
}
ALL = frozenset(Permission)

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.OWNER: ALL,
    Role.MANAGER: _MANAGER,
    Role.FRONT_DESK: _FRONT_DESK,
    Role.PHOTOGRAPHER: _PHOTOGRAPHER,
}

# Callers that are not staff: what the gateway may do for a partner's secret key (the booking
# saga and its compensations), for a booking page's publishable key (the catalog and its own
# bookings, paid online), and what services and background jobs may do on their own.
KIND_PERMISSIONS: Mapping[CallerKind, frozenset[Permission]] = {
    CallerKind.PARTNER: frozenset(
        {
            Permission.CALENDAR_READ,
            Permission.CLIENTS_READ,
            Permission.CLIENTS_WRITE,
            Permission.ONLINE_BOOK,
            Permission.BILLING_READ,
            Permission.BILLING_CHARGE,
            Permission.BILLING_REFUND,
            Permission.BILLING_REFUND_ANY,
            Permission.BILLING_VOID,
        }
    ),
    # a booking page's key sits in public HTML: it books and pays, never refunds or voids (the
    # gateway settles a failed booking as itself)
    CallerKind.PUBLISHABLE: frozenset(
        {
            Permission.CALENDAR_READ,
            Permission.CLIENTS_WRITE,
            Permission.ONLINE_BOOK,
            Permission.BILLING_READ,
            Permission.BILLING_CHARGE,
        }
    ),
    CallerKind.SERVICE: ALL,
    CallerKind.JOB: frozenset({Permission.CALENDAR_READ, Permission.CLIENTS_READ, Permission.SESSIONS_BOOK}),
}


def grants(caller: Caller) -> frozenset[Permission]:
    """Everything `caller` may do: its roles' permissions for staff, its kind's otherwise."""
    if caller.kind is CallerKind.STAFF:
        found: frozenset[Permission] = frozenset()
        for role in caller.roles:
            found |= ROLE_PERMISSIONS[role]
        return found
    return KIND_PERMISSIONS[caller.kind]


def method_name(path: str) -> str:
    """`/pkg.Service/Method` (a gRPC path) as `pkg.Service.Method` (a descriptor full name)."""
    return path.lstrip("/").replace("/", ".")
