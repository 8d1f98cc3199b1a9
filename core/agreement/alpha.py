"""Krippendorff's alpha and Cohen's weighted kappa over coded units; coder pairs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

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
Coder = TypeVar("Coder", bound=Hashable)  # who gave a value: a user, a judge, an annotation


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
        values = list(domain) if domain is not None else sorted(n_v, key=value_sort_key)
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


def value_sort_key(value: Any) -> tuple[int, Any]:
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
    units: Iterable[Mapping[Coder, Any]],
) -> dict[tuple[Coder, Coder], list[tuple[Any, Any]]]:
    """For every two coders (in sorted order), the (value A, value B) of the units both coded.

    >>> coder_pairs([{"x": 1, "y": 2}, {"y": 3}])
    {('x', 'y'): [(1, 2)]}
    """
    out: dict[tuple[Coder, Coder], list[tuple[Any, Any]]] = defaultdict(list)
    for unit in units:
        keys: list[Any] = list(unit)  # Hashable is not orderable; TypeError decides below
        try:
            coders = sorted(keys)
        except TypeError:  # coders of mixed types
            coders = sorted(keys, key=value_sort_key)
        for i, a in enumerate(coders):
            for b in coders[i + 1 :]:
                out[(a, b)].append((unit[a], unit[b]))
    return dict(out)


def pairwise_share(units: Iterable[Mapping[Coder, Any]], same: Any = None) -> float | None:
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
