"""Agreement between two annotators on fine-grained labels (Django-free, pure Python).

Used by judge calibration (judge vs humans) and, later, by agreement dashboards (human vs
human). Every function takes plain values, so it can be tested by hand and reused anywhere.

- Spans: character-level overlap. Each label covers the code points ``[start, end)`` of one
  response; two annotators agree on a character when both mark it with the same error type.
  Precision, recall and F1 are micro-averaged over everything compared.
- Steps (PRM800K −1/0/+1): accuracy over steps both rated, and agreement on the location of
  the first −1 step ("no error" is a location too).
- Rubric scores: Cohen's kappa with quadratic weights over the criterion's levels, and
  Spearman's rank correlation (average ranks for ties).
- Preferences (−3…+3): agreement on the sign (A better, tie, B better).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

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


# --- Krippendorff's alpha for coded units ------------------------------------------------------
#
# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg School for
# Communication, University of Pennsylvania (https://repository.upenn.edu/asc_papers/43/), and
# Content Analysis, 3rd ed. (2013), ch. 12. Units carry the values of the coders who coded them
# (missing values are simply absent); only units with two or more values are pairable.
#
#   o[c][k]  = Σ_units  (number of c-k pairs of values in the unit) / (m_u − 1)
#   n_c      = Σ_k o[c][k],   n = Σ_c n_c
#   α        = 1 − (n − 1) · Σ o[c][k] δ²(c, k)  /  Σ n_c n_k δ²(c, k)
#
# δ² is the metric's difference function: nominal 0/1, interval (c − k)², ratio
# ((c − k) / (c + k))², ordinal (Σ_{g from c to k} n_g − (n_c + n_k) / 2)² over the ordered
# value domain. The ``krippendorff`` PyPI package computes the same quantity
# (tests/quality/test_agreement_metrics.py checks both agree).

Metric = Literal["nominal", "ordinal", "interval", "ratio"]


@dataclass
class Coincidences:
    """Krippendorff's coincidence matrix, filled unit by unit. ``weight`` counts a unit as
    that many identical units (a run of characters that every coder labelled the same way).

    Units are tallied by their pattern of values (which values, how many coders gave each)
    and turned into the matrix when it is read: a text of a million characters has only a
    few distinct patterns."""

    patterns: dict[frozenset[tuple[Hashable, int]], float] = field(default_factory=dict)
    pairable_units: float = 0.0

    def add(self, values: Iterable[Hashable], weight: float = 1.0) -> None:
        self.add_counts(Counter(values), weight)

    def add_counts(self, counts: Mapping[Hashable, int], weight: float = 1.0) -> None:
        """Add one unit given as value → number of coders who gave it."""
        if sum(counts.values()) < 2 or weight <= 0:
            return
        self.pairable_units += weight
        key = frozenset((value, n) for value, n in counts.items() if n)
        self.patterns[key] = self.patterns.get(key, 0.0) + weight

    def add_pattern(self, pattern: frozenset[tuple[Hashable, int]], weight: float) -> None:
        """``add_counts`` for callers that build the pattern themselves (two or more values,
        no zero counts): the hot loop of ``span_agreement``."""
        self.pairable_units += weight
        self.patterns[pattern] = self.patterns.get(pattern, 0.0) + weight

    def merge(self, other: Coincidences) -> None:
        for key, weight in other.patterns.items():
            self.patterns[key] = self.patterns.get(key, 0.0) + weight
        self.pairable_units += other.pairable_units

    @property
    def o(self) -> dict[tuple[Hashable, Hashable], float]:
        """o[(c, k)] = Σ_units (number of c-k pairs of values in the unit) / (m_u − 1)."""
        o: dict[tuple[Hashable, Hashable], float] = {}
        for pattern, weight in self.patterns.items():
            m = sum(n for _, n in pattern)
            share = weight / (m - 1)
            for a, count_a in pattern:
                for b, count_b in pattern:
                    pairs = count_a * (count_a - 1) if a == b else count_a * count_b
                    if pairs:
                        o[(a, b)] = o.get((a, b), 0.0) + share * pairs
        return o

    def alpha(
        self, metric: Metric = "nominal", domain: Sequence[Any] | None = None
    ) -> float | None:
        """α of the units added so far; None when it is undefined (no pairable values, or
        every pairable value is the same, so that expected disagreement is zero)."""
        o = self.o
        n_v: dict[Hashable, float] = defaultdict(float)
        for (a, _b), value in o.items():
            n_v[a] += value
        n = sum(n_v.values())
        if n <= 1:
            return None
        values = list(domain) if domain is not None else sorted(n_v, key=_sort_key)
        delta = _difference_function(metric, values, n_v)
        observed = sum(value * delta(a, b) for (a, b), value in o.items())
        keys = list(n_v)
        expected = 0.0
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                expected += 2 * n_v[a] * n_v[b] * delta(a, b)
        if expected == 0:
            return None
        return 1.0 - (n - 1) * observed / expected


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) else (1, str(value))


def _difference_function(
    metric: Metric, values: Sequence[Any], n_v: Mapping[Hashable, float]
) -> Any:
    if metric == "nominal":
        return lambda a, b: 0.0 if a == b else 1.0
    if metric == "interval":
        return lambda a, b: float(a - b) ** 2
    if metric == "ratio":
        return lambda a, b: 0.0 if a == b else ((a - b) / (a + b)) ** 2
    if metric == "ordinal":
        position = {value: i for i, value in enumerate(values)}
        cumulative = [0.0]
        for value in values:
            cumulative.append(cumulative[-1] + n_v.get(value, 0.0))

        def ordinal(a: Any, b: Any) -> float:
            i, j = sorted((position[a], position[b]))
            between = cumulative[j + 1] - cumulative[i]
            return (between - (n_v.get(a, 0.0) + n_v.get(b, 0.0)) / 2) ** 2

        return ordinal
    raise ValueError(f"Unknown metric {metric!r}.")


def krippendorff_alpha(
    units: Iterable[Iterable[Hashable]],
    metric: Metric = "nominal",
    domain: Sequence[Any] | None = None,
) -> float | None:
    """Krippendorff's α over ``units``, each the values its coders gave (missing ones left
    out). ``domain`` orders the values for the ordinal metric (default: sorted).

    >>> round(krippendorff_alpha([[1, 1], [2, 2], [1, 2]]), 4)
    0.4444
    """
    coincidences = Coincidences()
    for values in units:
        coincidences.add(values)
    return coincidences.alpha(metric, domain)


def weighted_kappa(
    pairs: Sequence[tuple[int, int]], levels: Sequence[int], weighting: str = "quadratic"
) -> float | None:
    """Cohen's (1968) weighted kappa of (rater A, rater B) pairs over ordered ``levels``;
    disagreement weights ``|i − j| / (k − 1)`` (linear) or its square (quadratic). None where
    undefined (see ``quadratic_weighted_kappa``)."""
    ordered = sorted(set(levels) | {v for pair in pairs for v in pair})
    k = len(ordered)
    if not pairs or k < 2:
        return None
    power = 2 if weighting == "quadratic" else 1
    index = {level: i for i, level in enumerate(ordered)}
    rows = [0.0] * k
    cols = [0.0] * k
    num = 0.0
    for a, b in pairs:
        i, j = index[a], index[b]
        rows[i] += 1
        cols[j] += 1
        num += (abs(i - j) / (k - 1)) ** power
    n = float(len(pairs))
    den = 0.0
    for i in range(k):
        for j in range(k):
            den += (abs(i - j) / (k - 1)) ** power * rows[i] * cols[j] / n
    if den == 0:
        return None
    return 1.0 - num / den


def coder_pairs(
    units: Iterable[Mapping[Hashable, Any]],
) -> dict[tuple[Hashable, Hashable], list[tuple[Any, Any]]]:
    """For every two coders (in sorted order), the (value A, value B) of the units both coded.

    >>> coder_pairs([{"x": 1, "y": 2}, {"y": 3}])
    {('x', 'y'): [(1, 2)]}
    """
    out: dict[tuple[Hashable, Hashable], list[tuple[Any, Any]]] = defaultdict(list)
    for unit in units:
        try:
            coders = sorted(unit)
        except TypeError:  # coders of mixed types
            coders = sorted(unit, key=_sort_key)
        for i, a in enumerate(coders):
            for b in coders[i + 1 :]:
                out[(a, b)].append((unit[a], unit[b]))
    return dict(out)


def pairwise_share(units: Iterable[Mapping[Hashable, Any]], same: Any = None) -> float | None:
    """Share of coder pairs within units whose values are equal (``same(a, b)`` decides, by
    default ``==``): the percentage agreement of every two coders of a unit.

    >>> pairwise_share([{"x": 1, "y": 1, "z": 2}])
    0.3333333333333333
    """
    equal = total = 0
    for pairs in coder_pairs(units).values():
        for a, b in pairs:
            total += 1
            equal += bool(same(a, b)) if same is not None else a == b
    return equal / total if total else None


# --- spans of several coders over text continua -----------------------------------------------
#
# A ``SpanSection`` is one text response as several coders labelled it: its length in code
# points and, per coder, that coder's spans. A coder present with no spans said "no error here".
# Every statistic is computed over elementary runs (the text cut at every span boundary of every
# coder), so the cost grows with the number of spans, not of characters.
#
# - Character-overlap F1 per error type: every two coders of a section, micro-summed over pairs
#   and sections; a character counts for both coders when both marked it with that type. "(all)"
#   sums the per-type counts (agreement on character *and* type).
# - Severity-weighted F1: the same with each marked character weighing its severity level (1
#   when the type has no scale): 2·Σ min(w_a, w_b) / (Σ w_a + Σ w_b) — the weighted Dice
#   coefficient, so a minor/critical mismatch on a character counts as partial agreement.
# - Unitizing α (αU): Krippendorff, K. (1995), "On the reliability of unitizing continuous
#   data", Sociological Methodology 25:47–76; in the form of Content Analysis, 2nd ed. (2004),
#   §12.4. Per error type each coder's continuum is cut into units (maximal runs of that type)
#   and gaps; observed disagreement sums squared boundary differences of overlapping units and
#   squared lengths of units lying inside the other coder's gaps; expected disagreement
#   considers every placement of every unit in the pooled continuum. "(all)" pools the types
#   (1 − Σ_c D_o,c / Σ_c D_e,c). Responses are separate continua (a unit never crosses one; a
#   gap ends at a response's end). Where responses have different numbers of coders m_s,
#   D_o averages pairs within each response (the 1/(m(m−1)) factor per response) and mL
#   becomes Σ m_s L_s; with a constant m both are exactly Krippendorff's formula.
# - Character α: Krippendorff's α with every character a unit (the "atomised" continuum of
#   Krippendorff 1995, §3): per type nominal on marked / not marked; "(all)" nominal on the
#   set of types marking the character. The severity-weighted variant is interval α on the
#   severity level (0 = not marked), per type; "(all)" pools the per-type units.

# (start, end, error_type, severity) in code points; severity None counts as 1.
SpanUnit = tuple[int, int, str, int | None]
ALL = "(all)"


@dataclass
class SpanSection:
    key: Hashable
    length: int
    coders: Mapping[Hashable, Sequence[SpanUnit]]


@dataclass
class _Unitizing:
    """Running sums of αU for one error type."""

    observed: float = 0.0  # Σ over sections of Σ_{ordered pairs} δ² / (m_s (m_s − 1))
    units: list[int] = field(default_factory=list)  # lengths of every coder's units
    gaps: list[int] = field(default_factory=list)  # lengths of every coder's gaps

    def disagreements(self, length: int, coded: int) -> tuple[float, float] | None:
        """(D_o, D_e) over a continuum of ``length`` coded ``coded`` times in all (Σ m_s L_s)."""
        if not self.units or length == 0:
            return None
        gaps = sorted(self.gaps)
        suffix = [0] * (len(gaps) + 1)  # suffix[i] = Σ gaps[i:]
        for i in range(len(gaps) - 1, -1, -1):
            suffix[i] = suffix[i + 1] + gaps[i]
        n_units = len(self.units)
        total = 0
        squares = 0
        for l in self.units:  # noqa: E741 - Krippendorff's notation
            # l(l-1)(2l-1) = 2l³ − 3l² + l is divisible by 6: exact integer arithmetic.
            within = (n_units - 1) * (l * (l - 1) * (2 * l - 1)) // 3
            i = bisect_left(gaps, l)
            fits = suffix[i] - (len(gaps) - i) * (l - 1)  # Σ_{gaps g ≥ l} (g − l + 1)
            total += within + l * l * fits
            squares += l * (l - 1)
        denominator = coded * (coded - 1) - squares
        if denominator <= 0:
            return None
        expected = 2 * total / length / denominator
        return self.observed / (length * length), expected


def _unit_runs(spans: Iterable[SpanUnit], length: int) -> list[tuple[int, int, bool]]:
    """One coder's continuum for one error type as (start, end, is_unit) sections covering
    ``[0, length)``. Overlapping spans merge into one unit (αU forbids overlaps within a
    coder); touching spans stay two units, as in Krippendorff's examples."""
    units: list[list[int]] = []
    for start, end in sorted((max(0, s[0]), min(length, s[1])) for s in spans):
        if start >= end:
            continue
        if units and start < units[-1][1]:
            units[-1][1] = max(units[-1][1], end)
        else:
            units.append([start, end])
    runs: list[tuple[int, int, bool]] = []
    position = 0
    for start, end in units:
        if start > position:
            runs.append((position, start, False))
        runs.append((start, end, True))
        position = end
    if position < length:
        runs.append((position, length, False))
    return runs


