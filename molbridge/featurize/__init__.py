"""Pure per-modality featurizers: RDKit `Mol` -> numpy arrays, each with `to_config()`."""

from molbridge.featurize.fingerprint import ECFPFeaturizer
from molbridge.featurize.graph import GraphFeaturizer, MolGraph

__all__ = ["ECFPFeaturizer", "GraphFeaturizer", "MolGraph"]
