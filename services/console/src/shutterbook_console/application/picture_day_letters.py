"""A picture day's access codes delivered to families: printed letters (a PDF, one page per
family) and emails, and the reminder to families not booked yet.

Decided: scheduling keeps only a SHA-256 of each code and returns the plain code once, from
IssuePictureDayAccessCodes. So a code is never read back: letters and emails are produced from
that one answer, in the same request ("Issue codes and print letters" answers with the PDF of
the codes it just issued; "Issue codes and email them" mails them at once). A family that needs
its letter again gets a new code (issuing replaces its old one). Emailing issues codes only to
families that have an email address, so no code is issued that nobody receives; a family whose
email could not be queued has its new code revoked again, and stays among those without one.
The email's text holds the code, so notifications' communication log holds it too (the family's
own mail; staff may read the log) - the one place besides the letter where it is kept.

The portal's address is the console's setting `SHUTTERBOOK_CONSOLE_BOOKING_PAGE_URL` (the
gateway's public address) with the publishable key of `SHUTTERBOOK_CONSOLE_BOOKING_PAGE_KEY`;
the code travels in the URL fragment, which browsers never send to a server."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import grpc

from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.confirmation import latin1, postal_address, start_pdf
from shutterbook_console.application.picture_days import FamilyView, day_location, get_day, local_text
from shutterbook_console.application.studio import Studio, studio_for_documents
from shutterbook_console.notifications_client import NotificationsClient
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import FailedPrecondition
from shutterbook_kit.identity import Caller

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Portal:
    """Where families book: the gateway's portal page and the studio's publishable key."""

    base_url: str
    key: str

    def check(self) -> None:
        if not (self.base_url and self.key):
            raise FailedPrecondition(
                "the portal's address is not set: set SHUTTERBOOK_CONSOLE_BOOKING_PAGE_URL and "
                "SHUTTERBOOK_CONSOLE_BOOKING_PAGE_KEY before issuing codes",
                reason="PORTAL_NOT_CONFIGURED",
            )

    @property
    def page(self) -> str:
        return f"{self.base_url}/picture-day?key={quote(self.key, safe='')}"

    def link(self, code: str) -> str:
        return f"{self.page}#code={quote(code, safe='')}"


@dataclass(frozen=True)
class Letterhead:
    studio: str  # the studio's name, or the location's
    place: str  # the location's name and address
    day: str  # the picture day's name
    opens: str
    closes: str

    @classmethod
    def of(cls, studio: str, location: pb.Location, day: pdpb.PictureDay) -> Letterhead:
        place = " - ".join(p for p in (location.display_name, postal_address(location)) if p)
        zone = day.time_zone or location.time_zone
        return cls(
            studio or location.display_name,
            place,
            day.display_name,
            local_text(day.open_time, zone),
            local_text(day.close_time, zone),
        )


async def letterhead(up: Upstreams, caller: Caller, day_id: str, studio: str, portal: Portal) -> Letterhead:
    """What every letter and email of the day says of the studio and the day; refused
    (PORTAL_NOT_CONFIGURED) before anything is issued when the portal's address is not set."""
    portal.check()
    day = await get_day(up, caller, day_id)
    company = await studio_for_documents(up, caller, studio)  # the company profile's name, if set
    return Letterhead.of(company.name or studio, await day_location(up, caller, day), day)


