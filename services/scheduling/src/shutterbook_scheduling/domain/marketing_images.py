"""What a marketing image may be: a JPEG, PNG or WebP of at most 2 MiB whose bytes are of the
format it claims (the booking page serves it with that type; bytes of another kind are refused
rather than served under a false name), and the plain objects of one: the image and the type
it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_BYTES = 2 * 1024 * 1024
IMAGE_SUFFIX = "/marketingImage"  # a type's image is the singleton `{type}/marketingImage`
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


@dataclass(frozen=True)
class BookingTypeRef:
    """The session or appointment type an image belongs to: its kind ("session",
    "appointment"), id and resource name (`sessionTypes/{id}`: the audit trail's record)."""

    kind: str
    type_id: str
    name: str

    @property
    def image_name(self) -> str:
        """The image's resource name (`sessionTypes/{id}/marketingImage`)."""
        return self.name + IMAGE_SUFFIX


@dataclass(frozen=True)
class MarketingImage:
    """A type's image: its bytes are named by their SHA-256 (`etag`, also kept on the type as
    `online.marketing_image_etag`)."""

    content_type: str
    data: bytes
    etag: str
    update_time: datetime
