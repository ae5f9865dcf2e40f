"""The client record's form as a clients.v1 Client and an update_mask, and the clients service's
field paths as the form's field names. Pure: no I/O; the clients service judges the values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import date_pb2
from shutterbook_kit.errors import FieldViolation, InvalidArgument

# the fields UpdateClient takes in its update_mask
SCALARS = ("given_name", "family_name", "household_name", "notes", "referral_source")
ADDRESS = ("locality", "administrative_area", "postal_code", "region_code")
RELATIONSHIPS = {
    clients_pb2.FAMILY_RELATIONSHIP_SPOUSE: "Spouse",
    clients_pb2.FAMILY_RELATIONSHIP_PARTNER: "Partner",
    clients_pb2.FAMILY_RELATIONSHIP_CHILD: "Child",
    clients_pb2.FAMILY_RELATIONSHIP_PARENT: "Parent",
    clients_pb2.FAMILY_RELATIONSHIP_SIBLING: "Sibling",
    clients_pb2.FAMILY_RELATIONSHIP_GRANDPARENT: "Grandparent",
    clients_pb2.FAMILY_RELATIONSHIP_GRANDCHILD: "Grandchild",
    clients_pb2.FAMILY_RELATIONSHIP_OTHER: "Other",
}
_MEMBER = re.compile(r"^family_members\[(\d+)\]\.(\w+)")
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class MemberRow:
    """One family member row of the form (`row` is its index in the form)."""

    row: int
    name: str
    given_name: str
    family_name: str
    relationship: str
    birth_date: str
    remove: bool

    @property
    def blank(self) -> bool:
        return not (self.name or self.given_name.strip() or self.family_name.strip() or self.birth_date)


@dataclass(frozen=True)
class ClientForm:
    client: clients_pb2.Client
    mask: list[str]
    member_rows: list[int]  # the form row of each family member sent, in order


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def tags_of(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def member_rows(form: Mapping[str, str]) -> list[MemberRow]:
    count = sum(1 for key in form if key.startswith("fm-") and key.endswith("-given_name"))
    return [
        MemberRow(
            row=i,
            name=form.get(f"fm-{i}-name", ""),
            given_name=form.get(f"fm-{i}-given_name", ""),
            family_name=form.get(f"fm-{i}-family_name", ""),
            relationship=form.get(f"fm-{i}-relationship", ""),
            birth_date=form.get(f"fm-{i}-birth_date", "").strip(),
            remove=form.get(f"fm-{i}-remove") == "on",
        )
        for i in range(count)
    ]


def _member(row: MemberRow, violations: list[FieldViolation]) -> clients_pb2.FamilyMember:
    member = clients_pb2.FamilyMember(
        name=row.name, given_name=row.given_name.strip(), family_name=row.family_name.strip()
    )
    relationship = int(row.relationship) if row.relationship.isdigit() else 0
    if relationship in RELATIONSHIPS:
        member.relationship = relationship  # type: ignore[assignment]
    born = read_birth_date(row.birth_date, f"fm-{row.row}-birth_date", violations)
    if born is not None:
        member.birth_date.CopyFrom(date_pb2.Date(year=born.year, month=born.month, day=born.day))
    return member


def latest_birth_date(now: datetime) -> date:
    """The latest date that is no future birth date anywhere: today where the day begins
    first (UTC+14). A studio cannot know where a child was born; this refuses every date
    that is tomorrow everywhere and accepts a baby born today in any zone."""
    return (now.astimezone(UTC) + timedelta(hours=14)).date()


def read_birth_date(
    text: str, field: str, violations: list[FieldViolation], now: datetime | None = None
) -> date | None:
    """A family member's birth date as typed (YYYY-MM-DD; empty: none), not in the future."""
    if not text.strip():
        return None
    try:
        born = date.fromisoformat(text.strip())
    except ValueError:
        violations.append(FieldViolation(field, "a date, YYYY-MM-DD"))
        return None
    if born > latest_birth_date(now or datetime.now(UTC)):
        violations.append(FieldViolation(field, "a birth date, not in the future"))
        return None
    return born


def read_form(form: Mapping[str, str], current: clients_pb2.Client | None) -> ClientForm:
    """The client the form describes and, against `current` (None: a new client), the fields
    that changed. A date that is no date is refused here, naming its field."""
    violations: list[FieldViolation] = []
    client = clients_pb2.Client(name=current.name if current else "")
    for name in SCALARS:
        setattr(client, name, form.get(name, "").strip())
    client.emails.extend(lines(form.get("emails", "")))
    client.phones.extend(lines(form.get("phones", "")))
    client.tags.extend(tags_of(form.get("tags", "")))
    client.postal_address.address_lines.extend(lines(form.get("address_lines", "")))
    for name in ADDRESS:
        setattr(client.postal_address, name, form.get(name, "").strip())
    sent: list[int] = []
    for row in member_rows(form):
        if row.remove or (row.blank and not row.name):
            continue
        client.family_members.append(_member(row, violations))
        sent.append(row.row)
    if violations:
        raise InvalidArgument("the client is not valid", violations=violations)
    return ClientForm(client, _mask(client, current), sent)