def _unitizing_distance(g: tuple[int, int, bool], h: tuple[int, int, bool]) -> int:
    """Krippendorff's (1995) δ² of two intersecting sections (units or gaps) of two coders."""
    (b1, e1, unit1), (b2, e2, unit2) = g, h
    if unit1 and unit2:
        return (b1 - b2) ** 2 + (e1 - e2) ** 2
    if unit1 and not unit2 and b2 <= b1 and e1 <= e2:
        return (e1 - b1) ** 2
    if unit2 and not unit1 and b1 <= b2 and e2 <= e1:
        return (e2 - b2) ** 2
    return 0


def _pair_unitizing(a: list[tuple[int, int, bool]], b: list[tuple[int, int, bool]]) -> int:
    """Σ δ² over every two intersecting sections of two coders' runs (a sweep)."""
    i = j = total = 0
    while i < len(a) and j < len(b):
        total += _unitizing_distance(a[i], b[j])
        end_a, end_b = a[i][1], b[j][1]
        if end_a <= end_b:
            i += 1
        if end_b <= end_a:
            j += 1
    return total


@dataclass
class SpanTypeAgreement:
    prf: PRF = field(default_factory=PRF)
    severity_min: float = 0.0  # Σ min(w_a, w_b) over pairs and characters
    severity_sum: float = 0.0  # Σ (w_a + w_b)
    unitizing: _Unitizing = field(default_factory=_Unitizing)
    char: Coincidences = field(default_factory=Coincidences)
    char_severity: Coincidences = field(default_factory=Coincidences)
    marked_chars: int = 0  # characters marked with the type, summed over coders

    @property
    def f1(self) -> float | None:
        return self.prf.f1

    @property
    def f1_severity(self) -> float | None:
        return 2 * self.severity_min / self.severity_sum if self.severity_sum else None


