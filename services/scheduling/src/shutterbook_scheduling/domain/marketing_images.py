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


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def image_problems(
    content_type: str, data: bytes, *, allowed: tuple[str, ...] = tuple(SIGNATURES), max_bytes: int = MAX_BYTES
) -> dict[str, str]:
    """Field ("content_type", "data") -> what is wrong; empty when the image may be stored.
    `allowed` (of SIGNATURES' types) and `max_bytes` narrow what is accepted."""
    if content_type not in allowed:
        kinds = ", ".join(allowed[:-1]) + " or " + allowed[-1] if len(allowed) > 1 else allowed[0]
        return {"content_type": f"must be {kinds}"}
    if not data:
        return {"data": "is required"}
    if len(data) > max_bytes:
        return {"data": f"must be at most {_size(max_bytes)}"}
    if not _matches(content_type, data):
        return {"data": f"is not a {content_type.removeprefix('image/').upper()} image"}
    return {}
