"""What a marketing image may be: a JPEG, PNG or WebP of at most 2 MiB whose bytes are of the
format it claims (the booking page serves it with that type; bytes of another kind are refused
rather than served under a false name)."""

from __future__ import annotations

MAX_BYTES = 2 * 1024 * 1024
SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


def _matches(content_type: str, data: bytes) -> bool:
    if content_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return data.startswith(SIGNATURES[content_type])


def image_problems(content_type: str, data: bytes) -> dict[str, str]:
    """Field ("content_type", "data") -> what is wrong; empty when the image may be stored."""
    if content_type not in SIGNATURES:
        return {"content_type": "must be image/jpeg, image/png or image/webp"}
    if not data:
        return {"data": "is required"}
    if len(data) > MAX_BYTES:
        return {"data": f"must be at most {MAX_BYTES // (1024 * 1024)} MiB"}
    if not _matches(content_type, data):
        return {"data": f"is not a {content_type.removeprefix('image/').upper()} image"}
    return {}