@dataclass
class PairSpanAgreement:
    """Span agreement of two coders on the sections both labelled (``span_agreement`` with
    ``pairs=True``): the same F1 (type-aware) and unitizing α as a two-coder run."""

    prf: PRF = field(default_factory=PRF)
    unitizing: dict[str, _Unitizing] = field(default_factory=lambda: defaultdict(_Unitizing))
    sections: list[Hashable] = field(default_factory=list)
    length: int = 0

    def unitizing_alpha(self) -> float | None:
        observed = expected = 0.0
        for stats in self.unitizing.values():
            result = stats.disagreements(self.length, 2 * self.length)
            if result is not None:
                observed += result[0]
                expected += result[1]
        return 1.0 - observed / expected if expected else None


@dataclass
class SpanAgreement:
    """Span agreement over sections; see the section comment above for every definition."""

    by_type: dict[str, SpanTypeAgreement] = field(default_factory=dict)
    pairs: dict[tuple[Hashable, Hashable], PairSpanAgreement] = field(default_factory=dict)
    all_char: Coincidences = field(default_factory=Coincidences)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_section: dict[Hashable, PRF] = field(default_factory=dict)
    sections: int = 0
    length: int = 0  # Σ L_s
    coded: int = 0  # Σ m_s L_s

    def unitizing_alpha(self, error_type: str = ALL) -> float | None:
        types = list(self.by_type) if error_type == ALL else [error_type]
        observed = expected = 0.0
        for key in types:
            stats = self.by_type.get(key)
            result = stats.unitizing.disagreements(self.length, self.coded) if stats else None
            if result is not None:
                observed += result[0]
                expected += result[1]
        if expected == 0:
            return None
        return 1.0 - observed / expected

    def f1_prf(self) -> PRF:
        """Character counts summed over types: agreement on character and type."""
        total = PRF()
        for stats in self.by_type.values():
            total.add(stats.prf)
        return total

    def f1(self, error_type: str = ALL) -> float | None:
        if error_type != ALL:
            stats = self.by_type.get(error_type)
            return stats.f1 if stats else None
        return self.f1_prf().f1

    def f1_severity(self, error_type: str = ALL) -> float | None:
        types = list(self.by_type.values()) if error_type == ALL else [self.by_type[error_type]]
        low = sum(s.severity_min for s in types)
        total = sum(s.severity_sum for s in types)
        return 2 * low / total if total else None

    def char_alpha(self, error_type: str = ALL) -> float | None:
        if error_type == ALL:
            return self.all_char.alpha("nominal")
        return self.by_type[error_type].char.alpha("nominal")

    def char_severity_alpha(self, error_type: str = ALL) -> float | None:
        if error_type != ALL:
            return self.by_type[error_type].char_severity.alpha("interval")
        pooled = Coincidences()
        for stats in self.by_type.values():
            pooled.merge(stats.char_severity)
        return pooled.alpha("interval")


