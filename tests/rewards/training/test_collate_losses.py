"""Exact small-tensor tests of the collators, losses and metrics."""

from __future__ import annotations

import math

import pytest
import torch

from rewards.training.collate import (
    PreferenceCollator,
    SequenceLabelCollator,
    TokenLabelCollator,
    length_grouped_batches,
)
from rewards.training.data import Example
from rewards.training.losses import (
    compute_loss,
    preference_loss,
    rubric_loss,
    span_loss,
    step_loss,
)
from rewards.training.metrics import binary_scores


def test_step_collator_pads_class_labels_with_ignore_index() -> None:
    batch = TokenLabelCollator(pad_token_id=0, label_width=0, pad_to_multiple_of=4)(
        [Example([1, 2, 3], [2], [2]), Example([1, 5], [1], [-100])]
    )
    assert batch["input_ids"].tolist() == [[1, 2, 3, 0], [1, 5, 0, 0]]
    assert batch["labels"].tolist() == [[2], [-100]]
    assert batch["labels"].dtype == torch.long


def test_feature_examples_are_stacked_instead_of_token_ids() -> None:
    a = Example([1, 2], [1], [[1.0]], features=torch.ones(1, 3))
    b = Example([1, 2, 3], [1, 2], [[0.0], [1.0]], features=torch.full((2, 3), 2.0))
    batch = TokenLabelCollator(0, 1)([a, b])
    assert "input_ids" not in batch
    assert batch["features"].tolist() == [[[1, 1, 1], [0, 0, 0]], [[2, 2, 2], [2, 2, 2]]]
    seq = SequenceLabelCollator(0)([Example([1], labels=[0.5], features=torch.ones(3))])
    assert seq["features"].shape == (1, 3)
    pref = PreferenceCollator(0)(
        [Example([1], rejected_ids=[2], features=torch.ones(3), rejected_features=torch.zeros(3))]
    )
    assert pref["features"].tolist() == [[1, 1, 1], [0, 0, 0]]


def test_length_grouped_batches_cover_every_index_once_and_group_lengths() -> None:
    lengths = [10, 200, 11, 190, 12, 180, 13, 170]
    batches = length_grouped_batches(lengths, 2, seed=3)
    assert sorted(i for b in batches for i in b) == list(range(8))
    for b in batches:
        assert max(lengths[i] for i in b) - min(lengths[i] for i in b) <= 20
    assert batches == length_grouped_batches(lengths, 2, seed=3)
    assert batches != length_grouped_batches(lengths, 2, seed=4)


def test_span_loss_ignores_padding_and_weights_errors() -> None:
    logits = torch.tensor([[[0.0, 2.0], [1.0, -100.0]]])
    labels = torch.tensor([[[1.0, 0.0], [-100.0, -100.0]]])
    expected = (math.log(2) * 3 + math.log(1 + math.exp(2))) / 4
    assert span_loss(logits, labels, pos_weight=3.0).item() == pytest.approx(expected)
    assert span_loss(logits, torch.full_like(labels, -100.0)).item() == 0.0


def test_step_loss_is_cross_entropy_over_rated_steps() -> None:
    logits = torch.tensor([[[0.0, 0.0, 0.0], [5.0, 0.0, 0.0]]])
    assert step_loss(logits, torch.tensor([[1, -100]])).item() == pytest.approx(math.log(3))


def test_rubric_loss_skips_missing_criteria() -> None:
    loss = rubric_loss(torch.tensor([[0.5, 9.0]]), torch.tensor([[1.0, -100.0]]))
    assert loss.item() == pytest.approx(0.25)


def test_preference_loss_with_margin_and_centering() -> None:
    chosen, rejected = torch.tensor([2.0]), torch.tensor([1.0])
    assert preference_loss(chosen, rejected).item() == pytest.approx(math.log(1 + math.exp(-1)))
    assert preference_loss(chosen, rejected, torch.tensor([1.0])).item() == pytest.approx(
        math.log(2)
    )
    assert preference_loss(chosen, rejected, None, 0.1).item() == pytest.approx(
        math.log(1 + math.exp(-1)) + 0.9
    )
    batch = {"margin": torch.tensor([0.0])}
    assert compute_loss("preference", torch.tensor([2.0, 1.0]), batch).item() == pytest.approx(
        math.log(1 + math.exp(-1))
    )


def test_binary_scores_count_the_error_class() -> None:
    scores = binary_scores([True, True, False, False], [True, False, True, False])
    assert scores == {
        "accuracy": 0.5,
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "segments": 4.0,
        "errors": 2.0,
    }
