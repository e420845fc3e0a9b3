from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test session gets its own feature cache, never the user's."""
    monkeypatch.setenv("MOLBRIDGE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
