"""Vendor the front-end assets the services serve themselves, so no page loads anything from a
CDN and nothing needs a Node build:

- `console`: the staff console's calendar widget (@event-calendar/build) into
  services/console/.../web/static/vendor/
- `docs`: the gateway's API docs (Scalar at /docs, Swagger UI at /docs/swagger) into
  services/booking-gateway/.../web/docs/

Each package is pinned to a version and to the tarball's npm `integrity` (SHA-512); the script
downloads the tarball from the npm registry, refuses it unless the digest matches, copies the
files needed (and the licence) into the bundle's folder, and writes `CHECKSUMS.sha256` of what
it copied. `--check` verifies the vendored files against that list with no network.

    .venv/bin/python scripts/refresh_vendored_assets.py                  # every bundle
    .venv/bin/python scripts/refresh_vendored_assets.py console          # one bundle
    .venv/bin/python scripts/refresh_vendored_assets.py --check          # verify, offline

To upgrade: change `version` and `integrity` (`npm view <name>@<version> dist.integrity`), run
it, open the page (the calendar; /docs and /docs/swagger), run its e2e tests, commit."""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = "https://registry.npmjs.org"

MIT_EVENT_CALENDAR = """MIT License

Copyright (c) 2020-present Vladimir Kurko

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.

(@event-calendar/build declares "license": "MIT" in its package.json; its npm tarball
carries no licence file, so this is the MIT text of the project's repository with its
author. Source: https://github.com/vkurko/calendar)
"""

MIT_SCALAR = """MIT License

Copyright (c) 2023-present Scalar (https://github.com/scalar)

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.

(@scalar/api-reference declares "license": "MIT" in its package.json; its npm
tarball carries no licence file, so this is the MIT text with its author.
Source: https://github.com/scalar/scalar/tree/main/packages/api-reference)
"""


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity of the tarball
    files: dict[str, str]  # path in the tarball (under package/) -> path under the bundle's folder
    extra: dict[str, str] = field(default_factory=dict)  # path under the folder -> text written as is

    @property
    def tarball(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return f"{REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"


CONSOLE_PACKAGES = [
    Package(
        name="@event-calendar/build",
        version="5.10.1",
        integrity="sha512-iAR/l5oeFwqt7mfjBGsrpTiWFOt8yfI7PxV0OqnGaTzZGxvre2QeI0TNNlTpuefoMPd15qseQlfWpxiORzJOMA==",
        files={
            "dist/event-calendar.min.js": "event-calendar/event-calendar.min.js",
            "dist/event-calendar.min.css": "event-calendar/event-calendar.min.css",
            "package.json": "event-calendar/package.json",
        },
        extra={"event-calendar/LICENSE": MIT_EVENT_CALENDAR},
    ),
]

DOCS_PACKAGES = [
    Package(
        name="@scalar/api-reference",
        version="1.72.1",
        integrity="sha512-XpEJ0rfc/cXbCrR+iC4kK0o/WwX2dTtGQbT049OlPKAHD6IMIFdTeGz2r+M27P2EDWKyUITRm/NzlP8z2pw/Ow==",
        files={"dist/browser/standalone.js": "scalar/standalone.js"},
        extra={"scalar/LICENSE": MIT_SCALAR},
    ),
    Package(
        name="swagger-ui-dist",
        version="5.35.0",
        integrity="sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==",
        files={
            "swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
            "swagger-ui-standalone-preset.js": "swagger-ui/swagger-ui-standalone-preset.js",
            "swagger-ui.css": "swagger-ui/swagger-ui.css",
            "LICENSE": "swagger-ui/LICENSE",
            "NOTICE": "swagger-ui/NOTICE",
        },
    ),
]


@dataclass(frozen=True)
class Bundle:
    """The packages vendored into one folder, with that folder's CHECKSUMS.sha256."""

    target: Path
    packages: list[Package]

    @property
    def checksums(self) -> Path:
        return self.target / "CHECKSUMS.sha256"


BUNDLES = {
    "console": Bundle(ROOT / "services/console/src/shutterbook_console/web/static/vendor", CONSOLE_PACKAGES),
    "docs": Bundle(ROOT / "services/booking-gateway/src/shutterbook_gateway/web/docs", DOCS_PACKAGES),
}


def _verified_tarball(package: Package) -> bytes:
    with urllib.request.urlopen(package.tarball, timeout=120) as response:  # a fixed https URL
        data: bytes = response.read()
    algorithm, _, expected = package.integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{package.name}@{package.version}: integrity mismatch ({algorithm}-{actual})")
    return data


def refresh(bundle: Bundle) -> None:
    written: dict[str, bytes] = {}
    for package in bundle.packages:
        with tarfile.open(fileobj=io.BytesIO(_verified_tarball(package)), mode="r:gz") as tar:
            for inside, target in package.files.items():
                member = tar.extractfile(f"package/{inside}")
                if member is None:
                    raise SystemExit(f"{package.name}: no {inside} in the tarball")
                written[target] = member.read()
        for target, text in package.extra.items():
            written[target] = text.encode()
        print(f"{package.name}@{package.version}: verified, {len(package.files)} files")
    for target, content in written.items():
        path = bundle.target / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    lines = [f"{hashlib.sha256(c).hexdigest()}  {t}" for t, c in sorted(written.items())]
    bundle.checksums.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(written)} files and {bundle.checksums.relative_to(ROOT)}")


def check(bundle: Bundle) -> list[str]:
    """What differs between the vendored files and CHECKSUMS.sha256 (empty: all good)."""
    problems = []
    for line in bundle.checksums.read_text().splitlines():
        digest, _, target = line.partition("  ")
        path = bundle.target / target
        if not path.is_file():
            problems.append(f"missing {target}")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"changed {target}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("bundles", nargs="*", metavar="bundle", help=f"one of {', '.join(BUNDLES)} (default: all)")
    parser.add_argument("--check", action="store_true", help="verify the vendored files, no network")
    args = parser.parse_args()
    chosen = args.bundles or list(BUNDLES)
    unknown = [name for name in chosen if name not in BUNDLES]
    if unknown:
        parser.error(f"unknown bundle {', '.join(unknown)}; choose from {', '.join(BUNDLES)}")
    failed = False
    for name in chosen:
        if args.check:
            problems = check(BUNDLES[name])
            print("\n".join(f"{name}: {p}" for p in problems) or f"{name} assets match CHECKSUMS.sha256")
            failed = failed or bool(problems)
        else:
            refresh(BUNDLES[name])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