def _coverage(spans: Sequence[SpanUnit], cuts: Sequence[int], length: int) -> list[dict[str, int]]:
    """Per elementary segment, error type → highest severity of the coder's spans there."""
    cover: list[dict[str, int]] = [{} for _ in range(len(cuts) - 1)]
    for start, end, error_type, severity in spans:
        start, end = max(0, start), min(length, end)
        weight = severity or 1
        for k in range(bisect_left(cuts, start), bisect_left(cuts, end)):
            if cover[k].get(error_type, 0) < weight:
                cover[k][error_type] = weight
    return cover


def span_agreement(sections: Iterable[SpanSection], *, pairs: bool = False) -> SpanAgreement:
    """Agreement of the coders of ``sections`` on their spans (sections with fewer than two
    coders are skipped). Every coder of a section is compared with every other; with
    ``pairs`` every two coders' own agreement is kept too (``SpanAgreement.pairs``, keyed by
    the two coders in sorted order), in the same pass."""
    sections = [s for s in sections if len(s.coders) >= 2 and s.length > 0]
    result = SpanAgreement()
    types = sorted({span[2] for s in sections for spans in s.coders.values() for span in spans})
    for key in types:
        result.by_type[key] = SpanTypeAgreement()
    for section in sections:
        _add_section(result, section, types, pairs)
    return result


