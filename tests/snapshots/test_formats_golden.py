"""Golden files: each format, with each of its policies, on a small hand-written snapshot.

``golden/snapshot.jsonl`` holds two items (text, steps and image responses; a chat item)
with human and judge annotations; ``golden/<case>.jsonl`` is what each case must produce.
After an intended change of a format, regenerate with ``UPDATE_GOLDEN=1`` and review the
diff: these files are the contract researchers and the trainer rely on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from snapshots.formats import FORMATS

GOLDEN = Path(__file__).parent / "golden"
CASES = [
    ("preference", {}),
    ("preference", {"ties": "keep"}),
    ("preference", {"style": "conversational"}),
    ("preference", {"pairs": "errors"}),
    ("preference", {"pairs": "errors", "ties": "keep"}),
    ("preference", {"pairs": "rubric"}),
    ("preference", {"pairs": "rubric", "criterion": "fluency", "ties": "keep"}),
    ("preference", {"criterion": "fluency"}),
    ("stepwise", {"neutral": "true"}),
    ("stepwise", {"neutral": "false"}),
    ("stepwise", {"neutral": "drop"}),
    ("stepwise", {"neutral": "true", "truncate": "first_error"}),
    ("unpaired", {}),
    ("unpaired", {"rule": "rubric", "min_score": "3"}),
    ("unpaired", {"rule": "preference", "style": "conversational"}),
    ("spans", {}),
    ("dense", {}),
    ("dense", {"categories": "error_types"}),
    ("rubric", {}),
    ("rubric", {"layout": "criterion"}),
    ("raw", {}),
    ("qa-feedback", {}),
    ("prm800k", {}),
]


def case_name(name: str, params: dict[str, str]) -> str:
    return "-".join([name, *(f"{k}={v}" for k, v in sorted(params.items()))])


def load_records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (GOLDEN / "snapshot.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(("name", "raw_params"), CASES, ids=[case_name(*c) for c in CASES])
def test_format_matches_golden_file(name: str, raw_params: dict[str, str]) -> None:
    fmt = FORMATS[name]
    info = json.loads((GOLDEN / "info.json").read_text())
    params = fmt.parse_params(raw_params)
    if fmt.check is not None:
        fmt.check(params, info)
    out = list(fmt.project(load_records(), params, info))
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
    path = GOLDEN / f"{case_name(name, raw_params)}.jsonl"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_every_format_has_a_golden_case() -> None:
    assert {name for name, _ in CASES} == set(FORMATS)


def test_formats_are_pure_and_do_not_mutate_records() -> None:
    records = load_records()
    before = json.dumps(records, sort_keys=True)
    info = json.loads((GOLDEN / "info.json").read_text())
    for name, raw_params in CASES:
        fmt = FORMATS[name]
        first = list(fmt.project(records, fmt.parse_params(raw_params), info))
        second = list(fmt.project(records, fmt.parse_params(raw_params), info))
        assert first == second
    assert json.dumps(records, sort_keys=True) == before
