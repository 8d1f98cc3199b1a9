"""Reward heads on a Hugging Face ``AutoModel`` backbone.

One head class serves every kind: ``GroupedHead`` maps a feature vector to the outputs of
its group (span: one group per error category, ``[any, type…]``; step: 3 classes; rubric:
one value per criterion; preference: one reward). Token kinds read features at separator
positions; sequence kinds read the attention-masked mean over the sequence. A feature is
the concatenation of the last ``feature_layers`` hidden layers.

``BackboneRewardModel`` (full fine-tuning, and scoring in both modes) runs the backbone;
``FeatureRewardModel`` (fast refresh) reads cached features, so only the head trains. Both
return the same ``logits`` from the same head, so a head trained on cached features scores
live text on the frozen backbone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer

from .collate import Batch

TOKEN_KINDS = ("span", "step")


class GroupedHead(nn.Module):
    """``features (batch, targets, F)`` and ``group (batch,)`` → ``(batch, targets, max width)``;
    columns past a group's width are zero (their labels are -100).

    ``wide`` > 0: the last ``wide`` feature columns (a few hand-made ones, ``lexical.py``)
    also reach the outputs through a linear layer of their own, added to the head's output
    (a wide-and-deep head): among a thousand backbone columns, through dropout and a hidden
    layer, a few strong columns are otherwise all but ignored.
    """

    def __init__(
        self,
        in_features: int,
        widths: Sequence[int],
        hidden: int = 0,
        dropout: float = 0.1,
        wide: int = 0,
    ) -> None:
        super().__init__()
        self.widths = list(widths)
        self.dropout = nn.Dropout(dropout)
        self.wide_features = wide

        def head(width: int) -> nn.Module:
            if not hidden:
                return nn.Linear(in_features, width)
            return nn.Sequential(
                nn.Linear(in_features, hidden),
                nn.GELU(),
                nn.Dropout(dropout),
                nn.Linear(hidden, width),
            )

        self.heads = nn.ModuleList(head(w) for w in self.widths)
        if wide:
            self.wide = nn.ModuleList(nn.Linear(wide, w) for w in self.widths)

    def _group(self, g: int, features: torch.Tensor) -> torch.Tensor:
        out = self.heads[g](self.dropout(features))
        if self.wide_features:
            out = out + self.wide[g](features[..., -self.wide_features :])
        return out

    def forward(self, features: torch.Tensor, group: torch.Tensor) -> torch.Tensor:
        if len(self.heads) == 1:
            return self._group(0, features)
        out = features.new_zeros(*features.shape[:-1], max(self.widths))  # (batch, T, W)
        for g in range(len(self.heads)):
            rows = group == g
            if rows.any():
                out[rows, ..., : self.widths[g]] = self._group(g, features[rows]).to(out.dtype)
        return out


def stack_layers(hidden_states: Sequence[torch.Tensor], layers: int) -> torch.Tensor:
    """The last ``layers`` hidden states concatenated: ``(batch, seq, hidden * layers)``."""
    return torch.cat(list(hidden_states[-layers:]), dim=-1)


def gather(hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``hidden (batch, seq, F)`` at ``targets (batch, T)`` → ``(batch, T, F)``."""
    index = targets.unsqueeze(-1).expand(-1, -1, hidden.shape[-1])
    return torch.gather(hidden, 1, index)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attention-masked mean: ``(batch, seq, F)`` → ``(batch, F)``."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def backbone_features(
    backbone: nn.Module, batch: Batch, layers: int, token_kind: bool
) -> torch.Tensor:
    """Features for the heads: ``(batch, T, F)`` at targets, or ``(batch, F)`` pooled."""
    out = backbone(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        output_hidden_states=layers > 1,
    )
    hidden = stack_layers(out.hidden_states, layers) if layers > 1 else out.last_hidden_state
    if token_kind:
        return gather(hidden, batch["targets"])
    return mean_pool(hidden, batch["attention_mask"])


class BackboneRewardModel(nn.Module):
    def __init__(self, backbone: nn.Module, head: GroupedHead, kind: str, layers: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.kind = kind
        self.layers = layers

    def forward(self, batch: Batch) -> torch.Tensor:
        token_kind = self.kind in TOKEN_KINDS
        features = backbone_features(self.backbone, batch, self.layers, token_kind)
        features = with_extra(features.float(), batch)
        return logits_from(self.head, features, batch["group"], self.kind)


class FeatureRewardModel(nn.Module):
    """Fast refresh: the head on cached backbone features (``batch["features"]``)."""

    def __init__(self, head: GroupedHead, kind: str) -> None:
        super().__init__()
        self.head = head
        self.kind = kind

    def forward(self, batch: Batch) -> torch.Tensor:
        features = with_extra(batch["features"].float(), batch)
        return logits_from(self.head, features, batch["group"], self.kind)


def with_extra(features: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Token features ``(batch, T, F)`` with ``batch["extra"] (batch, T, E)`` appended, if any
    (``TrainConfig.segment_features``)."""
    extra = batch.get("extra")
    if extra is None:
        return features
    return torch.cat([features, extra.to(features.dtype)], dim=-1)


def logits_from(
    head: GroupedHead, features: torch.Tensor, group: torch.Tensor, kind: str
) -> torch.Tensor:
    """Token kinds: ``(batch, T, W)``; rubric ``(batch, C)``; preference ``(batch,)``."""
    if kind in TOKEN_KINDS:
        return head(features, group)
    out = head(features.unsqueeze(1), group).squeeze(1)  # (batch, W)
    return out.squeeze(-1) if kind == "preference" else out


# What checkpoints call the dropout on attention probabilities (BERT family; DistilBERT).
ATTENTION_DROPOUT_NAMES = ("attention_probs_dropout_prob", "attention_dropout")


def load_backbone(
    path: str | Path, *, dtype: torch.dtype | None = None, attention_dropout: float | None = None
) -> Any:
    """A local ``AutoModel`` from safetensors only (``use_safetensors=True`` refuses a
    pickled ``pytorch_model.bin``); never downloads. ``attention_dropout`` replaces the
    checkpoint's dropout on attention probabilities (``TrainConfig.attention_dropout``)."""
    config = AutoConfig.from_pretrained(str(path), local_files_only=True)
    if attention_dropout is not None:
        for name in ATTENTION_DROPOUT_NAMES:
            if hasattr(config, name):
                setattr(config, name, attention_dropout)
    return AutoModel.from_pretrained(
        str(path), config=config, local_files_only=True, use_safetensors=True, dtype=dtype
    )


def load_tokenizer(path: str | Path) -> Any:
    return AutoTokenizer.from_pretrained(str(path), local_files_only=True, use_fast=True)


def hidden_size(backbone: Any) -> int:
    return int(backbone.config.hidden_size)