def _add_section(
    result: SpanAgreement, section: SpanSection, types: Sequence[str], with_pairs: bool
) -> None:
    length = section.length
    try:
        coders = sorted(section.coders)
    except TypeError:
        coders = sorted(section.coders, key=_sort_key)
    m = len(coders)
    pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
    per_pair = []
    if with_pairs:
        for i, j in pairs:
            pair = result.pairs.setdefault((coders[i], coders[j]), PairSpanAgreement())
            pair.sections.append(section.key)
            pair.length += length
            per_pair.append(pair)
    result.sections += 1
    result.length += length
    result.coded += m * length
    cuts_set = {0, length}
    for spans in section.coders.values():
        for start, end, _t, _s in spans:
            cuts_set.update((max(0, min(length, start)), max(0, min(length, end))))
    cuts = sorted(cuts_set)
    cover = [_coverage(section.coders[c], cuts, length) for c in coders]
    present = {t for per_coder in cover for seg in per_coder for t in seg}
    section_prf = PRF()
    pair_factor = 1.0 / (m * (m - 1))
    for error_type in types:
        stats = result.by_type[error_type]
        if error_type not in present:
            # Nobody marked it here: m agreeing "not marked" values on every character.
            stats.char.add_counts({0: m}, length)
            stats.char_severity.add_counts({0: m}, length)
            stats.unitizing.gaps.extend([length] * m)
            for pair in per_pair:
                pair.unitizing[error_type].gaps.extend((length, length))
            continue
        runs = []
        for coder in coders:
            own = (span for span in section.coders[coder] if span[2] == error_type)
            coder_runs = _unit_runs(own, length)
            runs.append(coder_runs)
            for start, end, marked in coder_runs:
                (stats.unitizing.units if marked else stats.unitizing.gaps).append(end - start)
        for p, (i, j) in enumerate(pairs):
            distance = _pair_unitizing(runs[i], runs[j])
            stats.unitizing.observed += 2 * distance * pair_factor
            if with_pairs:
                own = per_pair[p].unitizing[error_type]
                own.observed += distance  # 2·δ² / (2·1)
                for start, end, marked in (*runs[i], *runs[j]):
                    (own.units if marked else own.gaps).append(end - start)
    binary = {n: frozenset((v, c) for v, c in ((1, n), (0, m - n)) if c) for n in range(m + 1)}
    confusion = result.confusion
    for k in range(len(cuts) - 1):
        width = cuts[k + 1] - cuts[k]
        segs = [per_coder[k] for per_coder in cover]
        labels: dict[str, int] = {}
        for seg in segs:
            label = "|".join(sorted(seg)) if len(seg) > 1 else next(iter(seg), "")
            labels[label] = labels.get(label, 0) + 1
        result.all_char.add_pattern(frozenset(labels.items()), width)
        for error_type in present:
            stats = result.by_type[error_type]
            weights = [seg.get(error_type, 0) for seg in segs]
            marked = m - weights.count(0)
            stats.char.add_pattern(binary[marked], width)
            if not marked:
                stats.char_severity.add_pattern(binary[0], width)
                continue
            severities: dict[int, int] = {}
            for w in weights:
                severities[w] = severities.get(w, 0) + 1
            stats.char_severity.add_pattern(frozenset(severities.items()), width)
            stats.marked_chars += width * marked
            prf = stats.prf
            for p, (i, j) in enumerate(pairs):
                wa, wb = weights[i], weights[j]
                if wa and wb:
                    prf.tp += width
                    section_prf.tp += width
                    if with_pairs:
                        per_pair[p].prf.tp += width
                elif wa:
                    prf.fp += width
                    section_prf.fp += width
                    if with_pairs:
                        per_pair[p].prf.fp += width
                elif wb:
                    prf.fn += width
                    section_prf.fn += width
                    if with_pairs:
                        per_pair[p].prf.fn += width
                else:
                    continue
                stats.severity_min += width * min(wa, wb)
                stats.severity_sum += width * (wa + wb)
        if len(labels) == 1 and "" in labels:
            continue  # nobody marked these characters: nothing to confuse
        for i in range(m):
            for j in range(m):
                if i != j:
                    for ta in segs[i] or ("",):
                        for tb in segs[j] or ("",):
                            if ta or tb:
                                key = (ta or "(none)", tb or "(none)")
                                confusion[key] = confusion.get(key, 0) + width
    result.by_section[section.key] = section_prf


