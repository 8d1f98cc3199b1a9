"""Losses, one per kind; every one skips labels equal to ``-100``.

- span: binary cross-entropy per separator and output column (``[any, type…]``), the
  error class weighted by ``pos_weight`` — Fine-Grained RLHF's per-segment classifiers
  (Wu et al. 2023, https://arxiv.org/abs/2306.01693, §4.1).
- step: cross-entropy over {-1, 0, +1} at each step end (Lightman et al. 2023, "Let's Verify
  Step by Step", https://arxiv.org/abs/2305.20050).
- rubric: squared error per criterion on scores scaled to [0, 1] (Prometheus rubrics,
  https://arxiv.org/abs/2310.08491).
- preference: Bradley–Terry, ``-log σ(r_chosen - r_rejected - margin)`` (Llama 2's margin,
  https://arxiv.org/abs/2307.09288 §3.2.2; TRL ``RewardTrainer``), plus TRL's optional
  ``center_rewards_coefficient * mean((r_chosen + r_rejected)^2)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .collate import Batch
from .data import IGNORE_INDEX


def span_loss(logits: torch.Tensor, labels: torch.Tensor, pos_weight: float = 1.0) -> torch.Tensor:
    """``logits``, ``labels``: ``(batch, targets, width)``; mean over labelled cells.

    >>> span_loss(torch.zeros(1, 1, 2), torch.tensor([[[1.0, -100.0]]])).item()  # log 2
    0.6931471824645996
    """
    mask = labels != IGNORE_INDEX
    if not mask.any():
        return logits.sum() * 0.0
    weight = torch.ones_like(labels)
    weight[labels == 1] = pos_weight
    loss = F.binary_cross_entropy_with_logits(
        logits[mask], labels[mask], weight=weight[mask], reduction="sum"
    )
    return loss / weight[mask].sum()


def step_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``logits (batch, steps, 3)``, ``labels (batch, steps)`` long with -100 for unrated."""
    if not (labels != IGNORE_INDEX).any():
        return logits.sum() * 0.0
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)


def rubric_loss(predictions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``predictions``, ``labels``: ``(batch, criteria)``; mean squared error over scored cells."""
    mask = labels != IGNORE_INDEX
    if not mask.any():
        return predictions.sum() * 0.0
    return F.mse_loss(predictions[mask], labels[mask])


def preference_loss(
    chosen: torch.Tensor,
    rejected: torch.Tensor,
    margin: torch.Tensor | None = None,
    center_rewards_coefficient: float = 0.0,
) -> torch.Tensor:
    """``chosen``, ``rejected``, ``margin``: ``(batch,)``.

    >>> preference_loss(torch.tensor([1.0]), torch.tensor([1.0])).item()  # log 2
    0.6931471824645996
    """
    diff = chosen - rejected
    if margin is not None:
        diff = diff - margin
    loss = -F.logsigmoid(diff).mean()
    if center_rewards_coefficient:
        loss = loss + center_rewards_coefficient * ((chosen + rejected) ** 2).mean()
    return loss


def compute_loss(
    kind: str,
    logits: torch.Tensor,
    batch: Batch,
    *,
    pos_weight: float = 1.0,
    center_rewards_coefficient: float = 0.0,
) -> torch.Tensor:
    """The loss of ``kind`` for the model output ``logits`` on ``batch``."""
    logits = logits.float()
    if kind == "span":
        return span_loss(logits, batch["labels"], pos_weight)
    if kind == "step":
        return step_loss(logits, batch["labels"])
    if kind == "rubric":
        return rubric_loss(logits, batch["labels"])
    half = logits.shape[0] // 2
    return preference_loss(
        logits[:half], logits[half:], batch["margin"], center_rewards_coefficient
    )
