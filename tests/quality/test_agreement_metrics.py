"""core.agreement: Krippendorff's alpha (against the ``krippendorff`` package and worked
examples), unitizing alpha (Krippendorff 1995's published example and a hand-worked case),
weighted kappa, span F1 and the consensus rule."""

from __future__ import annotations

import math
import random

import krippendorff
import numpy as np
import pytest

from core.agreement import (
    Coincidences,
    SpanSection,
    krippendorff_alpha,
    overlap_ratio,
    pairwise_share,
    span_agreement,
    span_clusters,
    span_consensus,
    weighted_kappa,
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", §C: 4 coders, 12 units,
# missing values; published α = 0.743 (nominal), 0.815 (ordinal), 0.849 (interval).
K2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def units_of(matrix: list[list[int | None]]) -> list[list[int]]:
    """Coder rows -> unit columns without the missing values."""
    return [[row[u] for row in matrix if row[u] is not None] for u in range(len(matrix[0]))]


def package_alpha(matrix: list[list[int | None]], metric: str, domain=None) -> float:
    data = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    return float(krippendorff.alpha(data, level_of_measurement=metric, value_domain=domain))


@pytest.mark.parametrize(
    ("metric", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_alpha_reproduces_krippendorff_2011_worked_example(metric, published):
    ours = krippendorff_alpha(units_of(K2011), metric, domain=[1, 2, 3, 4, 5])
    assert ours == pytest.approx(published, abs=0.0005)
    assert ours == pytest.approx(package_alpha(K2011, metric, [1, 2, 3, 4, 5]), abs=1e-12)


def test_alpha_by_hand_on_three_units():
    """Units (1,1), (2,2), (1,2): o11 = o22 = 2, o12 = o21 = 1; n1 = n2 = 3, n = 6;
    α = 1 − (n − 1)·(o12 + o21) / (2·n1·n2) = 1 − 5·2/18 = 4/9."""
    assert krippendorff_alpha([[1, 1], [2, 2], [1, 2]]) == pytest.approx(4 / 9)


@pytest.mark.parametrize("metric", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_alpha_matches_the_krippendorff_package_on_random_data(metric, seed):
    rng = random.Random(seed)
    coders, units = rng.randint(2, 5), rng.randint(10, 60)
    matrix = [
        [None if rng.random() < 0.2 else rng.randint(1, 5) for _ in range(units)]
        for _ in range(coders)
    ]
    ours = krippendorff_alpha(units_of(matrix), metric, domain=[1, 2, 3, 4, 5])
    assert ours == pytest.approx(package_alpha(matrix, metric, [1, 2, 3, 4, 5]), abs=1e-9)


def test_alpha_is_undefined_without_variation_or_pairs():
    assert krippendorff_alpha([[1, 1], [1, 1]]) is None
    assert krippendorff_alpha([[1], [2]]) is None


def test_weighted_coincidences_equal_repeated_units():
    repeated, weighted = Coincidences(), Coincidences()
    for _ in range(7):
        repeated.add([0, 1, 1])
    weighted.add([0, 1, 1], weight=7)
    repeated.add([0, 0, 0])
    weighted.add([0, 0, 0])
    assert weighted.alpha() == pytest.approx(repeated.alpha())


def test_weighted_kappa_by_hand():
    """Levels 1..3, pairs (1,1) (2,3) (3,3) (1,2): rows (2,1,1), columns (1,1,2).
    Linear weights |i − j|/2: observed Σw = 0.5 + 0.5 = 1; expected Σ w·r·c / n =
    (2·1·½ + 2·2·1 + 1·1·½ + 1·2·½ + 1·1·1 + 1·1·½) / 4 = 8/4 = 2, so κ = 1 − 1/2."""
    pairs = [(1, 1), (2, 3), (3, 3), (1, 2)]
    assert weighted_kappa(pairs, [1, 2, 3], "linear") == pytest.approx(0.5)
    rows, cols = [2, 1, 1], [1, 1, 2]
    for weighting, power in (("linear", 1), ("quadratic", 2)):
        observed = sum((abs(a - b) / 2) ** power for a, b in pairs)
        expected = sum(
            (abs(i - j) / 2) ** power * rows[i] * cols[j] / 4 for i in range(3) for j in range(3)
        )
        assert weighted_kappa(pairs, [1, 2, 3], weighting) == pytest.approx(1 - observed / expected)
    assert weighted_kappa([(1, 1), (2, 2)], [1, 2]) == 1.0
    assert weighted_kappa([(1, 1)], [1]) is None


def test_pairwise_share_counts_every_two_coders():
    assert pairwise_share([{"a": 1, "b": 1, "c": 2}]) == pytest.approx(1 / 3)
    assert pairwise_share([{"a": 1}]) is None


# --- unitizing alpha ---------------------------------------------------------------------------

# Krippendorff (1995: 57), as tabulated by DKPro Statistics' Krippendorff1995Test: four
# examples (A–D) of two coders on a continuum of 24; (begin, length) per unit.
K1995 = {
    "A": [[(2, 8), (14, 6)], [(4, 4), (15, 2)]],
    "B": [[(0, 18)], [(0, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 3), (9, 1)]],
    "C": [[(2, 6), (10, 2), (14, 4), (20, 2)], [(0, 2), (4, 4), (10, 4), (16, 2), (20, 2)]],
    "D": [[(0, 2), (2, 8), (10, 4), (14, 6), (20, 4)], [(0, 4), (4, 4), (8, 7), (15, 2), (17, 7)]],
}
# Published α (large stretch, i.e. the continuous case) and D_o at stretch 1.
K1995_ALPHA = {"A": 0.553, "B": -0.926, "C": 0.679, "D": 0.066}
K1995_OBSERVED = {"A": 0.03125, "B": 2.26736, "C": 0.02777, "D": 0.38715}


def k1995_section(category: str, stretch: int) -> SpanSection:
    coders = {
        i: [(b * stretch, (b + n) * stretch, category, None) for b, n in units]
        for i, units in enumerate(K1995[category])
    }
    return SpanSection("s", 24 * stretch, coders)


@pytest.mark.parametrize("category", "ABCD")
def test_unitizing_alpha_reproduces_krippendorff_1995(category):
    result = span_agreement([k1995_section(category, 1)])
    observed, _ = result.by_type[category].unitizing.disagreements(result.length, result.coded)
    assert observed == pytest.approx(K1995_OBSERVED[category], abs=1e-5)
    stretched = span_agreement([k1995_section(category, 50_000)])
    # C deviates by 0.014 from the printed value, as in DKPro (which notes an error in the
    # paper's D_e); A, B and D agree to the printed precision.
    tolerance = 0.02 if category == "C" else 0.003
    assert stretched.unitizing_alpha(category) == pytest.approx(
        K1995_ALPHA[category], abs=tolerance
    )


def naive_unitizing(coders: list[list[tuple[int, int]]], length: int) -> float:
    """Krippendorff (2004, §12.4) written out with every pair of sections, for one category."""
    sections = []
    for units in coders:
        runs, position = [], 0
        for b, e in sorted(units):
            if b > position:
                runs.append((position, b, False))
            runs.append((b, e, True))
            position = e
        if position < length:
            runs.append((position, length, False))
        sections.append(runs)
    m = len(coders)
    observed = 0
    for i in range(m):
        for j in range(m):
            if i == j:
                continue
            for b1, e1, u1 in sections[i]:
                for b2, e2, u2 in sections[j]:
                    if u1 and u2 and b1 < e2 and b2 < e1:
                        observed += (b1 - b2) ** 2 + (e1 - e2) ** 2
                    elif u1 and not u2 and b2 <= b1 and e1 <= e2:
                        observed += (e1 - b1) ** 2
                    elif u2 and not u1 and b1 <= b2 and e2 <= e1:
                        observed += (e2 - b2) ** 2
    d_o = observed / (m * (m - 1) * length**2)
    units = [e - b for runs in sections for b, e, u in runs if u]
    gaps = [e - b for runs in sections for b, e, u in runs if not u]
    total = 0.0
    for l in units:  # noqa: E741
        total += (len(units) - 1) * (2 * l**3 - 3 * l**2 + l) / 3
        total += l * l * sum(g - l + 1 for g in gaps if g >= l)
    squares = sum(n * (n - 1) for n in units)
    d_e = 2 / length * total / (m * length * (m * length - 1) - squares)
    return 1 - d_o / d_e


def test_unitizing_alpha_by_hand_two_overlapping_units():
    """L = 10; coder a marks [2, 6), coder b [3, 7).
    D_o: the only non-zero δ² is unit–unit, (2−3)² + (6−7)² = 2, both orders: 4/(2·1·100).
    D_e: two units of 4, gaps 2, 4, 3, 3; per unit (N−1)(2·64 − 48 + 4)/3 = 28 and
    4²·(4 − 4 + 1) = 16, so 2·44·(2/10) = 17.6 over 20·19 − 2·12 = 356; α = 1 − 0.02/0.04944."""
    section = SpanSection("s", 10, {"a": [(2, 6, "x", None)], "b": [(3, 7, "x", None)]})
    result = span_agreement([section])
    assert result.unitizing_alpha("x") == pytest.approx(1 - 0.02 / (17.6 / 356))
    assert result.unitizing_alpha() == result.unitizing_alpha("x")


@pytest.mark.parametrize("seed", range(6))
def test_unitizing_alpha_equals_the_naive_formula(seed):
    rng = random.Random(seed)
    length = rng.randint(20, 80)
    coders = []
    for _ in range(rng.randint(2, 4)):
        units, position = [], rng.randint(0, 5)
        while position < length - 2:
            end = min(length, position + rng.randint(1, 8))
            units.append((position, end))
            position = end + rng.randint(1, 10)
        coders.append(units)
    section = SpanSection(
        "s", length, {i: [(b, e, "x", None) for b, e in units] for i, units in enumerate(coders)}
    )
    assert span_agreement([section]).unitizing_alpha("x") == pytest.approx(
        naive_unitizing(coders, length)
    )


def test_identical_spans_agree_perfectly():
    spans = [(0, 5, "x", 2), (10, 20, "y", None)]
    result = span_agreement([SpanSection("s", 30, {"a": spans, "b": list(spans)})])
    assert result.f1() == 1.0
    assert result.f1_severity() == 1.0
    assert result.unitizing_alpha() == pytest.approx(1.0)
    assert result.char_alpha() == pytest.approx(1.0)


# --- character-level measures -----------------------------------------------------------------


def char_matrix(sections: list[SpanSection], coders: list[str], error_type: str | None, value):
    """The coders × characters reliability matrix the package needs (None = missing)."""
    rows: list[list] = [[] for _ in coders]
    for section in sections:
        for position in range(section.length):
            for k, coder in enumerate(coders):
                spans = section.coders.get(coder)
                if spans is None:
                    rows[k].append(None)
                    continue
                covering = [s for s in spans if s[0] <= position < s[1]]
                rows[k].append(value(covering))
    return rows


def random_sections(seed: int) -> tuple[list[SpanSection], list[str]]:
    rng = random.Random(seed)
    coders = ["a", "b", "c"]
    sections = []
    for key in range(4):
        length = rng.randint(15, 40)
        present = rng.sample(coders, rng.randint(2, 3))
        by_coder = {}
        for coder in present:
            spans = []
            for _ in range(rng.randint(0, 3)):
                start = rng.randint(0, length - 2)
                spans.append(
                    (start, rng.randint(start + 1, length), rng.choice("xy"), rng.choice([1, 2]))
                )
            by_coder[coder] = spans
        sections.append(SpanSection(key, length, by_coder))
    return sections, coders


@pytest.mark.parametrize("seed", range(5))
def test_character_alphas_match_the_krippendorff_package(seed):
    sections, coders = random_sections(seed)
    result = span_agreement(sections)
    for error_type in result.by_type:
        marked = char_matrix(
            sections, coders, error_type, lambda c, t=error_type: int(any(s[2] == t for s in c))
        )
        severity = char_matrix(
            sections,
            coders,
            error_type,
            lambda c, t=error_type: max([s[3] for s in c if s[2] == t], default=0),
        )
        for ours, matrix, metric in (
            (result.char_alpha(error_type), marked, "nominal"),
            (result.char_severity_alpha(error_type), severity, "interval"),
        ):
            flat = [v for row in matrix for v in row if v is not None]
            if len(set(flat)) < 2:
                continue
            assert ours == pytest.approx(package_alpha(matrix, metric), abs=1e-9)


def test_span_f1_by_hand():
    """a: [0, 10) x; b: [5, 15) x, [20, 25) y. Type x: tp 5, a-only 5, b-only 5 → F1 0.5;
    y: b-only 5 → F1 0; all types: 2·5 / (2·5 + 5 + 10) = 0.4."""
    section = SpanSection(
        "s", 30, {"a": [(0, 10, "x", 1)], "b": [(5, 15, "x", 2), (20, 25, "y", 1)]}
    )
    result = span_agreement([section])
    assert result.f1("x") == pytest.approx(0.5)
    assert result.f1("y") == 0.0
    assert result.f1() == pytest.approx(0.4)
    # Severity-weighted (Dice): x min-sum 5·1, sums 10·1 + 10·2 → 2·5/30.
    assert result.f1_severity("x") == pytest.approx(10 / 30)
    assert result.confusion[("x", "x")] == 10  # both orders of the pair
    assert result.confusion[("(none)", "y")] == 5


# --- consensus rule --------------------------------------------------------------------------


def test_overlap_ratio():
    assert overlap_ratio((0, 10), (0, 10)) == 1.0
    assert overlap_ratio((0, 10), (10, 20)) == 0.0
    assert overlap_ratio((0, 10), (5, 15)) == pytest.approx(1 / 3)


def test_consensus_keeps_clusters_of_a_majority_and_merges_by_majority_characters():
    spans = {
        "a": [(0, 10, "x", 2), (40, 45, "y", None)],
        "b": [(2, 10, "x", 1)],
        "c": [(1, 12, "x", 3), (20, 25, "x", 1)],
    }
    # x cluster {a, b, c}: characters marked by ≥ 2 of 3 run from 1 to 10; severities 2, 1, 3
    # → lower median 2. [20, 25) and y have one voter each: dropped.
    assert span_consensus(spans, voters=3) == [(1, 10, "x", 2)]
    clusters = span_clusters(spans, voters=3)
    assert [(c.error_type, c.kept, sorted(c.voters)) for c in clusters] == [
        ("x", True, ["a", "b", "c"]),
        ("x", False, ["c"]),
        ("y", False, ["a"]),
    ]


def test_consensus_threshold_separates_weak_overlaps():
    spans = {"a": [(0, 10, "x", None)], "b": [(6, 16, "x", None)]}  # Jaccard 4/16 = 0.25
    assert span_consensus(spans, voters=2, threshold=0.5) == []
    assert span_consensus(spans, voters=2, threshold=0.2) == [(6, 10, "x", None)]


def test_consensus_needs_more_than_half_of_the_voters():
    spans = {"a": [(0, 10, "x", None)], "b": [(0, 10, "x", None)]}
    assert span_consensus(spans, voters=4) == []
    assert span_consensus(spans, voters=3) == [(0, 10, "x", None)]
    assert math.isclose(overlap_ratio((0, 10), (0, 10)), 1)


@pytest.mark.parametrize("seed", range(5))
def test_pairs_kept_in_the_project_pass_equal_two_coder_runs(seed):
    sections, _coders = random_sections(seed)
    result = span_agreement(sections, pairs=True)
    for (a, b), pair in result.pairs.items():
        alone = span_agreement(
            [
                SpanSection(s.key, s.length, {a: s.coders[a], b: s.coders[b]})
                for s in sections
                if a in s.coders and b in s.coders
            ]
        )
        assert pair.prf == alone.f1_prf()
        assert pair.unitizing_alpha() == pytest.approx(alone.unitizing_alpha())
