"""Pure per-modality featurizers: RDKit `Mol` (or a peak list) -> numpy arrays, each with
`to_config()`."""

from molbridge.featurize.descriptors import DescriptorFeaturizer, FragmentCountFeaturizer
from molbridge.featurize.fingerprint import ECFPFeaturizer
from molbridge.featurize.graph import GraphFeaturizer, MolGraph
from molbridge.featurize.image import ImageFeaturizer
from molbridge.featurize.reaction import ReactionFeaturizer, ReactionGraphs
from molbridge.featurize.scaffold import ScaffoldFeaturizer
from molbridge.featurize.smiles import SmilesFeaturizer, SmilesVocabulary, tokenize
from molbridge.featurize.spectrum import SpectrumFeaturizer

__all__ = [
    "DescriptorFeaturizer",
    "ECFPFeaturizer",
    "FragmentCountFeaturizer",
    "GraphFeaturizer",
    "ImageFeaturizer",
    "MolGraph",
    "ReactionFeaturizer",
    "ReactionGraphs",
    "ScaffoldFeaturizer",
    "SmilesFeaturizer",
    "SmilesVocabulary",
    "SpectrumFeaturizer",
    "tokenize",
]
