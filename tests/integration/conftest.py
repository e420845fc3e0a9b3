"""Every integration test here runs the real pipeline end to end (subprocesses, kills,
several epochs): all are marked `slow`, so `pytest -m "not slow"` (make test-fast) is the
fast path while working; CI runs everything."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.slow)
