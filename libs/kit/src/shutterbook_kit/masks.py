"""Update masks (AIP-134): the paths a request's `update_mask` names, checked against the
resource's message (unknown and output-only paths are violations of `update_mask`; an empty mask
is every writable field). An API edge hands the plain list of paths to a use case that applies
it to its domain object; a use case still working on messages merges them (scheduling's
`application/common.apply_mask`)."""

from __future__ import annotations

from google.protobuf import field_mask_pb2
from google.protobuf.descriptor import Descriptor

from shutterbook_kit.errors import Violations

OUTPUT_ONLY = frozenset({"name", "create_time", "update_time"})


def mask_paths(
    descriptor: Descriptor,
    mask: field_mask_pb2.FieldMask,
    *,
    output_only: frozenset[str] = OUTPUT_ONLY,
    writable: frozenset[str] | None = None,
) -> list[str]:
    """The paths to apply: the mask's, or every writable top-level field of the message when it
    is empty. A path that is no field of the message, or names an output-only (or, with
    `writable`, an unwritable) field, is a violation of `update_mask`."""
    paths = list(mask.paths)
    if not paths:
        paths = [f.name for f in descriptor.fields if f.name not in output_only]
        if writable is not None:
            paths = [p for p in paths if p in writable]
    violations = Violations()
    for path in paths:
        top = path.split(".")[0]
        if not field_mask_pb2.FieldMask(paths=[path]).IsValidForDescriptor(descriptor):
            violations.add("update_mask", f"{path} is not a field of {descriptor.name}")
        elif top in output_only or (writable is not None and top not in writable):
            violations.add("update_mask", f"{path} cannot be updated")
    violations.raise_if_any()
    return paths
