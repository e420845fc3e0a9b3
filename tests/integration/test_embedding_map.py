"""`embed --plot`: a UMAP map of a file's embeddings, coloured by a column or by scaffold;
invalid rows stay out of the map; a bad colour column is refused before any work."""

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from molbridge.cli.main import app
from molbridge.pipeline.pretrain import pretrain
from molbridge.report.embedding_map import plot_embedding_maps
from tests.helpers import tiny_pretrain_config

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("map") / "am"
    pretrain(tiny_pretrain_config(out, "attr-masking", num_layers=2, fast_dev_run=True))
    return out / "encoder.ckpt"


@pytest.mark.parametrize("color_by", ["p_np", "scaffold", None])
def test_embed_draws_the_map(encoder: Path, tmp_path: Path, color_by: str | None) -> None:
    args = ["embed", "--model", str(encoder), "--data", str(DATA / "bbbp_tiny.csv")]
    args += ["--out", str(tmp_path / "e.npy"), "--plot", str(tmp_path / "map.png")]
    result = CliRunner().invoke(app, args + (["--color-by", color_by] if color_by else []))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "map.png").stat().st_size > 0


def test_a_missing_colour_column_is_refused(encoder: Path, tmp_path: Path) -> None:
    args = ["embed", "--model", str(encoder), "--data", str(DATA / "bbbp_tiny.csv")]
    args += ["--out", str(tmp_path / "e.npy"), "--plot", str(tmp_path / "map.png")]
    result = CliRunner().invoke(app, [*args, "--color-by", "logP"])
    assert result.exit_code != 0 and "no such column" in " ".join(result.output.split())


def test_panels_must_cover_the_same_molecules(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="same molecules"):
        plot_embedding_maps(
            {"a": rng.normal(size=(20, 4)), "b": rng.normal(size=(21, 4))}, tmp_path / "m.png"
        )
    plot_embedding_maps(
        {"a": rng.normal(size=(20, 4)), "b": rng.normal(size=(20, 4))},
        tmp_path / "m.png",
        labels=["x"] * 10 + ["y"] * 10,
        label_name="group",
    )
    assert (tmp_path / "m.png").stat().st_size > 0