def _members_key(members: object) -> list[tuple[str, str, str, int, tuple[int, int, int]]]:
    return [
        (m.name, m.given_name, m.family_name, m.relationship, (m.birth_date.year, m.birth_date.month, m.birth_date.day))
        for m in members  # type: ignore[attr-defined]
    ]


def _mask(client: clients_pb2.Client, current: clients_pb2.Client | None) -> list[str]:
    if current is None:
        return []
    mask = [name for name in SCALARS if getattr(client, name) != getattr(current, name)]
    mask += [
        name for name in ("emails", "phones", "tags") if list(getattr(client, name)) != list(getattr(current, name))
    ]
    if client.postal_address != current.postal_address:
        mask.append("postal_address")
    if _members_key(client.family_members) != _members_key(current.family_members):
        mask.append("family_members")
    return mask


def form_field(path: str, member_rows_sent: list[int]) -> str:
    """A clients service field path as the form's field: `client.emails[1]` is `emails`,
    `client.postal_address.locality` is `locality`, `client.family_members[0].given_name` is
    the row's `fm-<row>-given_name`."""
    path = path.removeprefix("client.")
    found = _MEMBER.match(path)
    if found:
        index = int(found.group(1))
        row = member_rows_sent[index] if index < len(member_rows_sent) else index
        return f"fm-{row}-{found.group(2)}"
    path = path.removeprefix("postal_address.")
    return _INDEX.sub("", path).split(".")[0]


def form_values(client: clients_pb2.Client) -> dict[str, str]:
    """The form's values for a stored client (what the page shows before any edit)."""
    values = {name: getattr(client, name) for name in SCALARS}
    values["emails"] = "\n".join(client.emails)
    values["phones"] = "\n".join(client.phones)
    values["tags"] = ", ".join(client.tags)
    values["address_lines"] = "\n".join(client.postal_address.address_lines)
    for name in ADDRESS:
        values[name] = getattr(client.postal_address, name)
    for i, m in enumerate(client.family_members):
        b = m.birth_date
        values |= {
            f"fm-{i}-name": m.name,
            f"fm-{i}-given_name": m.given_name,
            f"fm-{i}-family_name": m.family_name,
            f"fm-{i}-relationship": str(int(m.relationship)) if m.relationship else "",
            f"fm-{i}-birth_date": f"{b.year:04d}-{b.month:02d}-{b.day:02d}" if b.year else "",
        }
    return values


def member_count(values: Mapping[str, str]) -> int:
    """The rows the form shows before its blank row: stored members and filled new ones."""
    return sum(1 for row in member_rows(values) if not row.blank)


# --- the Scheduling Wizard's client screen ---------------------------------------------------


@dataclass(frozen=True)
class Relative:
    """A family member as the client screen shows it (`name`: the stored member's, kept so
    an edit keeps its identity; empty for one added on the screen)."""

    given_name: str
    family_name: str = ""
    relationship: int = 0  # clients.v1 FamilyRelationship
    name: str = ""
    # None: the screen did not send it (keep the stored member's); else the date or none
    birth_date: date | None = None
    birth_date_sent: bool = False


@dataclass(frozen=True)
class NewClient:
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    phone: str = ""
    address_lines: tuple[str, ...] = ()
    locality: str = ""
    administrative_area: str = ""
    postal_code: str = ""
    notes: str = ""
    family: tuple[Relative, ...] = ()
    # None: the screen did not show the address, notes and family (an older page): leave them
    details: bool = True


def client_details(info: NewClient, keep: clients_pb2.Client | None = None) -> clients_pb2.Client:
    """The address, notes and family members of the client screen as a clients.v1 Client
    (`keep`: the stored client, whose members' birth dates stay when the screen sent none)."""
    born = {m.name: m.birth_date for m in keep.family_members} if keep else {}
    client = clients_pb2.Client(notes=info.notes.strip())
    address = client.postal_address
    address.address_lines.extend(x.strip() for x in info.address_lines if x.strip())
    address.locality, address.administrative_area = info.locality.strip(), info.administrative_area.strip()
    address.postal_code = info.postal_code.strip()
    if keep is not None and keep.postal_address.region_code:
        address.region_code = keep.postal_address.region_code
    for r in info.family:
        if not (r.given_name.strip() or r.family_name.strip()):
            continue
        member = client.family_members.add(
            name=r.name, given_name=r.given_name.strip(), family_name=r.family_name.strip()
        )
        member.relationship = r.relationship  # type: ignore[assignment]
        if r.birth_date_sent:
            if r.birth_date is not None:
                b = r.birth_date
                member.birth_date.CopyFrom(date_pb2.Date(year=b.year, month=b.month, day=b.day))
        elif r.name in born:
            member.birth_date.CopyFrom(born[r.name])
    return client