# --- consensus of spans: majority merge at an overlap threshold --------------------------------
#
# The rule used by review proposals and by the ``consensus`` export policy (docs/quality.md):
# spans of one error type from different annotations are linked when their overlap ratio
# |a ∩ b| / |a ∪ b| (Jaccard, in code points) is at least ``threshold`` (default 0.5); linked
# spans form clusters (connected components). A cluster is kept when more than half of the
# response's voters (the annotations that labelled it) have a span in it. Its merged span runs
# from the first to the last code point that more than half of the cluster's annotations marked,
# with the lower median of their severities.

CONSENSUS_OVERLAP = 0.5


def overlap_ratio(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Jaccard overlap of two half-open ranges.

    >>> overlap_ratio((0, 10), (5, 15))
    0.3333333333333333
    """
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


@dataclass
class SpanCluster:
    error_type: str
    members: list[tuple[Hashable, SpanUnit]]  # (voter, span)
    kept: bool = False
    merged: SpanUnit | None = None

    @property
    def voters(self) -> set[Hashable]:
        return {voter for voter, _ in self.members}


def span_clusters(
    spans: Mapping[Hashable, Sequence[SpanUnit]],
    voters: int,
    threshold: float = CONSENSUS_OVERLAP,
) -> list[SpanCluster]:
    """Cluster one response's spans (voter → spans) by the consensus rule above; each cluster
    says whether it is kept and, if so, its merged span. Sorted by position."""
    flat = [(voter, span) for voter, own in spans.items() for span in own if span[0] < span[1]]
    parent = list(range(len(flat)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(flat)), key=lambda i: (flat[i][1][2], flat[i][1][0]))
    for x, i in enumerate(order):
        voter_i, span_i = flat[i]
        for j in order[x + 1 :]:
            voter_j, span_j = flat[j]
            if span_j[2] != span_i[2] or span_j[0] >= span_i[1]:
                break  # sorted by type, then start: nothing later overlaps span_i
            if voter_j != voter_i and overlap_ratio(span_i[:2], span_j[:2]) >= threshold:
                parent[root(j)] = root(i)
    groups: dict[int, list[tuple[Hashable, SpanUnit]]] = defaultdict(list)
    for i in order:
        groups[root(i)].append(flat[i])
    clusters = []
    for members in groups.values():
        cluster = SpanCluster(error_type=members[0][1][2], members=members)
        if len(cluster.voters) * 2 > voters:
            cluster.merged = _merge(cluster)
            cluster.kept = cluster.merged is not None
        clusters.append(cluster)
    clusters.sort(key=lambda c: (min(s[0] for _, s in c.members), c.error_type))
    return clusters


def _merge(cluster: SpanCluster) -> SpanUnit | None:
    depth: Counter[int] = Counter()
    for voter in cluster.voters:
        own = sorted(s[:2] for v, s in cluster.members if v == voter)
        merged: list[list[int]] = []
        for start, end in own:  # one vote per annotation: union its own spans first
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            depth[start] += 1
            depth[end] -= 1
    need = len(cluster.voters) / 2
    offsets = sorted(depth)
    level = 0
    first = last = None
    for k, offset in enumerate(offsets[:-1]):
        level += depth[offset]
        if level > need:  # [offset, next offset) is marked by a majority of the cluster
            first = offset if first is None else first
            last = offsets[k + 1]
    if first is None or last is None:
        return None
    severities = sorted(s[3] for _, s in cluster.members if s[3] is not None)
    severity = severities[(len(severities) - 1) // 2] if severities else None
    return (first, last, cluster.error_type, severity)


def span_consensus(
    spans: Mapping[Hashable, Sequence[SpanUnit]],
    voters: int,
    threshold: float = CONSENSUS_OVERLAP,
) -> list[SpanUnit]:
    """The merged spans of the kept clusters (see ``span_clusters``).

    >>> span_consensus({"a": [(0, 10, "x", 2)], "b": [(2, 10, "x", 1)], "c": [(20, 25, "x", 1)]}, 3)
    [(2, 10, 'x', 1)]
    """
    return [c.merged for c in span_clusters(spans, voters, threshold) if c.merged is not None]
