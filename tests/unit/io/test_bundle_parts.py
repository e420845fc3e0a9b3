"""Bundles carry parts beside the encoder; --init loads the ones asked for and drops the rest."""

import json
import logging
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from typer.testing import CliRunner

from molbridge.cli.main import app
from molbridge.encoders import FingerprintEncoder, FingerprintEncoderConfig
from molbridge.featurize import GraphFeaturizer
from molbridge.io import Bundle, BundlePart, CheckpointError, load_bundle, save_bundle
from molbridge.nn.projection import ProjectionHead, ProjectionHeadConfig
from molbridge.pipeline.models import load_init_encoder
from tests.helpers import small_encoder

DATA = Path(__file__).parents[2] / "data"
SHIPPED = Path(__file__).parents[3] / "models" / "attr-masking-moses-1epoch" / "encoder.ckpt"


def _encoder_bundle(path: Path) -> tuple[Path, ProjectionHead]:
    torch.manual_seed(0)
    encoder = small_encoder()
    head = ProjectionHead(ProjectionHeadConfig(encoder.out_dim, 16))
    bundle = Bundle(
        kind="encoder",
        featurizer=GraphFeaturizer().to_config(),
        encoder=encoder.config.to_config(),
        members=[encoder.state_dict()],
        parts={"graph_projection": BundlePart(head.config.to_config(), head.state_dict())},
    )
    return save_bundle(bundle, path), head


def test_parts_round_trip_and_load_by_name(tmp_path: Path) -> None:
    path, head = _encoder_bundle(tmp_path / "encoder.ckpt")
    loaded = load_bundle(path)
    assert set(loaded.parts) == {"graph_projection"}
    assert loaded.parts["graph_projection"].config == head.config.to_config()
    _, parts = load_init_encoder(path, GraphFeaturizer(), keep_parts=["graph_projection"])
    rebuilt = parts["graph_projection"]
    assert isinstance(rebuilt, ProjectionHead)
    for key, value in head.state_dict().items():
        assert torch.equal(rebuilt.state_dict()[key], value), key


def test_unused_parts_are_dropped_with_a_message_and_unknown_ones_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, _ = _encoder_bundle(tmp_path / "encoder.ckpt")
    with caplog.at_level(logging.INFO, logger="molbridge"):
        _, parts = load_init_encoder(path, GraphFeaturizer())
    assert parts == {} and "['graph_projection'] are not used by this run and are dropped" in (
        caplog.text
    )
    with pytest.raises(
        CheckpointError, match="no part 'prompts'; its parts: \\['graph_projection'\\]"
    ):
        load_init_encoder(path, GraphFeaturizer(), keep_parts=["prompts"])


def test_a_format_1_bundle_still_loads_without_parts() -> None:
    with safe_open(str(SHIPPED), framework="pt") as handle:
        assert json.loads(handle.metadata()["molbridge"])["format_version"] == 1
    bundle = load_bundle(SHIPPED)
    assert bundle.parts == {} and bundle.kind == "encoder"
    load_init_encoder(SHIPPED, GraphFeaturizer())


def test_part_weights_that_do_not_fit_their_config_are_a_bundle_error(tmp_path: Path) -> None:
    path, _ = _encoder_bundle(tmp_path / "encoder.ckpt")
    bundle = load_bundle(path)
    bundle.parts["graph_projection"].config["out_dim"] = 8
    save_bundle(bundle, path)
    with pytest.raises(CheckpointError, match=r"part 'graph_projection'.*another shape"):
        load_init_encoder(path, GraphFeaturizer(), keep_parts=["graph_projection"])


def _modality_bundle(path: Path) -> Path:
    encoder = FingerprintEncoder(FingerprintEncoderConfig(in_dim=64, hidden_dims=(32,), out_dim=16))
    return save_bundle(
        Bundle(
            kind="encoder",
            featurizer={"name": "ecfp", "radius": 2, "n_bits": 64},
            encoder=encoder.config.to_config(),
            members=[encoder.state_dict()],
        ),
        path,
    )


@pytest.mark.parametrize("case", ["modality", "truncated", "other-kind"])
def test_init_with_a_wrong_bundle_is_one_line(tmp_path: Path, case: str) -> None:
    path = tmp_path / "init.ckpt"
    if case == "modality":
        _modality_bundle(path)
    else:
        _encoder_bundle(path)
        raw = path.read_bytes()
        if case == "truncated":
            path.write_bytes(raw[: len(raw) // 2])
        else:  # the kind edited to one no molbridge writes
            header_len = int.from_bytes(raw[:8], "little")
            header = raw[8 : 8 + header_len].replace(
                b'\\"kind\\": \\"encoder\\"', b'\\"kind\\": \\"teacher\\"'
            )
            path.write_bytes(len(header).to_bytes(8, "little") + header + raw[8 + header_len :])
    result = CliRunner().invoke(
        app,
        ["train", "--data", str(DATA / "bbbp_tiny.csv"), "--init", str(path),
         "--out", str(tmp_path / "run"), "--epochs", "1", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.output.startswith("error:")
    assert result.output.count("error:") == 1  # one message (the terminal may wrap it)
