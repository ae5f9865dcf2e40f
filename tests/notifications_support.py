"""Helpers of the notifications tests: the service in this process on a loopback port, sending
to a real SMTP server (the devstack's sink) started by the test."""

from __future__ import annotations

import email.policy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from email.message import EmailMessage

import grpc

from shutterbook.notifications.v1 import notifications_pb2 as npb
from shutterbook.notifications.v1 import notifications_pb2_grpc
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, running, service_settings
from shutterbook_kit.consumer import EventConsumer
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_notifications import main as notifications_main
from shutterbook_notifications.domain.delivery import RetryPolicy
from shutterbook_notifications.settings import NotificationSettings, SmtpSettings


@dataclass
class Notifications:
    stub: notifications_pb2_grpc.NotificationsServiceAsyncStub
    database_url: str
    port: int
    host: ServiceHost

    def consumer(self, stream: str) -> EventConsumer:
        """The consumer of one stream: `clients`, `scheduling` or `gateway`."""
        return next(c for c in self.host.parts.consumers if c.stream.domain == stream)

    async def messages(self, company: str, *, client: str = "", session: str = "") -> list[npb.Message]:
        reply = await self.stub.ListMessages(
            npb.ListMessagesRequest(client=client, session=session), metadata=company_metadata(company)
        )
        return list(reply.messages)


@asynccontextmanager
async def notifications_service(
    databases: DatabaseFactory,
    nats_url: str,
    smtp: MailSink,
    scheduling_port: int,
    *,
    database_url: str = "",
    retry_base_seconds: float = 0.2,
    max_attempts: int = 8,
    billing_port: int = 0,
    company_name: str = "",
) -> AsyncIterator[Notifications]:
    """The service on a fresh migrated database (or the given one: a replica). Without
    `billing_port`, billing is a loopback port nobody listens on (only letters that print
    `balance`, and session confirmations, call it)."""
    url = database_url or await databases.new("notifications", migrate_with=notifications_main.MIGRATIONS)
    upstreams = {"scheduling": f"127.0.0.1:{scheduling_port}", "billing": f"127.0.0.1:{billing_port or 9}"}
    base = service_settings("notifications", url, nats_url, upstreams=upstreams)
    settings = NotificationSettings(
        service=replace(base, consumer_ack_wait_seconds=5.0),
        smtp=SmtpSettings(host=smtp.host, port=smtp.port, timeout_seconds=3.0),
        retry=RetryPolicy(max_attempts=max_attempts, base_seconds=retry_base_seconds, max_seconds=1.0),
        send_interval_seconds=0.1,
        send_lease_seconds=10.0,
        company_name=company_name,
    )
    host = notifications_main.build(settings)
    async with running(host), grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
        yield Notifications(notifications_pb2_grpc.NotificationsServiceStub(channel), url, host.port, host)


def mails(sink: MailSink, to: str = "") -> list[EmailMessage]:
    """The messages the sink received (for `to`, when given), oldest first."""
    found = [e.message() for e in reversed(sink.messages())]
    return [m for m in found if not to or to in str(m["To"])]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


def attachment(message: EmailMessage, filename: str) -> bytes:
    for part in message.iter_attachments():
        if part.get_filename() == filename:
            data = part.get_content()
            return data if isinstance(data, bytes) else str(data).encode()
    raise AssertionError(f"no attachment {filename}")


POLICY = email.policy.default
