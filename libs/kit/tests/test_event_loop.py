"""The serving loop (`SHUTTERBOOK_EVENT_LOOP`): uvloop by default, the standard loop on request,
anything else refused at start with the setting named."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from shutterbook_kit.event_loop import event_loop_factory
from shutterbook_kit.settings import ServiceSettings


async def _loop_type() -> type[asyncio.AbstractEventLoop]:
    return type(asyncio.get_running_loop())


def test_a_service_serves_on_uvloop_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHUTTERBOOK_EVENT_LOOP", raising=False)
    settings = ServiceSettings.from_env("clients")
    assert settings.event_loop == "uvloop"
    with asyncio.Runner(loop_factory=event_loop_factory(settings.event_loop)) as runner:
        assert runner.run(_loop_type()) is uvloop.Loop


def test_the_standard_loop_is_one_setting_away(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUTTERBOOK_EVENT_LOOP", "asyncio")
    settings = ServiceSettings.from_env("clients")
    with asyncio.Runner(loop_factory=event_loop_factory(settings.event_loop)) as runner:
        loop_type = runner.run(_loop_type())
    assert loop_type is not uvloop.Loop
    assert issubclass(loop_type, asyncio.BaseEventLoop)


def test_an_unknown_loop_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUTTERBOOK_EVENT_LOOP", "trio")
    with pytest.raises(ValueError, match="SHUTTERBOOK_EVENT_LOOP must be one of uvloop, asyncio, got 'trio'"):
        ServiceSettings.from_env("clients")  # with the settings, before any migration or serving
    with pytest.raises(ValueError, match="SHUTTERBOOK_EVENT_LOOP must be one of uvloop, asyncio"):
        event_loop_factory("trio")
