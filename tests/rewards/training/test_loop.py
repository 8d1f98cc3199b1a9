"""The one loop on a tiny random BERT (seconds on CPU): every kind in both modes, resume,
checkpoints that refuse pickles, scoring."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

from rewards.training.checkpoint import UnsafeCheckpoint, load_checkpoint
from rewards.training.config import FGRLHF_CATEGORIES, ConfigError, SpanCategory, TrainConfig
from rewards.training.loop import StepInfo, train
from rewards.training.scoring import evaluate, load_model, score
from tests.rewards.helpers import annotation, record, span_records

SPANS = (
    SpanCategory("relevance", ("irrelevant",), "subsentence", False),
    SpanCategory("factuality", ("wrong-grounding",), "sentence", True),
)


def records_for(kind: str) -> list[dict[str, Any]]:
    if kind == "span":
        return span_records(12)
    out = []
    for i in range(10):
        good, bad = "the answer is two.", "the answer is the cat sat on the mat."
        if kind == "step":
            steps = ["x = 1", "y = 1", "x + y = 2" if i % 2 else "x + y = 3"]
            units = annotation(
                steps=[
                    {"response": 0, "step_index": s, "rating": r}
                    for s, r in enumerate([1, 0, 1 if i % 2 else -1])
                ]
            )
            out.append(record(f"q{i}", steps=steps, annotations=[units]))
            continue
        units = annotation(
            rubric_scores=[
                {"response": 0, "criterion": "fluency", "score": 5},
                {"response": 1, "criterion": "fluency", "score": 1},
            ],
            preferences=[{"response_a": 0, "response_b": 1, "value": -2}],
        )
        out.append(record(f"q{i}", [good, bad], annotations=[units]))
    return out


def config(tiny_backbone: Path, kind: str, mode: str, **changes: Any) -> TrainConfig:
    values: dict[str, Any] = {
        "kind": kind, "mode": mode, "model_name_or_path": str(tiny_backbone),
        "num_train_epochs": 3, "per_device_train_batch_size": 4, "logging_steps": 1,
        "eval_fraction": 0.25, "seed": 7, "categories": SPANS, "bf16": False,
        "learning_rate": 5e-3 if mode == "fast" else 1e-3, "num_threads": 1,
    }  # fmt: skip
    return TrainConfig(**{**values, **changes})


@pytest.mark.parametrize("kind", ["span", "step", "rubric", "preference"])
@pytest.mark.parametrize("mode", ["fast", "full"])
def test_every_kind_trains_in_both_modes(
    tiny_backbone: Path, tmp_path: Path, kind: str, mode: str
) -> None:
    seen: list[StepInfo] = []
    result = train(config(tiny_backbone, kind, mode), records_for(kind), tmp_path, seen.append)
    losses = [h["loss"] for h in result.history]
    assert losses
    assert all(math.isfinite(x) for x in losses)
    assert result.step == result.total_steps == len(losses)
    assert [e["epoch"] for e in result.evaluations] == [1, 2, 3]
    assert result.eval_metrics["examples"] > 0
    assert result.eval_metrics["primary"] is not None
    assert {i.phase for i in seen} >= {"train", "eval"}
    assert (tmp_path / "records.jsonl").exists()
    assert (tmp_path / "records.sha256").exists()
    head = load_file(str(result.model_dir / "head.safetensors"))
    assert all(torch.isfinite(t).all() for t in head.values())
    if mode == "full":
        moved = load_file(str(result.model_dir / "backbone" / "model.safetensors"))
        before = load_file(str(tiny_backbone / "model.safetensors"))
        assert any(not torch.equal(moved[k], before[k]) for k in before if k in moved)
    else:
        assert not (result.model_dir / "backbone").exists()
        assert result.feature_stats["computed"] > 0


def test_full_fine_tuning_drops_attention_dropout_unless_told(
    tiny_backbone: Path, tmp_path: Path
) -> None:
    def dropout(folder: Path) -> float:
        return json.loads((folder / "config.json").read_text())["attention_probs_dropout_prob"]

    checkpoint = dropout(tiny_backbone)
    assert checkpoint > 0
    # The default 0.0 lets PyTorch's fused attention kernel run (TrainConfig.attention_dropout).
    result = train(config(tiny_backbone, "span", "full"), records_for("span"), tmp_path / "a")
    assert dropout(result.model_dir / "backbone") == 0.0
    kept = config(tiny_backbone, "span", "full").replace(attention_dropout=None)
    result = train(kept, records_for("span"), tmp_path / "b")
    assert dropout(result.model_dir / "backbone") == checkpoint
    assert TrainConfig.from_dict({"attention_dropout": None}).attention_dropout is None
    assert TrainConfig.from_dict({"attention_dropout": 0.2}).attention_dropout == 0.2
    with pytest.raises(ConfigError, match="attention_dropout: Must be null or in"):
        TrainConfig.from_dict({"attention_dropout": 1})


def test_a_fast_refresh_reuses_cached_features_and_learns(
    tiny_backbone: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    cfg = config(tiny_backbone, "span", "fast", feature_cache_dir=str(cache), num_train_epochs=30)
    first = train(cfg, span_records(12), tmp_path / "a")
    assert first.feature_stats["cached"] == 0
    new = record("new", ["the sun is big. the dog sat."], annotations=[annotation(labelled=[0])])
    second = train(cfg, [*span_records(12), new], tmp_path / "b")
    # Only the new response's two inputs (one per category) run through the backbone.
    assert second.feature_stats == {"cached": first.feature_stats["computed"], "computed": 2}
    losses = [h["loss"] for h in second.history]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5


def test_a_run_stopped_mid_way_resumes_to_the_same_weights(
    tiny_backbone: Path, tmp_path: Path
) -> None:
    cfg = config(tiny_backbone, "span", "full", save_steps=2, num_train_epochs=3)
    records = span_records(12)
    whole = train(cfg, records, tmp_path / "whole")

    def stop_at_five(info: StepInfo) -> None:
        if info.phase == "train" and info.step == 5:
            raise KeyboardInterrupt  # what a soft time limit or a shutdown looks like

    with pytest.raises(KeyboardInterrupt):
        train(cfg, records, tmp_path / "resumed", stop_at_five)
    resumed = train(cfg, records, tmp_path / "resumed")
    assert resumed.resumed_from_step == 5
    assert resumed.step == whole.step
    assert [h["step"] for h in resumed.history] == [h["step"] for h in whole.history]
    a = load_file(str(whole.model_dir / "head.safetensors"))
    b = load_file(str(resumed.model_dir / "head.safetensors"))
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5)


def test_a_checkpoint_of_other_records_is_not_resumed(tiny_backbone: Path, tmp_path: Path) -> None:
    cfg = config(tiny_backbone, "span", "fast", num_train_epochs=1)
    train(cfg, span_records(8), tmp_path)
    with pytest.raises(RuntimeError, match="other records"):
        train(cfg, span_records(9), tmp_path)


def test_pickled_files_are_refused(tiny_backbone: Path, tmp_path: Path) -> None:
    result = train(
        config(tiny_backbone, "span", "fast", num_train_epochs=1), span_records(8), tmp_path
    )
    torch.save({"x": 1}, tmp_path / "checkpoint" / "optimizer.pt")
    with pytest.raises(UnsafeCheckpoint):
        load_checkpoint(
            tmp_path / "checkpoint",
            model=torch.nn.Linear(1, 1),
            optimizer=None,
            scheduler=None,
            records_sha256="",
        )  # type: ignore[arg-type]
    (result.model_dir / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(UnsafeCheckpoint):
        load_model(result.model_dir)


def test_scoring_returns_segment_rewards_and_error_spans(
    tiny_backbone: Path, tmp_path: Path
) -> None:
    cfg = config(tiny_backbone, "span", "fast", num_train_epochs=40, threshold=0.5)
    result = train(cfg, span_records(12), tmp_path)
    loaded = load_model(result.model_dir)
    text = "the cat sat on the mat. the band played in paris."
    [out] = score(loaded, [{"prompt": "when?", "text": text}])
    assert [c["name"] for c in out["categories"]] == ["relevance", "factuality"]
    segments = out["categories"][0]["segments"]
    assert [(s["start"], s["end"]) for s in segments] == [(0, 23), (24, 49)]
    for segment in segments:
        assert 0 <= segment["error_probability"] <= 1
        assert segment["reward"] == (-1 if segment["error_probability"] > 0.5 else 1)
        assert segment["error_type"] == "irrelevant"
    for span in out["error_spans"]:
        assert text[span["start"] : span["end"]] in (text[:23], text[24:])
    assert evaluate(loaded, span_records(12))["examples"] > 0


def test_step_rubric_and_preference_scores(tiny_backbone: Path, tmp_path: Path) -> None:
    for kind in ("step", "rubric", "preference"):
        result = train(
            config(tiny_backbone, kind, "fast", num_train_epochs=1),
            records_for(kind),
            tmp_path / kind,
        )
        loaded = load_model(result.model_dir)
        entry = {"prompt": "sum?", "text": "the answer is two.", "steps": ["x = 1", "y = 2"]}
        [out] = score(loaded, [entry])
        if kind == "step":
            assert [s["index"] for s in out["steps"]] == [0, 1]
            assert all(-1 <= s["reward"] <= 1 for s in out["steps"])
        elif kind == "rubric":
            assert set(out["scores"]) == {"fluency"}
        else:
            assert isinstance(out["reward"], float)


def test_default_categories_match_the_paper() -> None:
    assert [(c.name, c.segmentation, c.use_context) for c in FGRLHF_CATEGORIES] == [
        ("relevance", "subsentence", False),
        ("factuality", "sentence", True),
    ]
