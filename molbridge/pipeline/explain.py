"""Why a fine-tuned model predicts what it predicts: per-atom attributions by integrated
gradients (Captum), drawn on the molecules in RDKit's similarity-map colours.

The path runs from a baseline of zero atom embeddings to each molecule's own atom embeddings
(the output of the encoder's atom embedding; atom features are categories, so the path cannot
start on them), through the message passing, readout and head, to the head's raw output for
one target: the logit for classification, the standardised value for regression. An atom's
attribution is the sum of its embedding's attributions; the attributions of a molecule add up
to its output minus the baseline's (integrated gradients' completeness, checked per molecule:
`delta`). With an ensemble, each member is explained and the attributions averaged.

A boosted model (`train --model gbm`) is explained by its trees' exact SHAP values (CatBoost's)
of the same raw output. Only its ECFP count features belong to atoms: a present bit's value is
shared equally among the circular environments that set it, and each environment's share among
its atoms. The rest (Avalon and ErG counts, descriptors, an appended embedding, and ECFP bits
absent from the molecule, whose absence moved the output) is not drawn; `on_atoms` says what
share of the attribution's magnitude the drawing shows, and `top_features` names the largest
contributions whatever they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from captum.attr import IntegratedGradients
from PIL import Image, ImageDraw, ImageFont

from molbridge.chem import parse_many
from molbridge.chem.draw import atom_weight_image
from molbridge.data.packed import GraphBatch
from molbridge.data.table import featurize_smiles
from molbridge.encoders import GraphEncoder
from molbridge.io import Bundle, load_bundle
from molbridge.io.outputs import check_output_file, write_csv
from molbridge.pipeline.models import build_property_models
from molbridge.pipeline.predict import GBM_KIND
from molbridge.tasks import PropertyTask

STEPS = 64  # points on the integration path (Captum's Gauss-Legendre rule)
TILE = 300  # pixels per molecule in the grid


@dataclass
class Explanation:
    """One molecule's attributions for one target.

    Attributes:
        smiles: the molecule as given.
        target: the target explained.
        prediction: the model's prediction (probability or value, ensemble mean).
        atoms: `[n_atoms]` attribution of each atom (RDKit atom order of `smiles`).
        delta: the largest completeness gap over the members: |sum of attributions - (output
            - baseline output)|, small when the integration is accurate.
        on_atoms: the share of the attributions' magnitude drawn on atoms (1 for a GIN; a
            boosted model's other features have no atoms).
        top_features: a boosted model's five largest contributions, `name=value: shap`.
    """

    smiles: str
    target: str
    prediction: float
    atoms: np.ndarray
    delta: float
    on_atoms: float = 1.0
    top_features: str = ""


def _replicated(b: GraphBatch, copies: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One graph's edges and atom-to-graph index for `copies` disjoint copies of it."""
    n = b.x.shape[0]
    offsets = (torch.arange(copies) * n).repeat_interleave(b.edge_index.shape[1])
    edge_index = b.edge_index.repeat(1, copies) + offsets
    return edge_index, b.edge_attr.repeat(copies, 1), torch.arange(copies).repeat_interleave(n)


def atom_attributions(
    model: PropertyTask, b: GraphBatch, target: int, steps: int = STEPS
) -> tuple[np.ndarray, float]:
    """Integrated gradients of one molecule (`b` holds one graph) for head output `target`:
    `([n_atoms] attributions, completeness gap)`."""
    encoder = model.encoder
    if not isinstance(encoder, GraphEncoder):
        raise TypeError("attributions need a graph encoder")
    model.eval()
    n_atoms = b.x.shape[0]

    def output(atoms: torch.Tensor) -> torch.Tensor:  # [k, n_atoms, d] -> [k, n_tasks]
        k = atoms.shape[0]
        edge_index, edge_attr, batch = _replicated(b, k)
        nodes = encoder.propagate(atoms.reshape(k * n_atoms, -1), edge_index, edge_attr)
        return model.head(encoder.readout(nodes, batch, k)).float()

    with torch.no_grad():
        start = encoder.atom_embedding(b.x).float().unsqueeze(0)
    gradients = IntegratedGradients(output)
    attributions, delta = gradients.attribute(
        start,
        baselines=torch.zeros_like(start),
        target=target,
        n_steps=steps,
        internal_batch_size=steps,
        return_convergence_delta=True,
    )
    return attributions[0].sum(dim=1).detach().numpy(), float(delta.abs().max())


def explain_smiles(
    model_path: Path | str, smiles: list[str], target: str | None = None, steps: int = STEPS
) -> list[Explanation]:
    """Attributions of a fine-tuned model (`model.ckpt`) for each molecule.

    Raises:
        ValueError: an invalid molecule (named), or a target the model does not predict.
    """
    bundle = load_bundle(model_path)
    if bundle.kind == GBM_KIND:
        return explain_gbm(bundle, str(model_path), smiles, target)
    featurizer, models = build_property_models(bundle, str(model_path))
    names = list(models[0].config.target_names)
    name, column = _target(names, target)
    featurized = featurize_smiles(list[object](smiles), featurizer, scaffolds=False, progress=False)
    if featurized.errors:
        bad = featurized.errors[0]
        raise ValueError(f"molecule {bad.row + 1} ({smiles[bad.row]!r}): {bad.reason}")
    explanations = []
    for i, text in enumerate(smiles):
        b = featurized.graphs.collate(np.array([i]))
        per_member = [atom_attributions(m, b, column, steps) for m in models]
        with torch.no_grad():
            values = [float(m.values_from_outputs(m(b))[0, column]) for m in models]
        explanations.append(
            Explanation(
                text,
                name,
                float(np.mean(values)),
                np.mean([a for a, _ in per_member], axis=0),
                max(d for _, d in per_member),
            )
        )
    return explanations


