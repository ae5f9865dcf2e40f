"""The API docs: Scalar at /docs and Swagger UI at /docs/swagger, with their scripts and styles
served by the gateway from `web/docs/` (vendored, pinned and checksummed by
scripts/refresh_vendored_assets.py docs), so the docs work on a machine without internet and load
nothing from a CDN."""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

DOCS_ASSETS = Path(__file__).resolve().parent.parent / "web" / "docs"
ASSETS_PATH = "/docs/assets"
FAVICON = f'<link rel="icon" href="{ASSETS_PATH}/favicon.svg" type="image/svg+xml">'


def render_plugins() -> list[OpenAPIRenderPlugin]:
    return [
        ScalarRenderPlugin(
            js_url=f"{ASSETS_PATH}/scalar/standalone.js",
            css_url=f"{ASSETS_PATH}/scalar.css",
            favicon=FAVICON,
            # no fonts from Scalar's CDN, no telemetry: the page loads from the gateway only
            options={"withDefaultFonts": False, "telemetry": False, "hideClientButton": True},
        ),
        SwaggerRenderPlugin(
            path="/swagger",
            js_url=f"{ASSETS_PATH}/swagger-ui/swagger-ui-bundle.js",
            css_url=f"{ASSETS_PATH}/swagger-ui/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui/swagger-ui-standalone-preset.js",
            favicon=FAVICON,
        ),
    ]


def docs_assets_router() -> Router:
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[DOCS_ASSETS],
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=3600, public=True),
        name="docs-assets",
    )
