"""Regenerate the Python stubs of every contract in proto/ into libs/proto/src.

Stubs are committed. `--check` regenerates into a scratch folder and fails when the
result differs from what is committed (CI runs it through `make lint`).
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
OUT_ROOT = ROOT / "libs" / "proto" / "src"
PACKAGE = "shutterbook"


def generate(out: Path) -> None:
    import grpc_tools

    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / PACKAGE).rglob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    bindir = Path(sys.executable).parent  # mypy-protobuf's plugins sit beside the venv's python
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--plugin=protoc-gen-mypy={bindir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bindir / 'protoc-gen-mypy_grpc'}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *protos,
    ]
    subprocess.run(cmd, check=True, cwd=PROTO_ROOT)
    # Make every generated folder a regular package, so imports and mypy agree.
    for folder in [out / PACKAGE, *(p for p in (out / PACKAGE).rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    (out / PACKAGE / "py.typed").touch()


def sync_tree(source: Path, target: Path) -> None:
    """Make `target` equal `source`, file by file: changed files are rewritten, stale ones
    removed. Never removes the whole tree, so two runs at once cannot trip over each other."""
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file()}
    for rel in sorted(wanted):
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = (source / rel).read_bytes()
        if not dest.exists() or dest.read_bytes() != data:
            dest.write_bytes(data)
    for stale in [p for p in target.rglob("*") if p.is_file() and "__pycache__" not in p.parts]:
        if stale.relative_to(target) not in wanted:
            stale.unlink()


def tree_differs(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b)
    diffs = [str(Path(a) / n) for n in cmp.left_only + cmp.right_only + cmp.diff_files]
    for sub in cmp.common_dirs:
        diffs += tree_differs(a / sub, b / sub)
    return diffs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if committed stubs are stale")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        generate(out)
        target = OUT_ROOT / PACKAGE
        if args.check:
            stale = tree_differs(out / PACKAGE, target) if target.exists() else ["(missing)"]
            stale = [s for s in stale if "__pycache__" not in s]
            if stale:
                print("generated stubs differ from proto/; run `make proto`:", *stale, sep="\n  ")
                return 1
            print("generated stubs match proto/")
            return 0
        sync_tree(out / PACKAGE, target)
        print(f"stubs written to {target.relative_to(ROOT)}")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
