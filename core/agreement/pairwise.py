"""Two annotators: span overlap, step accuracy and first error, rubric kappa and Spearman,
preference sign agreement."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# (response, start, end, error_type): one span label.
Span = tuple[int, int, int, str]


@dataclass
class PRF:
    """Counts of characters: true positives, false positives (only in the predicted labels),
    false negatives (only in the reference labels)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: PRF) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """2·TP / (2·TP + FP + FN); None when neither side marked anything."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None


def _characters(spans: Iterable[Span], error_type: str | None) -> set[tuple[int, int]]:
    """The (response, code point) pairs covered by ``spans`` of ``error_type`` (any if None)."""
    covered: set[tuple[int, int]] = set()
    for response, start, end, kind in spans:
        if error_type is None or kind == error_type:
            covered.update((response, i) for i in range(start, end))
    return covered


def span_overlap(
    predicted: Iterable[Span], reference: Iterable[Span], error_type: str | None = None
) -> PRF:
    """Character-level agreement of two annotators' spans on one item.

    ``error_type=None`` ignores the types (did both flag the character at all?). Overlapping
    spans of one annotator count each character once.

    >>> span_overlap([(0, 0, 4, "x")], [(0, 2, 6, "x")], "x")
    PRF(tp=2, fp=2, fn=2)
    """
    predicted, reference = list(predicted), list(reference)
    p = _characters(predicted, error_type)
    r = _characters(reference, error_type)
    return PRF(tp=len(p & r), fp=len(p - r), fn=len(r - p))


def first_error(ratings: Mapping[int, int]) -> int | None:
    """Index of the first step rated −1, or None when no step is (``ratings``: index → rating)."""
    bad = [index for index, rating in ratings.items() if rating == -1]
    return min(bad) if bad else None


@dataclass
class StepAgreement:
    steps: int = 0
    steps_equal: int = 0
    responses: int = 0
    first_error_equal: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.steps_equal / self.steps if self.steps else None

    @property
    def first_error_agreement(self) -> float | None:
        return self.first_error_equal / self.responses if self.responses else None


def step_agreement(predicted: Mapping[int, int], reference: Mapping[int, int]) -> StepAgreement:
    """Agreement on one steps response; both map step index → rating (−1/0/+1).

    Accuracy counts the steps both rated. The first-error location compares the first −1 of
    each side; it is only meaningful when the predicted side rated at least the steps up to
    the reference's first error, so callers pass complete ratings where they have them.
    """
    shared = predicted.keys() & reference.keys()
    return StepAgreement(
        steps=len(shared),
        steps_equal=sum(predicted[i] == reference[i] for i in shared),
        responses=1,
        first_error_equal=int(first_error(predicted) == first_error(reference)),
    )


def quadratic_weighted_kappa(
    pairs: Sequence[tuple[int, int]], levels: Sequence[int]
) -> float | None:
    """Cohen's kappa with quadratic disagreement weights ``((i - j) / (k - 1))²`` over the
    ordered ``levels`` of a criterion. ``pairs`` are (rater A, rater B) scores.

    Returns 1.0 for perfect agreement, 0 for chance level, negative below chance; None when
    there are no pairs, fewer than two levels, or every score falls on one level for both
    raters (kappa is undefined: expected disagreement is zero).

    >>> quadratic_weighted_kappa([(1, 1), (2, 2), (3, 3)], [1, 2, 3])
    1.0
    """
    ordered = sorted(set(levels))
    k = len(ordered)
    if not pairs or k < 2:
        return None
    index = {level: i for i, level in enumerate(ordered)}
    observed = [[0.0] * k for _ in range(k)]
    for a, b in pairs:
        observed[index[a]][index[b]] += 1
    n = float(len(pairs))
    rows = [sum(observed[i]) for i in range(k)]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            weight = ((i - j) / (k - 1)) ** 2
            num += weight * observed[i][j]
            den += weight * rows[i] * cols[j] / n
    if den == 0:
        return None
    return 1.0 - num / den


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values share the average of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for m in range(i, j + 1):
            ranks[order[m]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Spearman's rho: Pearson correlation of the average ranks. None with fewer than two
    pairs or when one side is constant.

    >>> spearman([(1, 10), (2, 20), (3, 30)])
    1.0
    """
    if len(pairs) < 2:
        return None
    ra = _ranks([a for a, _ in pairs])
    rb = _ranks([b for _, b in pairs])
    mean_a = sum(ra) / len(ra)
    mean_b = sum(rb) / len(rb)
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(ra, rb, strict=True))
    var_a = sum((x - mean_a) ** 2 for x in ra)
    var_b = sum((y - mean_b) ** 2 for y in rb)
    if var_a == 0 or var_b == 0:
        return None
    return cov / math.sqrt(var_a * var_b)


def sign(value: int) -> int:
    return (value > 0) - (value < 0)


def preference_sign_agreement(pairs: Sequence[tuple[int, int]]) -> float | None:
    """Share of (A, B) preference pairs on −3…+3 whose signs agree (a tie is its own sign).

    >>> preference_sign_agreement([(-3, -1), (2, 0), (0, 0)])
    0.6666666666666666
    """
    if not pairs:
        return None
    return sum(sign(a) == sign(b) for a, b in pairs) / len(pairs)
