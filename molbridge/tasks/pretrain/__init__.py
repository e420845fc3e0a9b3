"""Pre-training strategies: Lightning tasks that receive the encoders they train.

Graph strategies (attribute masking, context prediction) pre-train the shared graph encoder;
the modality tasks (masked tokens, image contrastive, fingerprint and spectrum autoencoders)
pre-train a unimodal encoder on its own modality, for strategies that need it frozen.
"""

from molbridge.tasks.pretrain.attr_masking import AttrMasking, AttrMaskingConfig
from molbridge.tasks.pretrain.base import PretrainTask
from molbridge.tasks.pretrain.context_pred import ContextPred, ContextPredConfig
from molbridge.tasks.pretrain.fingerprint_autoencoder import (
    FingerprintAutoencoderConfig,
    FingerprintAutoencoderPretraining,
)
from molbridge.tasks.pretrain.image_contrastive import (
    ImageContrastiveConfig,
    ImageContrastivePretraining,
)
from molbridge.tasks.pretrain.masked_tokens import MaskedTokenPretraining, MaskedTokensConfig
from molbridge.tasks.pretrain.spectrum_autoencoder import (
    SpectrumAutoencoderConfig,
    SpectrumAutoencoderPretraining,
)

__all__ = [
    "AttrMasking",
    "AttrMaskingConfig",
    "ContextPred",
    "ContextPredConfig",
    "FingerprintAutoencoderConfig",
    "FingerprintAutoencoderPretraining",
    "ImageContrastiveConfig",
    "ImageContrastivePretraining",
    "MaskedTokenPretraining",
    "MaskedTokensConfig",
    "PretrainTask",
    "SpectrumAutoencoderConfig",
    "SpectrumAutoencoderPretraining",
]
