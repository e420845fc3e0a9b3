"""Reaction featurizer: a reaction SMILES `reactants>agents>products` -> the graphs of its
component molecules, side by side.

Each component (a dot-separated molecule) is featurized by the shared `GraphFeaturizer`; a side
is the list of its components. Batching (`molbridge.data.reactions.pack_reactions`) stores each
distinct component once: the 3,955 Buchwald–Hartwig reactions use 51 distinct molecules, so an
encoder reads 51 small graphs, not 3,955 merged ones, and pools each side from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from molbridge.chem import InvalidMoleculeError, parse_smiles
from molbridge.featurize.graph import GraphFeaturizer, MolGraph

SIDES = ("reactant", "agent", "product")


class InvalidReactionError(InvalidMoleculeError):
    """A reaction SMILES that cannot become graphs; names the row, the reaction and, when one
    component is at fault, that component's SMILES (`smiles`) and side."""

    def __init__(
        self,
        row: int | None,
        reaction: object,
        reason: str,
        component: str | None = None,
        side: str | None = None,
    ) -> None:
        # Set the parent's fields by hand: the message names the reaction as well.
        self.row = row
        self.smiles = component if component is not None else reaction
        self.reason = reason
        self.reaction = reaction
        self.component = component
        self.side = side
        where = f"row {row}: " if row is not None else ""
        what = f"invalid {side} {component!r} in " if component is not None else "invalid "
        ValueError.__init__(self, f"{where}{what}reaction {reaction!r}: {reason}")


class ReactionGraphs(NamedTuple):
    """One reaction as component graphs.

    Attributes:
        reactants: the reactant components' SMILES as written (and the agents', when the
            featurizer puts agents with the reactants).
        products: the product components' SMILES.
        agents: the agents' SMILES when kept apart (`agents_with_reactants=False`), else `()`.
        graphs: SMILES -> graph, one entry per distinct component of this reaction.
    """

    reactants: tuple[str, ...]
    products: tuple[str, ...]
    agents: tuple[str, ...]
    graphs: dict[str, MolGraph]


def split_reaction(reaction: object, row: int | None = None) -> tuple[list[str], ...]:
    """`"A.B>C>D"` -> `(["A", "B"], ["C"], ["D"])`: reactant, agent and product components.

    Raises:
        InvalidReactionError: not text, not exactly three `>`-separated parts, an empty
            component (`"A..B"`), or no reactant or no product.
    """
    if not isinstance(reaction, str):
        raise InvalidReactionError(row, reaction, "not a reaction SMILES string")
    parts = reaction.strip().split(">")
    if len(parts) != 3:
        raise InvalidReactionError(
            row, reaction, f"expected 'reactants>agents>products', found {len(parts) - 1} '>'"
        )
    sides = []
    for side, part in zip(SIDES, parts, strict=True):
        components = part.split(".") if part else []
        if any(not c for c in components):
            raise InvalidReactionError(row, reaction, f"empty {side} component (stray '.')")
        sides.append(components)
    if not sides[0] or not sides[2]:
        raise InvalidReactionError(row, reaction, "a reaction needs reactants and products")
    return tuple(sides)


@dataclass(frozen=True)
class ReactionFeaturizer:
    """Pure `reaction SMILES -> ReactionGraphs` featurizer built on a `GraphFeaturizer`.

    Components are split on `.` (RDKit parses `~` bonds, as in the Suzuki–Miyaura Pd(OAc)2,
    as UNSPECIFIED bonds, which the graph featurizer maps to the bond type's "other" slot).

    Attributes:
        graph: the molecule featurizer used for every component (its config is nested in ours).
        agents_with_reactants: put agents on the reactant side, as Yield-BERT (Schwaller et al.
            2021) puts catalysts, ligands and bases; `agents` is then always `None`.
    """

    graph: GraphFeaturizer = field(default_factory=GraphFeaturizer)
    agents_with_reactants: bool = True

    @property
    def atom_dims(self) -> tuple[int, ...]:
        return self.graph.atom_dims

    @property
    def bond_dims(self) -> tuple[int, ...]:
        return self.graph.bond_dims

    def __call__(
        self, reaction: str, row: int | None = None, cache: dict[str, MolGraph] | None = None
    ) -> ReactionGraphs:
        """One reaction SMILES -> `ReactionGraphs`; an invalid component raises naming it.

        `cache` (component SMILES -> graph), shared over calls, featurizes each distinct
        component once."""
        cache = {} if cache is None else cache
        sides = split_reaction(reaction, row)
        for side, components in zip(SIDES, sides, strict=True):
            for component in components:
                if component not in cache:
                    try:
                        mol = parse_smiles(component, row=row)
                    except InvalidMoleculeError as err:
                        raise InvalidReactionError(
                            row, reaction, err.reason, component=component, side=side
                        ) from err
                    cache[component] = self.graph(mol)
        reactants, agents, products = (tuple(c) for c in sides)
        if self.agents_with_reactants:
            reactants, agents = reactants + agents, ()
        graphs = {c: cache[c] for c in (*reactants, *agents, *products)}
        return ReactionGraphs(reactants, products, agents, graphs)

    def many(self, reactions: Sequence[str]) -> list[ReactionGraphs]:
        """Reaction SMILES -> one `ReactionGraphs` each; an invalid one raises naming its row.
        Each distinct component is featurized once per call."""
        cache: dict[str, MolGraph] = {}
        return [self(r, i, cache) for i, r in enumerate(reactions)]

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "reaction",
            "graph": self.graph.to_config(),
            "agents_with_reactants": self.agents_with_reactants,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ReactionFeaturizer:
        if config.get("name") != "reaction":
            raise ValueError(f"not a reaction featurizer config: {config}")
        return cls(
            GraphFeaturizer.from_config(config["graph"]), bool(config["agents_with_reactants"])
        )


@dataclass(frozen=True)
class DrfpFeaturizer:
    """DRFP, the differential reaction fingerprint (Probst, Schwaller & Reymond 2022): the
    symmetric difference of the circular substructures of reactants and products, hashed and
    folded to `n_bits`. The yields benchmark's fingerprint baseline. Computed by the `drfp`
    package (installed by `make setup` with `--no-deps`; its fingerprint needs only numpy,
    RDKit and tqdm).

    Attributes:
        n_bits: folded length (the paper: 2048).
        radius: largest circular-substructure radius (the paper: 3).
        rings: also include whole rings as substructures (the paper: yes).
    """

    n_bits: int = 2048
    radius: int = 3
    rings: bool = True

    def many(self, reactions: Sequence[str]) -> Any:
        """`[n, n_bits]` uint8 0/1 fingerprints of reaction SMILES."""
        try:
            from drfp import DrfpEncoder
        except ImportError as err:
            raise ImportError(
                "DRFP fingerprints need the drfp package: pip install --no-deps drfp==0.3.7"
            ) from err
        rows = DrfpEncoder.encode(
            list(reactions), n_folded_length=self.n_bits, radius=self.radius, rings=self.rings
        )
        return np.asarray(rows, dtype=np.uint8).reshape(len(reactions), self.n_bits)

    def to_config(self) -> dict[str, Any]:
        return {"name": "drfp", "n_bits": self.n_bits, "radius": self.radius, "rings": self.rings}
