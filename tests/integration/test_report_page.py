"""`benchmark ... --out DIR` writes DIR/report.html: one self-contained page (tables, the bar
chart, embedding maps of the --init encoders beside a random-init GIN, explained molecules),
rendered here in headless Chromium and screenshotted."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from typer.testing import CliRunner

from molbridge.cli.main import app, expand_variadic

ROOT = Path(__file__).parents[2]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "bench"
    encoder = ROOT / "models" / "attr-masking-moses-1epoch" / "encoder.ckpt"
    args = ["benchmark", "moleculenet", "--datasets", "freesolv", "--seeds", "1", "--epochs", "1"]
    args += ["--models", "gin", "gin+am", "ecfp-rf", "--init", f"am={encoder}", "--no-progress"]
    result = CliRunner().invoke(app, expand_variadic([*args, "--out", str(out)]))
    assert result.exit_code == 0, result.output
    return out / "report.html"


def test_the_page_is_self_contained_and_has_every_section(report: Path) -> None:
    page = report.read_text()
    for heading in ("Results", "Embedding maps", "Explained molecules"):
        assert f"<h2>{heading}</h2>" in page
    assert "(section not drawn)" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 3 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in page and "https://" not in page  # nothing fetched from anywhere
    assert "<table>" in page and "freesolv" in page


def test_headless_chromium_renders_it(report: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium (.ci/run installs it)")
        pytest.skip("no chromium here (apt-get install chromium)")
    shot = tmp_path / "report.png"
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    command += ["--window-size=1200,2400", f"--screenshot={shot}", report.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    image = Image.open(shot).convert("L")
    assert image.size == (1200, 2400)
    assert ImageStat.Stat(image).stddev[0] > 20  # drawn content, not a blank page
