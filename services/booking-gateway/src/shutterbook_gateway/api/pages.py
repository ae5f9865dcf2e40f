"""The public booking page: plain HTML, CSS and JavaScript modules served by the gateway itself
(no build step, no CDN), so the page and the API it calls share one origin and need no CORS.

    /book                                  type -> day -> slot -> details -> pay -> confirmation
    /book/session-types/{id}               the same, type selection skipped ("Copy Online Booking URL")
    /book/appointment-types/{id}
    /book/manage/{booking_id}#token=...    view, reschedule, cancel (the token stays in the fragment,
                                           which browsers never send to a server or in a Referer)
    /book/embed.js                         a partner's <script> tag inserts the page as an iframe
    /book/static/...                       the page's assets

The partner key comes from `?key=` and is sent by the page as `X-Api-Key`; it is a publishable key
(it is in the partner's HTML anyway), scoped and rate limited by the API.

Embedding: the page is meant to be framed by any partner site, so there is no X-Frame-Options and
the Content-Security-Policy says `frame-ancestors *`. Clickjacking is not a concern worth refusing
frames for: nothing on the page acts without the visitor typing their own details, and a partner
that wanted to mislead its visitors could as well call the API directly with its key. The rest of
the policy locks the page itself down: scripts, styles and API calls only from this origin (no
inline script or style), images from this origin or https (marketing images live elsewhere), no
plugins, no <base>. `Referrer-Policy: no-referrer` keeps the partner key in the query string out
of requests to image hosts. A real payment provider's card element would need its origin added to
script-src / frame-src / connect-src.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from litestar import MediaType, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.handlers import HTTPRouteHandler
from litestar.router import Router
from litestar.static_files import create_static_files_router

WEB = Path(__file__).resolve().parent.parent / "web"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors *",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
EMBED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=300",
    # partner pages that isolate themselves (COEP) may still load the script
    "Cross-Origin-Resource-Policy": "cross-origin",
}


@cache
def _read(name: str) -> bytes:
    return (WEB / name).read_bytes()


def _page() -> Response[bytes]:
    return Response(_read("index.html"), media_type=MediaType.HTML, headers=PAGE_HEADERS)


@get("/book", include_in_schema=False, name="book-page")
async def book_page() -> Response[bytes]:
    return _page()


@get("/book/session-types/{type_id:str}", include_in_schema=False, name="book-session-type-page")
async def book_session_type_page() -> Response[bytes]:
    return _page()


@get("/book/appointment-types/{type_id:str}", include_in_schema=False, name="book-appointment-type-page")
async def book_appointment_type_page() -> Response[bytes]:
    return _page()


@get("/book/manage/{booking_id:str}", include_in_schema=False, name="book-manage-page")
async def book_manage_page() -> Response[bytes]:
    return _page()


@get("/book/embed.js", include_in_schema=False, name="book-embed-script")
async def book_embed_script() -> Response[bytes]:
    return Response(_read("embed.js"), media_type="text/javascript", headers=EMBED_HEADERS)


async def _static_headers(response: Response[Any]) -> Response[Any]:
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _static_router() -> Router:
    return create_static_files_router(
        path="/book/static",
        directories=[WEB / "static"],
        name="book-static",
        cache_control=CacheControlHeader(no_cache=True),
        after_request=_static_headers,
        include_in_schema=False,
    )


PAGE_HANDLERS: list[HTTPRouteHandler | Router] = [
    book_page,
    book_session_type_page,
    book_appointment_type_page,
    book_manage_page,
    book_embed_script,
    _static_router(),
]
