"""Reaction featurizer: a reaction SMILES `reactants>agents>products` -> one graph per side.

Each side becomes ONE disconnected `MolGraph`: its components (the dot-separated molecules)
featurized by the shared `GraphFeaturizer` and merged, atoms end to end, with each component's
edge indices shifted by the atoms before it. A graph encoder then pools a whole side at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from rdkit import Chem

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
    """One reaction as graphs.

    Attributes:
        reactants: all reactant components merged into one graph (and the agents too, when the
            featurizer puts agents with the reactants).
        products: all product components merged into one graph.
        agents: the agents merged into one graph, or `None` (no agents, or agents merged into
            `reactants`).
    """

    reactants: MolGraph
    products: MolGraph
    agents: MolGraph | None


def merge_graphs(
    graphs: Sequence[MolGraph], n_atom_features: int, n_bond_features: int
) -> MolGraph:
    """Several molecules as one disconnected graph.

    Atoms are stacked in the given order; each graph's `edge_index` is shifted by the number of
    atoms before it, so `[2, sum of n_edges]` indices point into the merged
    `[sum of n_atoms, n_atom_features]` atom rows. No edge joins two components.
    """
    if not graphs:
        return MolGraph(
            np.zeros((0, n_atom_features), np.int64),
            np.zeros((2, 0), np.int64),
            np.zeros((0, n_bond_features), np.int64),
        )
    atom_counts = np.array([len(g.x) for g in graphs], dtype=np.int64)
    offsets = np.cumsum(atom_counts) - atom_counts
    edge_index = np.concatenate(
        [g.edge_index + offset for g, offset in zip(graphs, offsets, strict=True)], axis=1
    )
    return MolGraph(
        np.concatenate([g.x for g in graphs]).reshape(-1, n_atom_features),
        edge_index.reshape(2, -1),
        np.concatenate([g.edge_attr for g in graphs]).reshape(-1, n_bond_features),
    )


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

    def from_mols(
        self,
        reactants: Sequence[Chem.Mol],
        products: Sequence[Chem.Mol],
        agents: Sequence[Chem.Mol] = (),
    ) -> ReactionGraphs:
        """Featurize already-parsed components, side by side."""
        return self._assemble(
            [self.graph(m) for m in reactants],
            [self.graph(m) for m in agents],
            [self.graph(m) for m in products],
        )

    def __call__(
        self, reaction: str, row: int | None = None, cache: dict[str, MolGraph] | None = None
    ) -> ReactionGraphs:
        """One reaction SMILES -> `ReactionGraphs`; an invalid component raises naming it.

        `cache` (component SMILES -> graph), shared over calls, featurizes each distinct
        component once."""
        return self._featurize(reaction, row, {} if cache is None else cache)

    def many(self, reactions: Sequence[str]) -> list[ReactionGraphs]:
        """Reaction SMILES -> one `ReactionGraphs` each; an invalid one raises naming its row.

        Components repeat a lot in reaction tables (3955 Buchwald–Hartwig reactions use 51
        distinct molecules), so each distinct component SMILES is featurized once per call.
        """
        cache: dict[str, MolGraph] = {}
        return [self._featurize(r, i, cache) for i, r in enumerate(reactions)]

    def _featurize(
        self, reaction: str, row: int | None, cache: dict[str, MolGraph]
    ) -> ReactionGraphs:
        sides = split_reaction(reaction, row)
        graphs: list[list[MolGraph]] = []
        for side, components in zip(SIDES, sides, strict=True):
            side_graphs = []
            for component in components:
                if component not in cache:
                    try:
                        mol = parse_smiles(component, row=row)
                    except InvalidMoleculeError as err:
                        raise InvalidReactionError(
                            row, reaction, err.reason, component=component, side=side
                        ) from err
                    cache[component] = self.graph(mol)
                side_graphs.append(cache[component])
            graphs.append(side_graphs)
        return self._assemble(*graphs)

    def _assemble(
        self, reactants: list[MolGraph], agents: list[MolGraph], products: list[MolGraph]
    ) -> ReactionGraphs:
        n_atom, n_bond = len(self.graph.atom_features), len(self.graph.bond_features)
        if self.agents_with_reactants:
            reactants, agents = reactants + agents, []
        return ReactionGraphs(
            merge_graphs(reactants, n_atom, n_bond),
            merge_graphs(products, n_atom, n_bond),
            merge_graphs(agents, n_atom, n_bond) if agents else None,
        )

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
