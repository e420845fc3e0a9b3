"""Pre-training strategies: Lightning tasks that receive the encoders they train."""

from molbridge.tasks.pretrain.attr_masking import AttrMasking, AttrMaskingConfig
from molbridge.tasks.pretrain.base import PretrainTask
from molbridge.tasks.pretrain.context_pred import ContextPred, ContextPredConfig

__all__ = ["AttrMasking", "AttrMaskingConfig", "ContextPred", "ContextPredConfig", "PretrainTask"]
