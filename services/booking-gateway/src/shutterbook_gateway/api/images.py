"""The marketing images studios upload for their types, and the studio's logo (kept by
scheduling), served to the booking page from the gateway's own origin:

    /book/images/{company_id}/session-types/{type_id}/{etag}
    /book/images/{company_id}/appointment-types/{type_id}/{etag}
    /book/images/{company_id}/logo/{etag}

`etag` is the SHA-256 of the image (the type's `online.marketing_image_etag`): a new image has a
new address, so an image is cached for good by browsers and, a few dozen of them (32 MiB), here (a page
of types does not ask scheduling once per visitor). No key: the images are the studio's public
marketing, and the page's `<img>` sends no header. An address that names no stored image (or
an older one) is 404; a malformed one is 404 before anything is asked."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import grpc
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.identity import Caller, CallerKind

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ETAG = re.compile(r"^[0-9a-f]{64}$")
COLLECTIONS = {"session-types": "sessionTypes", "appointment-types": "appointmentTypes"}
CACHE_BYTES = 32 * 1024 * 1024
IMAGE_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
}
SERVICE = "gateway-images"
LOGO = "companyProfile/logo"


class ImageCache:
    """The last images served, by address (their content never changes under one), at most
    `limit` bytes of them."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self.size = 0
        self.images: OrderedDict[tuple[str, ...], tuple[str, bytes]] = OrderedDict()

    def get(self, key: tuple[str, ...]) -> tuple[str, bytes] | None:
        found = self.images.get(key)
        if found is not None:
            self.images.move_to_end(key)
        return found

    def put(self, key: tuple[str, ...], image: tuple[str, bytes]) -> None:
        if key in self.images:
            return
        self.images[key] = image
        self.size += len(image[1])
        while self.size > self.limit:
            self.size -= len(self.images.popitem(last=False)[1][1])


CACHE = ImageCache()


def _missing() -> Response[bytes]:
    return Response(b"not found", status_code=404, media_type="text/plain", headers={"Cache-Control": "no-store"})


async def _fetch(up: Upstreams, company_id: str, name: str) -> pb.MarketingImage | pb.CompanyLogo | None:
    """A type's marketing image, or (`name` "companyProfile/logo") the company's logo."""
    metadata = call_metadata(Caller(company_id, CallerKind.SERVICE, SERVICE))
    try:
        if name == LOGO:
            return await up.scheduling.GetCompanyLogo(
                pb.GetCompanyLogoRequest(name=name), metadata=metadata, timeout=up.deadlines.read
            )
        image: pb.MarketingImage = await up.scheduling.GetMarketingImage(
            pb.GetMarketingImageRequest(name=name), metadata=metadata, timeout=up.deadlines.read
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            return None
        raise
    return image


async def _serve(request: Request[Any, Any, State], key: tuple[str, ...], name: str, etag: str) -> Response[bytes]:
    found = CACHE.get(key)
    if found is None:
        up: Upstreams = request.app.state.upstreams
        image = await _fetch(up, key[0], name)
        if image is None or image.etag != etag:
            return _missing()
        found = (image.content_type, image.data)
        CACHE.put(key, found)
    return Response(found[1], media_type=found[0], headers=IMAGE_HEADERS)


@get("/book/images/{company_id:str}/{collection:str}/{type_id:str}/{etag:str}", include_in_schema=False)
async def marketing_image(
    request: Request[Any, Any, State],
    company_id: FromPath[str],
    collection: FromPath[str],
    type_id: FromPath[str],
    etag: FromPath[str],
) -> Response[bytes]:
    if not (UUID.match(company_id) and UUID.match(type_id) and ETAG.match(etag) and collection in COLLECTIONS):
        return _missing()
    name = f"{COLLECTIONS[collection]}/{type_id}/marketingImage"
    return await _serve(request, (company_id, collection, type_id, etag), name, etag)


@get("/book/images/{company_id:str}/logo/{etag:str}", include_in_schema=False)
async def company_logo(
    request: Request[Any, Any, State], company_id: FromPath[str], etag: FromPath[str]
) -> Response[bytes]:
    if not (UUID.match(company_id) and ETAG.match(etag)):
        return _missing()
    return await _serve(request, (company_id, "logo", etag), LOGO, etag)


def image_url(base_url: str, company_id: str, collection: str, type_id: str, etag: str) -> str:
    return f"{base_url}/book/images/{company_id}/{collection}/{type_id}/{etag}"


def logo_url(base_url: str, company_id: str, etag: str) -> str:
    return f"{base_url}/book/images/{company_id}/logo/{etag}"
