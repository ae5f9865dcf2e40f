"""Caller tokens for tests and benchmarks: one key ring per process, generated on first use.

The ring is written to a temporary directory (removed at exit) and named in this process's
environment, so services built here (`loopback.service_settings`) and services started as
subprocesses (which inherit the environment) verify what the tests sign. Tokens signed here
live for hours: test modules build their metadata once, at import.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from shutterbook_kit.caller_token import SIGNING_KEY_NAME, KeyRing, Signer, install_signer
from shutterbook_kit.identity import Caller, CallerKind

TEST_TOKEN_TTL_SECONDS = 12 * 3600

_signer: Signer | None = None


def session_signer() -> Signer:
    """This process's test key ring (created, written and installed on first use)."""
    global _signer
    if _signer is None:
        directory = Path(tempfile.mkdtemp(prefix="shutterbook-caller-keys-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        ring = KeyRing.generate(ttl_seconds=TEST_TOKEN_TTL_SECONDS)
        ring.write(directory)
        os.environ["SHUTTERBOOK_CALLER_TOKEN_SIGNING_KEY_FILE"] = str(directory / SIGNING_KEY_NAME)
        os.environ["SHUTTERBOOK_CALLER_TOKEN_VERIFY_KEYS_DIR"] = str(directory)
        install_signer(ring)  # what code under test signs its own outgoing calls with
        _signer = Signer(ring)
    return _signer


def session_key_ring() -> KeyRing:
    return session_signer().ring


def caller_metadata(caller: Caller) -> tuple[tuple[str, str], ...]:
    """Metadata of a call by `caller`, signed with the test key ring."""
    return session_signer().metadata(caller)


def company_metadata(company_id: str) -> tuple[tuple[str, str], ...]:
    """Metadata of a call by the tests themselves for `company_id`: a service caller recorded
    as "test", which may do everything."""
    return caller_metadata(Caller(company_id, CallerKind.SERVICE, "test", display_name="test"))
