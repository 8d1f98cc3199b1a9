"""agreement_series: the history's per-type and per-annotator rows as columns aligned with it."""

from __future__ import annotations

from typing import Any

from quality.models import AgreementSnapshot
from quality.selectors.agreement import agreement_series


def person(coder: str, name: str, pairs: int, f1: float | None) -> dict[str, Any]:
    return {
        "coder": coder, "name": name, "pairs": pairs, "span_f1": f1,
        "span_alpha_unitizing": None if f1 is None else f1 / 2, "step_alpha_ordinal": None,
        "rubric_kappa_quadratic": None, "preference_kappa_quadratic": None,
    }  # fmt: skip


def kind(key: str, chars: int, f1: float) -> dict[str, Any]:
    return {"error_type": key, "f1": f1, "f1_severity": f1, "alpha_unitizing": f1 / 2,
            "alpha_char": None, "marked_chars": chars}  # fmt: skip


def test_columns_are_aligned_with_the_history_heaviest_first():
    history = [
        AgreementSnapshot(by_error_type=[kind("a", 10, 0.5)],
                          by_annotator=[person("user:1", "ann1", 1, 0.4)]),
        AgreementSnapshot(by_error_type=[kind("a", 12, 0.6), kind("b", 30, 0.2)],
                          by_annotator=[person("user:1", "ann1", 1, 0.5),
                                        person("user:2", "ann2", 1, 0.7),
                                        person("user:3", "ann3", 0, None)]),
        AgreementSnapshot(by_error_type=[kind("b", 31, 0.3)],
                          by_annotator=[person("user:2", "Ann Two", 2, 0.8)]),
    ]  # fmt: skip
    series = agreement_series(history)
    b, a = series["by_error_type"]  # b marked 61 characters in all, a 22
    assert (b["error_type"], b["f1"], b["marked_chars"]) == ("b", [None, 0.2, 0.3], [None, 30, 31])
    assert (a["f1"], a["alpha_unitizing"], a["alpha_char"]) == (
        [0.5, 0.6, None], [0.25, 0.3, None], [None, None, None],
    )  # fmt: skip
    # ann2 has 3 pairs over the history, ann1 2; ann3 never shared an item and is left out.
    two, one = series["by_annotator"]
    assert (two["coder"], two["name"], two["pairs"]) == ("user:2", "Ann Two", [None, 1, 2])
    assert two["span_f1"] == [None, 0.7, 0.8]
    assert one["span_alpha_unitizing"] == [0.2, 0.25, None]
    assert one["step_alpha_ordinal"] == [None, None, None]


def test_no_history_no_lines():
    assert agreement_series([]) == {"by_error_type": [], "by_annotator": []}
    empty = AgreementSnapshot()  # a snapshot from before the history kept these rows
    assert agreement_series([empty]) == {"by_error_type": [], "by_annotator": []}
