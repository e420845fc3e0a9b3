"""Stopping a parallel benchmark stops its worker processes too: none is left running, orphaned."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

# more cells than workers: a worker that outlives its stopped cell would take the next one
LONG = ["--datasets", "freesolv", "--models", "gin", "--seeds", "4", "--epochs", "1000"]
CELLS = [Path("cells", "freesolv", "gin", f"seed{seed}") for seed in (0, 1)]
QUEUED = [Path("cells", "freesolv", "gin", f"seed{seed}") for seed in (2, 3)]


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], list[psutil.Process]]]:
    """The benchmark in the background, and its two workers once both train their cells.

    Its output goes to bench.log: a pipe would stay open as long as any worker lives, and waiting
    on it would hang the test instead of failing it. Whatever is left of the run is killed
    afterwards, whether the test passed or not.
    """
    out = tmp_path / "bench"
    command = [sys.executable, "-m", "molbridge.cli.main", "benchmark", "moleculenet", *LONG]
    command += ["--jobs", "2", "--no-progress", "--out", str(out)]
    with open(tmp_path / "bench.log", "wb") as log:
        main = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    workers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 or not all((out / cell).exists() for cell in CELLS):
            assert main.poll() is None, "the benchmark ended before its workers started"
            assert time.monotonic() < deadline, "the benchmark's workers did not start"
            time.sleep(0.5)
            children = psutil.Process(main.pid).children()
            workers = [p for p in children if "spawn_main" in " ".join(p.cmdline())]
        yield main, workers
    finally:
        for process in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        main.kill()
        main.wait()


def _still_running(workers: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    return psutil.wait_procs(workers, timeout=seconds)[1]


def test_sigterm_stops_the_workers_and_says_how_to_go_on(
    started: tuple[subprocess.Popen[bytes], list[psutil.Process]], tmp_path: Path
) -> None:
    main, workers = started
    main.send_signal(signal.SIGTERM)
    stopped = main.wait(timeout=60)
    alive = _still_running(workers, 10)
    output = (tmp_path / "bench.log").read_text()
    assert stopped == 128 + signal.SIGTERM, output
    assert "--resume" in output
    assert alive == []
    # a worker that caught the signal itself would have ended its cell and started a queued one
    started_later = [cell for cell in QUEUED if (tmp_path / "bench" / cell).exists()]
    assert started_later == [], output


def test_workers_exit_when_the_main_process_is_killed(
    started: tuple[subprocess.Popen[bytes], list[psutil.Process]],
) -> None:
    main, workers = started
    main.kill()  # SIGKILL: no handler, no cleanup in the main process
    main.wait(timeout=60)
    assert _still_running(workers, 10) == []
