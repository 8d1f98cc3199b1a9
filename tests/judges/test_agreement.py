"""core.agreement against values computed by hand (tests of a core module kept with its first
user, the judges app)."""

from __future__ import annotations

import pytest

from core.agreement import (
    PRF,
    first_error,
    preference_sign_agreement,
    quadratic_weighted_kappa,
    span_overlap,
    spearman,
    step_agreement,
)


def test_span_overlap_counts_characters_per_type():
    # judge marks [0, 10) x and [20, 25) y; human marks [5, 15) x.
    judge = [(0, 0, 10, "x"), (0, 20, 25, "y")]
    human = [(0, 5, 15, "x")]
    x = span_overlap(judge, human, "x")
    assert (x.tp, x.fp, x.fn) == (5, 5, 5)
    assert x.precision == 0.5
    assert x.recall == 0.5
    assert x.f1 == 0.5
    y = span_overlap(judge, human, "y")
    assert (y.tp, y.fp, y.fn) == (0, 5, 0)
    assert y.f1 == 0.0
    assert y.recall is None
    both = span_overlap(judge, human, None)  # any type: 10 + 5 judged, 10 human, 5 shared
    assert (both.tp, both.fp, both.fn) == (5, 10, 5)
    assert both.f1 == pytest.approx(2 * 5 / (2 * 5 + 10 + 5))


def test_span_overlap_keeps_responses_apart_and_counts_overlaps_once():
    judge = [(0, 0, 4, "x"), (0, 2, 6, "x")]
    human = [(1, 0, 6, "x")]
    assert span_overlap(judge, human, "x") == PRF(tp=0, fp=6, fn=6)


def test_nothing_marked_by_either_side_has_no_f1():
    assert span_overlap([], [], "x").f1 is None


def test_steps_accuracy_and_first_error():
    judge = {0: 1, 1: -1, 2: 0}
    human = {0: 1, 1: 0, 2: -1, 3: 1}
    result = step_agreement(judge, human)
    assert (result.steps, result.steps_equal) == (3, 1)
    assert first_error(judge) == 1
    assert first_error(human) == 2
    assert result.first_error_equal == 0
    assert step_agreement({0: 1}, {0: 1}).first_error_agreement == 1.0  # both: no error


def test_quadratic_weighted_kappa_by_hand():
    # levels 1..3, pairs (1,1) (2,3) (3,3) (1,2): weights w_ij = ((i-j)/2)^2
    pairs = [(1, 1), (2, 3), (3, 3), (1, 2)]
    # observed: w(2,3)=.25 + w(1,2)=.25 -> 0.5
    # rows A: 1:2, 2:1, 3:1; cols B: 1:1, 2:1, 3:2; n=4
    # expected = sum_ij w_ij r_i c_j / n
    expected = 0.0
    rows, cols = {1: 2, 2: 1, 3: 1}, {1: 1, 2: 1, 3: 2}
    for i in (1, 2, 3):
        for j in (1, 2, 3):
            expected += ((i - j) / 2) ** 2 * rows[i] * cols[j] / 4
    # by hand: i=1: .25*2*1 + 1*2*2 = 4.5; i=2: .25*1*1 + .25*1*2 = .75; i=3: 1*1*1 + .25 = 1.25
    assert expected == pytest.approx((4.5 + 0.75 + 1.25) / 4)
    assert quadratic_weighted_kappa(pairs, [1, 2, 3]) == pytest.approx(1 - 0.5 / 1.625)


def test_kappa_edge_cases():
    assert quadratic_weighted_kappa([], [1, 2]) is None
    assert quadratic_weighted_kappa([(1, 1), (1, 1)], [1, 2]) is None  # no expected disagreement
    assert quadratic_weighted_kappa([(1, 2), (2, 1)], [1, 2]) == pytest.approx(-1.0)


def test_spearman_with_ties_by_hand():
    # a = [1, 2, 2, 3] -> ranks [1, 2.5, 2.5, 4]; b = [1, 3, 2, 4] -> ranks [1, 3, 2, 4]
    # deviations a: [-1.5, 0, 0, 1.5]; b: [-1.5, .5, -.5, 1.5]; cov = 2.25 + 2.25 = 4.5
    # var a = 4.5, var b = 5 -> rho = 4.5 / sqrt(22.5)
    rho = spearman([(1, 1), (2, 3), (2, 2), (3, 4)])
    assert rho == pytest.approx(4.5 / 22.5**0.5)
    assert spearman([(1, 1), (1, 2)]) is None
    assert spearman([(1, 3), (2, 2), (3, 1)]) == pytest.approx(-1.0)


def test_preference_sign_agreement():
    assert preference_sign_agreement([(-3, -1), (2, 0), (0, 0), (1, 3)]) == 0.75
    assert preference_sign_agreement([]) is None
