"""Why a fine-tuned model predicts what it predicts: per-atom attributions by integrated
gradients (Captum), drawn on the molecules in RDKit's similarity-map colours.

The path runs from a baseline of zero atom embeddings to each molecule's own atom embeddings
(the output of the encoder's atom embedding; atom features are categories, so the path cannot
start on them), through the message passing, readout and head, to the head's raw output for
one target: the logit for classification, the standardised value for regression. An atom's
attribution is the sum of its embedding's attributions; the attributions of a molecule add up
to its output minus the baseline's (integrated gradients' completeness, checked per molecule:
`delta`). With an ensemble, each member is explained and the attributions averaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from captum.attr import IntegratedGradients
from PIL import Image, ImageDraw, ImageFont

from molbridge.chem.draw import atom_weight_image
from molbridge.data.packed import GraphBatch
from molbridge.data.table import featurize_smiles
from molbridge.encoders import GraphEncoder
from molbridge.io import load_bundle
from molbridge.io.outputs import check_output_file, write_csv
from molbridge.pipeline.models import build_property_models
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
    """

    smiles: str
    target: str
    prediction: float
    atoms: np.ndarray
    delta: float


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
    featurizer, models = build_property_models(bundle, str(model_path))
    names = list(models[0].config.target_names)
    name = target or names[0]
    if name not in names:
        raise ValueError(f"the model predicts {names}, not {name!r}")
    column = names.index(name)
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
        pen.text((x + 6, y + TILE + 24), f"{e.target}: {e.prediction:.3g}", fill="black", font=font)
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
        }
    )
    write_csv(table, out.with_suffix(".csv"))
    return explanations
