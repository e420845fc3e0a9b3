"""Strategy 1 end to end on tiny data: teacher stage then student stage, resuming between and
within stages, two-process DDP, and --init from the student."""

import json
from pathlib import Path

import pytest
import torch
import yaml
from rdkit import Chem

from molbridge.featurize import GraphFeaturizer
from molbridge.io import CheckpointError, load_bundle
from molbridge.pipeline.models import load_init_encoder
from molbridge.pipeline.pretrain import pretrain
from molbridge.pipeline.reaction_distill import export_teacher_graph, load_teacher
from tests.helpers import fine_tune_tiny, run_ddp_pretrain, tiny_pretrain_config

DATA = Path(__file__).parents[1] / "data"
OPTIONS = {"reaction_limit": 24, "teacher_epochs": 1, "teacher_batch_size": 8}


def _config(out: Path, **overrides: object):  # type: ignore[no-untyped-def]
    settings: dict[str, object] = {"num_layers": 2, "options": dict(OPTIONS)}
    settings.update(overrides)
    return tiny_pretrain_config(out, "reaction-distill", **settings)


def _teacher_state(out: Path) -> dict[str, torch.Tensor]:
    return load_bundle(out / "teacher" / "teacher.ckpt").members[0]


def test_both_stages_run_and_the_student_fine_tunes(tmp_path: Path) -> None:
    out = tmp_path / "rd"
    result = pretrain(_config(out))
    teacher = json.loads((out / "teacher" / "summary.json").read_text())
    assert teacher["reactions_used"] == 3 * 24 and teacher["steps"] == 9
    featurizer, model = load_teacher(out / "teacher" / "teacher.ckpt")
    assert model.out_dim == 256 and featurizer.agents_with_reactants
    bundle = load_bundle(result.encoder_path)
    assert bundle.kind == "encoder" and bundle.extra["strategy"]["name"] == "reaction-distill"
    assert "projection" in bundle.parts
    # the student corpus: the tiny table's 150 molecules and the reactions' own molecules
    assert result.summary["corpus_molecules"] > 150
    assert {"feature", "relational", "masking"} <= set(result.history[-1])
    resolved = yaml.safe_load((out / "config.yaml").read_text())
    assert resolved["corpus"].endswith("bbbp_tiny.csv")  # as given, not the assembled file
    assert resolved["inputs"]["teacher"].endswith("teacher/teacher.ckpt")
    fine = fine_tune_tiny(result.encoder_path, tmp_path / "ft", num_layers=2)
    assert 0.0 <= fine.test["roc_auc"] <= 1.0


def test_the_teacher_graph_encoder_is_an_init_encoder(tmp_path: Path) -> None:
    out = tmp_path / "rd"
    pretrain(_config(out, options={**OPTIONS, "reaction_molecules": False}))
    path = out / "teacher" / "encoder.ckpt"
    encoder, _ = load_init_encoder(path, GraphFeaturizer())
    featurizer, teacher = load_teacher(out / "teacher" / "teacher.ckpt")
    graph = featurizer.graph(Chem.MolFromSmiles("CCO"))
    tensors = [torch.from_numpy(a) for a in graph]
    args = (*tensors, torch.zeros(3, dtype=torch.long), 1)
    encoder.eval(), teacher.eval()
    assert torch.equal(encoder(*args), teacher.reaction.graph(*args))
    # the same bundle again from the teacher file, as for a teacher trained before this existed
    again = export_teacher_graph(out / "teacher" / "teacher.ckpt", tmp_path / "again.ckpt")
    assert load_bundle(again).members[0].keys() == load_bundle(path).members[0].keys()
    with pytest.raises(CheckpointError, match="not a reaction teacher"):
        export_teacher_graph(path, tmp_path / "bad.ckpt")
    fine = fine_tune_tiny(path, tmp_path / "ft", num_layers=2)
    assert 0.0 <= fine.test["roc_auc"] <= 1.0


def test_resume_keeps_a_finished_teacher_and_continues_a_cut_one(tmp_path: Path) -> None:
    # uninterrupted: a 2-epoch teacher
    whole = tmp_path / "whole"
    pretrain(_config(whole, options={**OPTIONS, "teacher_epochs": 2}))
    # cut: the teacher's first epoch only, as if stopped there (its final file not written)
    cut = tmp_path / "cut"
    pretrain(_config(cut))
    (cut / "teacher" / "teacher.ckpt").unlink()
    resumed = pretrain(_config(cut, options={**OPTIONS, "teacher_epochs": 2}, resume=True))
    summary = json.loads((cut / "teacher" / "summary.json").read_text())
    assert summary["resumed_from"] is not None and summary["steps"] == 18
    first, again = _teacher_state(whole), _teacher_state(cut)
    assert all(torch.equal(first[k], again[k]) for k in first)  # exactly the same teacher
    # a finished teacher is not trained again; the student continues from its checkpoint
    before = (cut / "teacher" / "teacher.ckpt").stat().st_mtime_ns
    more = pretrain(_config(cut, epochs=2, resume=True))
    assert (cut / "teacher" / "teacher.ckpt").stat().st_mtime_ns == before
    assert more.summary["resumed_from"] is not None
    assert more.summary["steps"] == 2 * resumed.summary["steps"]


def test_a_given_teacher_is_used_and_a_wrong_file_refused(tmp_path: Path) -> None:
    first = tmp_path / "first"
    pretrain(_config(first))
    teacher = first / "teacher" / "teacher.ckpt"
    second = pretrain(
        _config(
            tmp_path / "second",
            inputs={"teacher": str(teacher)},
            options={**OPTIONS, "student": {"relational_weight": 0.0}},
        )
    )
    assert not (tmp_path / "second" / "teacher" / "teacher.ckpt").exists()
    assert "relational" not in second.history[-1]
    with pytest.raises(CheckpointError, match="not a reaction teacher"):
        pretrain(_config(tmp_path / "third", inputs={"teacher": str(second.encoder_path)}))
    with pytest.raises(ValueError, match="unknown options"):
        pretrain(_config(tmp_path / "fourth", options={**OPTIONS, "student": {"tau": 1}}))


def test_two_process_ddp_student_after_a_one_process_teacher(tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "strategy": "reaction-distill",
                "corpus": str(DATA / "bbbp_tiny.csv"),
                "batch_size": 16,
                "num_layers": 2,
                "hidden_dim": 32,
                "shard_size": 40,
                "featurize_workers": 1,
                "options": OPTIONS,
            }
        )
    )
    run_ddp_pretrain(
        out,
        "--config",
        str(config),
    )
    assert len(list((out / "teacher" / "checkpoints").glob("*.ckpt"))) == 1  # trained once
