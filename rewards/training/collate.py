"""Batches: dynamic padding (to the longest sequence of the batch) and label tensors.

Padding positions of ``labels`` are ``-100`` (``IGNORE_INDEX``), which every loss skips. In
fast mode an example carries cached ``features`` instead of token ids; the same collators
stack those.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from .data import IGNORE_INDEX, Example
from .lexical import SEGMENT_FEATURES

Batch = dict[str, Any]


def _pad(rows: Sequence[Sequence[int]], value: int, multiple: int = 1) -> torch.Tensor:
    width = max((len(r) for r in rows), default=0)
    width = -(-width // multiple) * multiple if width else 0
    out = torch.full((len(rows), width), value, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
    return out


def _pad_features(rows: Sequence[torch.Tensor]) -> torch.Tensor:
    """(T_i, F) tensors → (batch, max T, F), zeros where padded."""
    width = max(r.shape[0] for r in rows)
    out = torch.zeros(len(rows), width, rows[0].shape[-1], dtype=rows[0].dtype)
    for i, row in enumerate(rows):
        out[i, : row.shape[0]] = row
    return out


class TokenLabelCollator:
    """Span and step examples: labels at separator positions.

    ``label_width`` > 0: float labels ``(batch, targets, width)`` (span: ``[any, type…]``);
    0: class indices ``(batch, targets)`` (step).

    >>> c = TokenLabelCollator(pad_token_id=0, label_width=2)
    >>> b = c([Example([5, 6, 7], [2], [[1.0, 0.0]]), Example([5, 9, 9, 9, 7], [2, 4],
    ...        [[0.0, 0.0], [1.0, 1.0]], group=1)])
    >>> b["input_ids"].tolist()
    [[5, 6, 7, 0, 0], [5, 9, 9, 9, 7]]
    >>> b["attention_mask"].tolist()
    [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    >>> b["targets"].tolist(), b["target_mask"].tolist(), b["group"].tolist()
    ([[2, 0], [2, 4]], [[True, False], [True, True]], [0, 1])
    >>> b["labels"].tolist()
    [[[1.0, 0.0], [-100.0, -100.0]], [[0.0, 0.0], [1.0, 1.0]]]
    """

    def __init__(self, pad_token_id: int, label_width: int, pad_to_multiple_of: int = 1) -> None:
        self.pad_token_id = pad_token_id
        self.label_width = label_width
        self.multiple = pad_to_multiple_of

    def __call__(self, examples: Sequence[Example]) -> Batch:
        batch: Batch = {"group": torch.tensor([e.group for e in examples], dtype=torch.long)}
        if examples[0].features is not None:
            batch["features"] = _pad_features([e.features for e in examples])
        else:
            ids = _pad([e.input_ids for e in examples], self.pad_token_id, self.multiple)
            batch["input_ids"] = ids
            batch["attention_mask"] = _pad(
                [[1] * len(e.input_ids) for e in examples], 0, self.multiple
            )
        targets = _pad([e.targets for e in examples], 0)  # (batch, max targets)
        batch["targets"] = targets
        batch["target_mask"] = _pad([[1] * len(e.targets) for e in examples], 0).bool()
        if examples[0].extra is not None:
            width = next((len(e.extra[0]) for e in examples if e.extra), len(SEGMENT_FEATURES))
            batch["extra"] = _pad_features(
                [torch.tensor(e.extra, dtype=torch.float).reshape(-1, width) for e in examples]
            )
        if self.label_width:
            labels = torch.full((*targets.shape, self.label_width), float(IGNORE_INDEX))
            for i, e in enumerate(examples):
                for t, row in enumerate(e.labels):
                    labels[i, t, : len(row)] = torch.as_tensor(row, dtype=torch.float)
        else:
            labels = _pad([e.labels for e in examples], IGNORE_INDEX)
        batch["labels"] = labels
        return batch


class SequenceLabelCollator:
    """Rubric examples: one float label per criterion, ``-100`` where missing.

    >>> c = SequenceLabelCollator(pad_token_id=0)
    >>> b = c([Example([1, 2], labels=[0.5, -100]), Example([1, 2, 3], labels=[1.0, 0.0])])
    >>> b["input_ids"].tolist(), b["labels"].tolist()
    ([[1, 2, 0], [1, 2, 3]], [[0.5, -100.0], [1.0, 0.0]])
    """

    def __init__(self, pad_token_id: int, pad_to_multiple_of: int = 1) -> None:
        self.pad_token_id = pad_token_id
        self.multiple = pad_to_multiple_of

    def __call__(self, examples: Sequence[Example]) -> Batch:
        batch: Batch = {"labels": torch.tensor([e.labels for e in examples], dtype=torch.float)}
        batch["group"] = torch.zeros(len(examples), dtype=torch.long)
        if examples[0].features is not None:
            batch["features"] = torch.stack([e.features for e in examples])
            return batch
        batch["input_ids"] = _pad([e.input_ids for e in examples], self.pad_token_id, self.multiple)
        batch["attention_mask"] = _pad([[1] * len(e.input_ids) for e in examples], 0, self.multiple)
        return batch


class PreferenceCollator:
    """Pairs → one batch of ``2 * batch`` sequences, chosen first then rejected (TRL's layout).

    >>> c = PreferenceCollator(pad_token_id=0)
    >>> b = c([Example([1, 2, 3], rejected_ids=[1, 4], margin=0.5)])
    >>> b["input_ids"].tolist(), b["attention_mask"].tolist(), b["margin"].tolist()
    ([[1, 2, 3], [1, 4, 0]], [[1, 1, 1], [1, 1, 0]], [0.5])
    """

    def __init__(self, pad_token_id: int, pad_to_multiple_of: int = 1) -> None:
        self.pad_token_id = pad_token_id
        self.multiple = pad_to_multiple_of

    def __call__(self, examples: Sequence[Example]) -> Batch:
        batch: Batch = {"margin": torch.tensor([e.margin for e in examples], dtype=torch.float)}
        batch["group"] = torch.zeros(2 * len(examples), dtype=torch.long)
        if examples[0].features is not None:
            chosen = [e.features for e in examples]
            rejected = [e.rejected_features for e in examples]
            batch["features"] = torch.stack(chosen + rejected)
            return batch
        rows = [e.input_ids for e in examples] + [e.rejected_ids or [] for e in examples]
        batch["input_ids"] = _pad(rows, self.pad_token_id, self.multiple)
        batch["attention_mask"] = _pad([[1] * len(r) for r in rows], 0, self.multiple)
        return batch


def collator_for(kind: str, pad_token_id: int, label_width: int, multiple: int = 1) -> Any:
    if kind == "span":
        return TokenLabelCollator(pad_token_id, label_width, multiple)
    if kind == "step":
        return TokenLabelCollator(pad_token_id, 0, multiple)
    if kind == "rubric":
        return SequenceLabelCollator(pad_token_id, multiple)
    return PreferenceCollator(pad_token_id, multiple)


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, seed: int, *, group_by_length: bool = True
) -> list[list[int]]:
    """Indices in batches for one epoch. Grouped: shuffle, cut into mega-batches of 50
    batches, sort each by length (longest first), cut into batches, shuffle the batches
    (the scheme of ``transformers``' LengthGroupedSampler). Deterministic in ``seed``.

    >>> length_grouped_batches([5, 1, 4, 2], 2, seed=0)
    [[0, 2], [3, 1]]
    """
    rng = random.Random(seed)  # noqa: S311  # batch order, not security
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if group_by_length:
        mega = batch_size * 50
        chunks = [order[i : i + mega] for i in range(0, len(order), mega)]
        order = [i for chunk in chunks for i in sorted(chunk, key=lambda j: -lengths[j])]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if group_by_length:
        rng.shuffle(batches)
    return batches


def eval_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Sorted by length (least padding); callers put results back by index."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    for i in range(0, len(order), batch_size):
        yield order[i : i + batch_size]
