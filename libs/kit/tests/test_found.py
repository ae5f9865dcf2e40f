"""`errors.found`: a lookup's result or NOT_FOUND naming what was looked for."""

from __future__ import annotations

import grpc
import pytest

from shutterbook_kit.errors import NotFound, found


def test_a_missing_value_is_not_found_by_name() -> None:
    with pytest.raises(NotFound) as raised:
        found(None, "companies/c1/logo")
    assert raised.value.code is grpc.StatusCode.NOT_FOUND
    assert str(raised.value.message) == "companies/c1/logo not found"


def test_a_falsy_value_is_still_found() -> None:
    assert found(0, "x") == 0
    assert found("", "x") == ""
    assert found([], "x") == []