def code_letters(head: Letterhead, portal: Portal, codes: list[pdpb.PictureDayAccessCode]) -> bytes:
    """One page per family: the studio, the family's name, the code and the portal's address."""
    pdf = start_pdf(Studio(name=head.studio), f"Picture day codes: {head.day}")
    for i, code in enumerate(codes):
        if i:
            pdf.add_page()
        pdf.set_font("helvetica", "B", 20)
        pdf.cell(0, 11, latin1(head.studio), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)
        pdf.cell(0, 6, latin1(head.place), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(10)
        pdf.set_font("helvetica", "B", 16)
        pdf.cell(0, 10, latin1(f"Picture day: {head.day}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(0, 7, latin1(f"Dear {code.display_name},"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.multi_cell(
            0,
            7,
            latin1(
                "Please choose the time of your children's pictures yourself, online, from "
                f"{head.opens} until {head.closes}. Open this address and enter your family's code:"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(3)
        pdf.set_font("courier", "B", 11)
        pdf.multi_cell(0, 6, latin1(portal.page), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(5)
        pdf.set_font("helvetica", size=12)
        pdf.cell(0, 8, "Your family's code:", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("courier", "B", 22)
        pdf.cell(0, 14, latin1(code.access_code), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("helvetica", "I", 10)
        pdf.multi_cell(
            0,
            6,
            "The code opens only your family's booking. Keep it to yourself; if it is lost, "
            "the studio can give you a new one.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())


def code_email(head: Letterhead, portal: Portal, code: pdpb.PictureDayAccessCode) -> tuple[str, str]:
    subject = f"{head.day}: choose your picture time"
    body = (
        f"Dear {code.display_name},\n\n"
        f"{head.studio} invites you to choose the time of your children's pictures for {head.day}, "
        f"from {head.opens} until {head.closes}.\n\n"
        f"Book here (the link carries your family's code):\n{portal.link(code.access_code)}\n\n"
        f"Or open {portal.page} and enter your family's code: {code.access_code}\n\n"
        "The code opens only your family's booking; please keep it to yourself.\n\n"
        f"{head.studio}\n{head.place}\n"
    )
    return subject, body


def reminder_email(head: Letterhead, portal: Portal, family: FamilyView) -> tuple[str, str]:
    subject = f"Reminder: {head.day} - please choose your picture time"
    body = (
        f"Dear {family.display_name},\n\n"
        f"Not every child of your family has a picture time for {head.day} yet ({family.children}). "
        f"Please choose one before {head.closes}.\n\n"
        f"Book at {portal.page} with the code from your letter or email. If you cannot find it, "
        "reply to this message or call us and we will send you a new one.\n\n"
        f"{head.studio}\n{head.place}\n"
    )
    return subject, body


# Codes a refused mail cannot have reached; anything else (a timeout, an outage) is retried.
REFUSALS = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.ALREADY_EXISTS,
    }
)
SEND_ATTEMPTS = 3


@dataclass
class Mailing:
    """What a mailing did: families emailed, families without an address, failures by name."""

    sent: int = 0
    without_email: int = 0
    failed: list[str] = field(default_factory=list)


async def _send_all(
    notifications: NotificationsClient, caller: Caller, messages: list[tuple[str, str, str, str, str]]
) -> list[tuple[str, str, bool]]:
    """(client id, name, subject, body, request id) each sent, one after the other (each is a
    write to notifications' database); returns (client id, name, refused) of those not sent:
    refused True when notifications said no, False when it never answered."""
    failed: list[tuple[str, str, bool]] = []
    for client_id, name, subject, body, request_id in messages:
        for attempt in range(SEND_ATTEMPTS):
            try:
                await notifications.send_client_message(caller, f"clients/{client_id}", subject, body, request_id)
                break
            except grpc.aio.AioRpcError as exc:
                # a refusal is final; a timeout or an outage may have queued it: the retry (same
                # request id, answered once by notifications) finds out
                if exc.code() in REFUSALS or attempt == SEND_ATTEMPTS - 1:
                    log.warning("picture day mail not queued: %s", exc.code().name, extra={"client": client_id})
                    failed.append((client_id, name, exc.code() in REFUSALS))
                    break
    return failed


async def email_codes(
    notifications: NotificationsClient,
    caller: Caller,
    head: Letterhead,
    portal: Portal,
    codes: list[pdpb.PictureDayAccessCode],
    revoke: Callable[[list[str]], Awaitable[None]],
) -> Mailing:
    """Mail each newly issued code; a family whose mail could not be queued loses the code again."""
    result = Mailing()
    messages = []
    for code in codes:
        client_id = code.client.removeprefix("clients/")
        subject, body = code_email(head, portal, code)
        messages.append((client_id, code.display_name, subject, body, str(uuid.uuid4())))
    failed = await _send_all(notifications, caller, messages)
    refused = [client_id for client_id, _, final in failed if final]  # surely not sent: the code goes again
    if refused:
        try:
            await revoke(refused)
        except UpstreamError as exc:  # the mailing is reported anyway; such codes can be renewed per family
            log.warning("picture day codes not revoked after refused mail: %s", exc, extra={"clients": refused})
    result.sent = len(messages) - len(failed)
    result.failed = [name for _, name, _ in failed]
    return result


async def email_reminders(
    notifications: NotificationsClient,
    caller: Caller,
    head: Letterhead,
    portal: Portal,
    families: list[FamilyView],
    batch: str,
) -> Mailing:
    """A reminder to each family not booked that has an address. `batch` (the page's request id)
    makes a second click of the same page send nothing new."""
    result = Mailing(without_email=sum(1 for f in families if not f.email))
    messages = []
    for family in families:
        if family.email:
            subject, body = reminder_email(head, portal, family)
            request_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"picture-day-reminder:{batch}:{family.client_id}"))
            messages.append((family.client_id, family.display_name, subject, body, request_id))
    failed = await _send_all(notifications, caller, messages)
    result.sent = len(messages) - len(failed)
    result.failed = [name for _, name, _ in failed]
    return result
