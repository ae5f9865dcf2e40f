"""The vendored front-end assets are exactly what scripts/refresh_vendored_assets.py verified
and recorded (no network: the check compares the files with each bundle's CHECKSUMS.sha256),
each package pinned and each bundle carrying its licences, in the folder its service serves."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from shutterbook_console.app import WEB
from shutterbook_gateway.api.docs import DOCS_ASSETS

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "refresh_vendored_assets.py"

EXPECTED = {
    "console": {
        "event-calendar/event-calendar.min.js",
        "event-calendar/event-calendar.min.css",
        "event-calendar/LICENSE",
    },
    "docs": {"scalar/standalone.js", "scalar/LICENSE", "swagger-ui/swagger-ui-bundle.js", "swagger-ui/LICENSE"},
}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_vendored_assets", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # dataclasses look their module up
    try:
        spec.loader.exec_module(script)
    finally:
        del sys.modules[spec.name]
    return script


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bundle_matches_its_checksums_is_pinned_and_carries_licences(name: str) -> None:
    script = _script()
    bundle = script.BUNDLES[name]
    assert bundle.target.is_dir()
    assert script.check(bundle) == []
    listed = {line.split("  ", 1)[1] for line in bundle.checksums.read_text().splitlines()}
    assert EXPECTED[name] <= listed
    for package in bundle.packages:  # pinned: a version and an integrity digest, never "latest"
        assert package.version[0].isdigit()
        assert package.integrity.startswith("sha512-")


def test_each_bundle_is_a_folder_its_service_serves() -> None:
    bundles = _script().BUNDLES
    assert bundles["docs"].target == DOCS_ASSETS
    assert bundles["console"].target == WEB / "static" / "vendor"


def test_a_changed_or_missing_vendored_file_is_reported(tmp_path: Path) -> None:
    script = _script()
    real = script.BUNDLES["console"]
    copy = script.Bundle(tmp_path, real.packages)
    copy.checksums.write_text(real.checksums.read_text())
    for line in real.checksums.read_text().splitlines():
        target = line.split("  ", 1)[1]
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / target).write_bytes((real.target / target).read_bytes())
    assert script.check(copy) == []
    (tmp_path / "event-calendar/event-calendar.min.js").write_text("alert(1)")
    (tmp_path / "event-calendar/LICENSE").unlink()
    assert sorted(script.check(copy)) == [
        "changed event-calendar/event-calendar.min.js",
        "missing event-calendar/LICENSE",
    ]
