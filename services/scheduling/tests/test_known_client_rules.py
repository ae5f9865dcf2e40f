"""The known-client aggregate's rules, pure (no database, no server): names, ids, which version
wins, who may be booked; and the API edge's reading of a client message and making of a
KnownClient message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import InvalidArgument
from shutterbook_scheduling.api import known_client_convert
from shutterbook_scheduling.api.known_client_convert import client_version
from shutterbook_scheduling.domain.known_clients import (
    ClientVersion,
    KnownClient,
    KnownMember,
    client_display_name,
    ensure_takes,
    event_takes,
    is_canonical_uuid,
    member_display_name,
)

CLIENT = "5b0e8d52-1c4a-4e55-9a4e-0b6c0c6f1a01"
MEMBER = "5b0e8d52-1c4a-4e55-9a4e-0b6c0c6f1a02"
AT = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _held(
    name: str = "Ada Lovelace",
    *,
    deleted: bool = False,
    merged_into: str = "",
    members: tuple[KnownMember, ...] = (),
) -> KnownClient:
    return KnownClient(CLIENT, name, "", AT, AT, deleted, merged_into, members)


def _version(at: datetime) -> ClientVersion:
    return ClientVersion(CLIENT, "Ada Lovelace", "", at)


def test_names() -> None:
    assert client_display_name("Ada", "Lovelace", "") == "Ada Lovelace"
    assert client_display_name("Ada", "", "") == "Ada"
    assert client_display_name("Ada", "Lovelace", "The Lovelaces") == "The Lovelaces"
    assert member_display_name("Byron", "", "Lovelace") == "Byron Lovelace"
    assert member_display_name("Byron", "King", "Lovelace") == "Byron King"
    assert member_display_name("", "", "") == ""


def test_canonical_uuid() -> None:
    assert is_canonical_uuid(CLIENT)
    assert not is_canonical_uuid(CLIENT.upper())
    assert not is_canonical_uuid(CLIENT.replace("-", ""))
    assert not is_canonical_uuid("x")


def test_an_event_takes_a_version_unless_older() -> None:
    assert event_takes(_held(), _version(AT))
    assert event_takes(_held(), _version(AT + timedelta(seconds=1)))
    assert not event_takes(_held(), _version(AT - timedelta(seconds=1)))
    assert event_takes(_held(name=""), _version(AT - timedelta(seconds=1)))  # nothing held yet


def test_ensure_takes_only_a_newer_version() -> None:
    assert not ensure_takes(_held(), _version(AT))
    assert ensure_takes(_held(), _version(AT + timedelta(seconds=1)))
    assert not ensure_takes(_held(), _version(AT - timedelta(seconds=1)))
    assert ensure_takes(_held(name=""), _version(AT - timedelta(seconds=1)))


def test_usable_and_learned() -> None:
    assert _held().usable
    assert _held().learned
    assert not _held(deleted=True).usable
    assert not _held(merged_into=MEMBER).usable
    assert not _held(name="").learned


def _client() -> clients_pb2.Client:
    client = clients_pb2.Client(
        name=f"clients/{CLIENT}", given_name="Ada", family_name="Lovelace", emails=["ada@example.com", "b@example.com"]
    )
    client.update_time.FromDatetime(AT)
    client.family_members.add(name=f"clients/{CLIENT}/familyMembers/{MEMBER}", given_name="Byron")
    return client


def test_client_version_reads_the_clients_message() -> None:
    version = client_version(_client())
    assert version == ClientVersion(
        CLIENT, "Ada Lovelace", "ada@example.com", AT, (KnownMember(MEMBER, "Byron Lovelace"),)
    )
    deleted = _client()
    deleted.delete_time.FromDatetime(AT)
    assert client_version(deleted).deleted


def test_ensure_request_is_checked_at_the_edge() -> None:
    request = pb.EnsureKnownClientRequest(client=_client())
    assert known_client_convert.ensure_request_version(request).client_id == CLIENT
    with pytest.raises(InvalidArgument):
        known_client_convert.ensure_request_version(pb.EnsureKnownClientRequest())
    bad = _client()
    bad.name = "clients/not-a-uuid"
    with pytest.raises(InvalidArgument):
        known_client_convert.ensure_request_version(pb.EnsureKnownClientRequest(client=bad))


def test_known_client_message() -> None:
    known = _held(merged_into=MEMBER, members=(KnownMember(MEMBER, "Byron Lovelace"),))
    msg = known_client_convert.known_client_message(known)
    assert msg.name == f"knownClients/{CLIENT}"
    assert msg.client == f"clients/{CLIENT}"
    assert msg.merged_into == f"clients/{MEMBER}"
    assert not msg.deleted
    assert [m.name for m in msg.family_members] == [f"clients/{CLIENT}/familyMembers/{MEMBER}"]
    assert msg.update_time.ToDatetime(tzinfo=UTC) == AT
