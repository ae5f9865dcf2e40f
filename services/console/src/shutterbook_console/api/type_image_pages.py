"""A type's marketing image in the console (reference page 05, "Online Booking 2"): uploaded
from the Online Booking tab, stored by scheduling (which refuses anything but a JPEG, PNG or
WebP of at most 2 MiB, its bytes checked), shown back to the manager, and removable. The
booking page gets it from the gateway (`/book/images/...`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.api.letter_pages import NO_STORE
from shutterbook_console.api.type_pages import (
    TYPE_ID,
    LoadedType,
    editor_page,
    loaded_type,
    manager_session,
    refused,
    upstreams_of,
)
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.domain.type_form import KINDS, form_values
from shutterbook_console.upstreams import UpstreamError

MAX_UPLOAD = 2 * 1024 * 1024
TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}
# a little over the image limit: the form's other parts and the multipart framing
BODY_LIMIT = MAX_UPLOAD + 64 * 1024


def _image_name(collection: str, type_id: str) -> str:
    return f"{KINDS[collection]}/{type_id}/marketingImage"


@get("/types/{collection:str}/{type_id:str}/image", include_in_schema=False)
async def type_image(
    request: Request[Any, Any, State], collection: FromPath[str], type_id: FromPath[str]
) -> Response[bytes] | Redirect | Template:
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    if collection not in KINDS or not TYPE_ID.match(type_id):
        return Response(b"not found", status_code=404, media_type="text/plain")
    up = upstreams_of(request)
    try:
        image = await up.call(
            up.scheduling.GetMarketingImage,
            pb.GetMarketingImageRequest(name=_image_name(collection, type_id)),
            session.staff.caller(),
        )
    except UpstreamError as exc:
        status, _ = refused(exc)
        return Response(b"no image", status_code=status, media_type="text/plain")
    return image_response(image.data, image.content_type)


def image_response(data: bytes, content_type: str) -> Response[bytes]:
    """An uploaded image shown back to staff: never cached, never sniffed, never a document."""
    headers = {**NO_STORE, "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}
    return Response(data, media_type=content_type, headers=headers)


async def read_upload(form: Any, field: str, kinds: dict[str, str], limit: int, what: str) -> tuple[str, bytes, str]:
    """(content type, bytes, what is wrong) of the file the form carries in `field`; `kinds`:
    the content types accepted and their names ("image/png": "PNG"), `what`: "image", "logo"."""
    names = list(kinds.values())
    spoken = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    upload = form.get(field)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return "", b"", f"Choose a {spoken} file to upload."
    if upload.content_type not in kinds:
        return "", b"", f"Choose a {spoken} image."
    data = await upload.read(limit + 1)
    if len(data) > limit:
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
        return "", b"", f"The {what} is larger than {size}: choose a smaller one."
    return upload.content_type, data, ""


@post("/types/{collection:str}/{type_id:str}/image", include_in_schema=False, request_max_body_size=BODY_LIMIT)
async def type_image_submit(
    request: Request[Any, Any, State], collection: FromPath[str], type_id: FromPath[str]
) -> Template | Redirect:
    loaded = await loaded_type(request, collection, type_id)
    if not isinstance(loaded, LoadedType):
        return loaded
    session, t, choices = loaded.session, loaded.t, loaded.choices
    up, caller, name = upstreams_of(request), session.staff.caller(), _image_name(collection, type_id)
    form = await request.form()
    problem = ""
    try:
        if form.get("remove"):
            await up.call(up.scheduling.DeleteMarketingImage, pb.DeleteMarketingImageRequest(name=name), caller)
            return Redirect(f"/types/{collection}/{type_id}?tab=online&done=image_removed", headers=NO_STORE)
        content_type, data, problem = await read_upload(form, "marketing_image", TYPES, MAX_UPLOAD, "image")
        if not problem:
            image = pb.MarketingImage(name=name, content_type=content_type, data=data)
            request_message = pb.UpdateMarketingImageRequest(marketing_image=image)
            await up.call(up.scheduling.UpdateMarketingImage, request_message, caller)
            return Redirect(f"/types/{collection}/{type_id}?tab=online&done=image", headers=NO_STORE)
    except UpstreamError as exc:
        if not exc.violations:
            status, message = refused(exc)
            return await editor_page(request, session, status, collection, t=None, error=message)
        problem = exc.violations[0].description
        problem = f"The image {problem}." if not problem.startswith("The") else problem
    return await editor_page(
        request,
        session,
        422,
        collection,
        t=t,
        c=choices,
        tab="online",
        v=form_values(t, choices.currency),
        errors={"marketing_image": problem},
        error="Not saved: please correct the field marked below.",
    )


TYPE_IMAGE_HANDLERS = [type_image, type_image_submit]
