"""The public booking page: plain HTML, CSS and JavaScript modules served by the gateway itself
(no build step, no CDN), so the page and the API it calls share one origin and need no CORS.

    /book                                  type -> day -> slot -> details -> pay -> confirmation
    /book/session-types/{id}               the same, type selection skipped ("Copy Online Booking URL")
    /book/appointment-types/{id}
    /book/manage/{booking_id}#token=...    view, reschedule, cancel (the token stays in the fragment,
                                           which browsers never send to a server or in a Referer)
    /book/embed.js                         a partner's <script> tag inserts the page as an iframe
    /book/static/...                       the page's assets
    /picture-day#code=...                  the picture day portal (issue 21; the code stays in the fragment)

The key comes from `?key=` and is sent by the page as `X-Api-Key`; it is a publishable key
(`pbk_`, api/publishable.py: catalog and booking routes only, from listed origins), scoped and
rate limited by the API. A secret key (`sbk_`) in a page link is refused with a page saying so.

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
from typing import Annotated, Any

from litestar import MediaType, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter
from litestar.router import Router
from litestar.static_files import create_static_files_router

from shutterbook_gateway.application.api_keys import is_secret_key

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


# A page link with a secret key in it: refused, so the key is not used (and the studio learns
# to issue a publishable one). The page's stylesheet only: the CSP allows no inline style.
SECRET_KEY_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Booking unavailable</title><link rel="stylesheet" href="/book/static/app.css"></head>
<body><header class="site-header"><h1>This booking link cannot be used</h1></header><main class="app">
<p>The link carries a secret API key, which must never appear in a web address.
Please ask the studio for its booking page link.</p>
<p>Studios: issue a publishable key for booking pages
(<code>keys issue --publishable --origin https://your-site.example</code>),
use it in the link, and revoke the secret key that was shared.</p></main></body></html>
"""
PageKey = Annotated[str, QueryParameter(name="key", max_length=300)]


def _page(key: str) -> Response[bytes]:
    if is_secret_key(key):
        return Response(SECRET_KEY_PAGE, status_code=400, media_type=MediaType.HTML, headers=PAGE_HEADERS)
    return Response(_read("index.html"), media_type=MediaType.HTML, headers=PAGE_HEADERS)


@get("/book", include_in_schema=False, name="book-page")
async def book_page(key: PageKey = "") -> Response[bytes]:
    return _page(key)


@get("/book/session-types/{type_id:str}", include_in_schema=False, name="book-session-type-page")
async def book_session_type_page(key: PageKey = "") -> Response[bytes]:
    return _page(key)


@get("/book/appointment-types/{type_id:str}", include_in_schema=False, name="book-appointment-type-page")
async def book_appointment_type_page(key: PageKey = "") -> Response[bytes]:
    return _page(key)


@get("/book/manage/{booking_id:str}", include_in_schema=False, name="book-manage-page")
async def book_manage_page(key: PageKey = "") -> Response[bytes]:
    return _page(key)


@get("/picture-day", include_in_schema=False, name="picture-day-page")
async def picture_day_page(key: PageKey = "") -> Response[bytes]:
    """The picture day portal (issue 21): the family's code stays in the fragment, `#code=...`."""
    if is_secret_key(key):
        return Response(SECRET_KEY_PAGE, status_code=400, media_type=MediaType.HTML, headers=PAGE_HEADERS)
    return Response(_read("picture-day.html"), media_type=MediaType.HTML, headers=PAGE_HEADERS)


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
    picture_day_page,
    _static_router(),
]