def _target(names: list[str], target: str | None) -> tuple[str, int]:
    name = target or names[0]
    if name not in names:
        raise ValueError(f"the model predicts {names}, not {name!r}")
    return name, names.index(name)


def explain_gbm(
    bundle: Bundle, source: str, smiles: list[str], target: str | None = None, top: int = 5
) -> list[Explanation]:
    """A boosted model's SHAP values for each molecule, its ECFP part on the atoms (see the
    module docstring).

    Raises:
        ValueError: an invalid molecule (named), or a target the model does not predict.
    """
    from molbridge.pipeline.train_gbm import gbm_features, load_gbm

    model, featurizer, embedder = load_gbm(bundle, source)
    name, column = _target(list(bundle.task.get("target_names", [])), target)
    mols = []
    for row, mol, error in parse_many(smiles):
        if mol is None:
            raise ValueError(f"molecule {row + 1} ({smiles[row]!r}): {error}")
        mols.append(mol)
    x = gbm_features(featurizer, embedder, smiles)
    names = featurizer.names + [f"embedding_{i}" for i in range(x.shape[1] - featurizer.n_features)]
    shap = model.contributions(x, column)  # [n, features + 1]: the last is the expected output
    gaps = np.abs(shap.sum(1) - model.raw(x, column))
    predictions = model.predict(x)[:, column]
    ecfp = featurizer.ecfp  # the first block of the model's columns
    explanations = []
    for i, mol in enumerate(mols):
        values = shap[i, :-1]
        atoms = np.zeros(mol.GetNumAtoms())
        environments = ecfp.atom_environments(mol)
        for bit, places in environments.items():
            for place in places:
                atoms[list(place)] += values[bit] / len(places) / len(place)
        total = float(np.abs(values).sum())
        drawn = float(np.abs(values[list(environments)]).sum())
        largest = np.argsort(-np.abs(values))[:top]
        explanations.append(
            Explanation(
                smiles[i],
                name,
                float(predictions[i]),
                atoms,
                float(gaps[i]),
                drawn / total if total > 0 else 1.0,
                "; ".join(f"{names[k]}={x[i, k]:.3g}: {values[k]:+.3g}" for k in largest),
            )
        )
    return explanations


def draw_explanations(explanations: list[Explanation], out: Path | str, columns: int = 3) -> Path:
    """The molecules in a grid, each atom coloured by its attribution (green raises the
    output, pink lowers it; each molecule scaled to its own largest), the prediction under each."""
    out = Path(out)
    columns = max(1, min(columns, len(explanations)))
    rows = -(-len(explanations) // columns)
    caption = 46
    grid = Image.new("RGB", (columns * TILE, rows * (TILE + caption)), "white")
    pen = ImageDraw.Draw(grid)
    font = ImageFont.load_default(size=14)
    for i, e in enumerate(explanations):
        x, y = (i % columns) * TILE, (i // columns) * (TILE + caption)
        grid.paste(atom_weight_image(e.smiles, e.atoms.tolist(), TILE), (x, y))
        text = e.smiles if len(e.smiles) <= 32 else e.smiles[:31] + "…"
        pen.text((x + 6, y + TILE + 4), text, fill="black", font=font)
        shown = f" · {e.on_atoms:.0%} on atoms" if e.on_atoms < 1 else ""
        label = f"{e.target}: {e.prediction:.3g}{shown}"
        pen.text((x + 6, y + TILE + 24), label, fill="black", font=font)
    grid.save(out)
    return out


def explain_file(
    model_path: Path | str,
    smiles: list[str],
    out: Path | str,
    target: str | None = None,
    columns: int = 3,
) -> list[Explanation]:
    """`explain_smiles`, then the grid at `out` (a PNG) and its numbers beside it (`.csv`)."""
    out = check_output_file(out, inputs=(model_path,))
    explanations = explain_smiles(model_path, smiles, target)
    draw_explanations(explanations, out, columns)
    table = pd.DataFrame(
        {
            "smiles": [e.smiles for e in explanations],
            "target": [e.target for e in explanations],
            "prediction": [e.prediction for e in explanations],
            # one value per atom, in the RDKit atom order of the SMILES
            "atom_attributions": [" ".join(f"{v:.4g}" for v in e.atoms) for e in explanations],
            "completeness_gap": [e.delta for e in explanations],
            "on_atoms": [e.on_atoms for e in explanations],
            "top_features": [e.top_features for e in explanations],
        }
    )
    write_csv(table, out.with_suffix(".csv"))
    return explanations
