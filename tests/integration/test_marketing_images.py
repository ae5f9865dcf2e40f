"""A type's marketing image, uploaded to scheduling and served by the gateway to the booking
page, over real services: a PNG is stored and named on the type by its SHA-256; the gateway's
type answer points at its own address for it, which serves exactly those bytes (cached for
good) and 404s another etag; bytes that are not what they claim, an unknown format or a file
over 2 MiB are refused naming the field, and leave the stored image as it was; another
company's image does not exist; a removed image is gone from the type."""

from __future__ import annotations

import hashlib
import struct
import zlib

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.caller_keys import caller_metadata
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_kit.identity import Caller, CallerKind, Role
from tests.helpers import COMPANY_A, COMPANY_B
from tests.stack_support import booking_stack, offer_online

A = company_metadata(COMPANY_A)
B = company_metadata(COMPANY_B)


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _violations(err: grpc.aio.AioRpcError) -> list[str]:
    details = dict(err.trailing_metadata() or ()).get("grpc-status-details-bin")
    assert isinstance(details, bytes)
    fields: list[str] = []
    for packed in status_pb2.Status.FromString(details).details:
        if packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            packed.Unpack(bad)
            fields += [v.field for v in bad.field_violations]
    return fields


async def test_an_uploaded_image_is_served_to_the_booking_page(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack, slots=1)
        scheduling = stack.services.scheduling
        name = f"{offer.studio.session_type.name}/marketingImage"
        type_request = pb.GetSessionTypeRequest(name=offer.studio.session_type.name)
        image = png()
        manager = caller_metadata(Caller(COMPANY_A, CallerKind.STAFF, "m1", roles=frozenset({Role.MANAGER})))
        stored = await scheduling.UpdateMarketingImage(
            pb.UpdateMarketingImageRequest(
                marketing_image=pb.MarketingImage(name=name, content_type="image/png", data=image)
            ),
            metadata=manager,
        )
        etag = hashlib.sha256(image).hexdigest()
        assert (stored.etag, stored.size_bytes, stored.data) == (etag, len(image), b"")
        typed = await scheduling.GetSessionType(type_request, metadata=A)
        assert typed.online.marketing_image_etag == etag
        assert typed.online.available_online  # the rest of the settings untouched

        bad = {
            "marketing_image.data": [
                pb.MarketingImage(name=name, content_type="image/jpeg", data=image),  # PNG bytes called JPEG
                pb.MarketingImage(name=name, content_type="image/png", data=image + b"\0" * (2 * 1024 * 1024)),
                pb.MarketingImage(name=name, content_type="image/png"),
            ],
            "marketing_image.content_type": [pb.MarketingImage(name=name, content_type="image/svg+xml", data=image)],
        }
        for field, images in bad.items():
            for wrong in images:
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await scheduling.UpdateMarketingImage(
                        pb.UpdateMarketingImageRequest(marketing_image=wrong), metadata=manager
                    )
                assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                assert _violations(refused.value) == [field]
        desk = caller_metadata(Caller(COMPANY_A, CallerKind.STAFF, "d1", roles=frozenset({Role.FRONT_DESK})))
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await scheduling.UpdateMarketingImage(
                pb.UpdateMarketingImageRequest(
                    marketing_image=pb.MarketingImage(name=name, content_type="image/png", data=image)
                ),
                metadata=desk,
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as elsewhere:
            await scheduling.GetMarketingImage(
                pb.GetMarketingImageRequest(name=name), metadata=company_metadata(COMPANY_B)
            )
        assert elsewhere.value.code() == grpc.StatusCode.NOT_FOUND

        answer = await http.get(f"/v1/session-types/{offer.type_id}", headers=stack.headers())
        assert answer.status_code == 200, answer.text
        url = answer.json()["marketing_image_url"]
        assert url.endswith(f"/book/images/{COMPANY_A}/session-types/{offer.type_id}/{etag}")
        path = url[url.index("/book/images/") :]
        served = await http.get(path)
        assert served.status_code == 200
        assert served.content == image
        assert served.headers["content-type"] == "image/png"
        assert "immutable" in served.headers["cache-control"]
        assert served.headers["x-content-type-options"] == "nosniff"
        assert (await http.get(path.replace(etag, "0" * 64))).status_code == 404
        assert (await http.get(path.replace(COMPANY_A, COMPANY_B))).status_code == 404
        assert (await http.get(path.replace("session-types", "nonsense"))).status_code == 404

        await scheduling.DeleteMarketingImage(pb.DeleteMarketingImageRequest(name=name), metadata=manager)
        typed = await scheduling.GetSessionType(type_request, metadata=A)
        assert typed.online.marketing_image_etag == ""
        with pytest.raises(grpc.aio.AioRpcError) as gone:
            await scheduling.GetMarketingImage(pb.GetMarketingImageRequest(name=name), metadata=A)
        assert gone.value.code() == grpc.StatusCode.NOT_FOUND
