"""Span agreement of several coders over text continua: overlap F1, severity-weighted F1,
unitizing alpha and character alpha."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic

from core.agreement.alpha import Coder, Coincidences, value_sort_key
from core.agreement.pairwise import PRF

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
class SpanSection(Generic[Coder]):
    key: Hashable
    length: int
    coders: Mapping[Coder, Sequence[SpanUnit]]


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
class SpanAgreement(Generic[Coder]):
    """Span agreement over sections; see the section comment above for every definition."""

    by_type: dict[str, SpanTypeAgreement] = field(default_factory=dict)
    pairs: dict[tuple[Coder, Coder], PairSpanAgreement] = field(default_factory=dict)
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


def span_agreement(
    sections: Iterable[SpanSection[Coder]], *, pairs: bool = False
) -> SpanAgreement[Coder]:
    """Agreement of the coders of ``sections`` on their spans (sections with fewer than two
    coders are skipped). Every coder of a section is compared with every other; with
    ``pairs`` every two coders' own agreement is kept too (``SpanAgreement.pairs``, keyed by
    the two coders in sorted order), in the same pass."""
    sections = [s for s in sections if len(s.coders) >= 2 and s.length > 0]
    result: SpanAgreement[Coder] = SpanAgreement()
    types = sorted({span[2] for s in sections for spans in s.coders.values() for span in spans})
    for key in types:
        result.by_type[key] = SpanTypeAgreement()
    for section in sections:
        _add_section(result, section, types, pairs)
    return result


def _add_section(
    result: SpanAgreement[Coder],
    section: SpanSection[Coder],
    types: Sequence[str],
    with_pairs: bool,
) -> None:
    length = section.length
    keys: list[Any] = list(section.coders)  # Hashable is not orderable; TypeError decides below
    try:
        coders = sorted(keys)
    except TypeError:
        coders = sorted(keys, key=value_sort_key)
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
                pair_stats = per_pair[p].unitizing[error_type]
                pair_stats.observed += distance  # 2·δ² / (2·1)
                for start, end, marked in (*runs[i], *runs[j]):
                    (pair_stats.units if marked else pair_stats.gaps).append(end - start)
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
            n_marked = m - weights.count(0)
            stats.char.add_pattern(binary[n_marked], width)
            if not n_marked:
                stats.char_severity.add_pattern(binary[0], width)
                continue
            severities: dict[int, int] = {}
            for w in weights:
                severities[w] = severities.get(w, 0) + 1
            stats.char_severity.add_pattern(frozenset(severities.items()), width)
            stats.marked_chars += width * n_marked
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
