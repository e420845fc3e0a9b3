"""A training set one molecule past a whole number of batches, where that molecule is a
single heavy atom (FreeSolv's methane), still trains: batch norm never sees a lone atom."""

from pathlib import Path

from molbridge.pipeline.train import TrainConfig, train


def _csv(path: Path, smiles: list[str]) -> str:
    rows = "".join(f"{s},{i * 0.5}\n" for i, s in enumerate(smiles))
    path.write_text("smiles,y\n" + rows)
    return str(path)


def test_single_atom_molecules_with_a_trailing_batch_of_one(tmp_path: Path) -> None:
    # 5 one-atom molecules in batches of 2: without care the last batch is one atom, one node
    train_csv = _csv(tmp_path / "train.csv", ["C", "N", "O", "S", "[Cl-]"])
    held_out = _csv(tmp_path / "held_out.csv", ["C", "CC", "CCO"])
    result = train(
        TrainConfig(
            data=train_csv,
            valid=held_out,
            test=held_out,
            out=str(tmp_path / "run"),
            epochs=3,
            batch_size=2,
            progress=False,
            num_layers=2,
            hidden_dim=16,
        )
    )
    assert set(result.test) and all(value == value for value in result.test.values())
