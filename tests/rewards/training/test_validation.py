"""The validation part carved out of the training items (it picks the epoch and the thresholds;
the held-out items only measure), its fallback on tiny projects, and the defaults: on for
span models in fast mode, off or ignored elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewards.training.config import ConfigError, TrainConfig
from rewards.training.data import (
    Example,
    build_examples,
    is_held_out,
    is_validation,
    split_records,
    split_validation,
)
from rewards.training.loop import StepInfo, train
from rewards.training.metrics import tune_thresholds
from rewards.training.scoring import _predict, evaluate, load_model
from tests.rewards.helpers import span_records
from tests.rewards.training.test_loop import records_for
from tests.rewards.training.test_threshold_lexical import VALIDATION, tiny_config

IDS = [f"q{i}" for i in range(16)]
TRAINING = [i for i in IDS if i not in ("q1", "q6", "q11", "q15")]  # held out at 0.25


def test_the_validation_part_is_a_second_hash_of_the_training_items() -> None:
    assert [i for i in IDS if is_held_out(i, 0.25)] == ["q1", "q6", "q11", "q15"]
    assert [i for i in TRAINING if is_validation(i, 0.3)] == ["q9", "q10", "q13"]
    # Not the held-out hash: at the same share it picks other items.
    assert [i for i in IDS if is_validation(i, 0.25)] == ["q6", "q9", "q10", "q11", "q13"]
    assert not any(is_validation(i, 0.0) for i in IDS)


def test_an_items_examples_validate_together() -> None:
    examples = [Example([0], [0], [[0.0]], group=g, item_key=i) for i in TRAINING for g in (0, 1)]
    part = split_validation(examples, 0.3, 3)
    assert part.fallback == ""
    assert (part.items, part.validation_items) == (12, 3)
    assert [(e.item_key, e.group) for e in part.validation] == [
        ("q9", 0), ("q9", 1), ("q10", 0), ("q10", 1), ("q13", 0), ("q13", 1),
    ]  # fmt: skip
    assert len(part.train) == 18
    assert not {e.item_key for e in part.train} & {e.item_key for e in part.validation}


def test_too_few_validation_items_fall_back_to_training_on_every_item() -> None:
    examples = [Example([0], [0], [[0.0]], item_key=i) for i in TRAINING]
    part = split_validation(examples, 0.3, 4)
    assert part.fallback == "3 of 12 training items would validate, 4 needed"
    assert (part.train, part.validation) == (examples, [])
    assert split_validation(examples, 0.0, 1).fallback == "validation_fraction is 0"
    # Every item validating leaves nothing to train: no validation part either.
    both = [e for e in examples if e.item_key in ("q9", "q10")]
    assert (
        split_validation(both, 0.3, 1).fallback == "all 2 training items would validate, none train"
    )


def test_the_options_are_on_by_default_for_fast_span_models_only() -> None:
    fast = TrainConfig(kind="span", mode="fast")
    assert (fast.tune_threshold, fast.load_best_model_at_end, fast.segment_features) == (
        None, None, None,
    )  # fmt: skip
    assert fast.effective_tune_threshold
    assert fast.effective_load_best_model_at_end
    assert fast.effective_segment_features
    assert fast.uses_validation
    for config in (TrainConfig(kind="span", mode="full"), TrainConfig(kind="step", mode="fast")):
        assert not config.uses_validation
        assert not config.effective_segment_features
    # Asked for on another kind: the best epoch applies, thresholds and lexical features don't.
    step = TrainConfig(kind="step", tune_threshold=True, load_best_model_at_end=True,
                       segment_features=True)  # fmt: skip
    assert step.effective_load_best_model_at_end
    assert step.uses_validation
    assert not step.effective_tune_threshold
    assert not step.effective_segment_features
    off = TrainConfig(kind="span", mode="fast", tune_threshold=False, load_best_model_at_end=False)
    assert not off.uses_validation


def test_the_options_validate_from_json() -> None:
    config = TrainConfig.from_dict({"tune_threshold": None, "segment_features": False})
    assert (config.tune_threshold, config.segment_features) == (None, False)
    with pytest.raises(ConfigError, match="tune_threshold: Must be a boolean"):
        TrainConfig.from_dict({"tune_threshold": 1})
    with pytest.raises(ConfigError, match="validation_fraction"):
        TrainConfig.from_dict({"validation_fraction": 1.0})
    with pytest.raises(ConfigError, match="validation_min_items"):
        TrainConfig.from_dict({"validation_min_items": 0})


def test_validation_items_select_and_held_out_items_only_measure(
    tiny_backbone: Path, tmp_path: Path
) -> None:
    config = tiny_config(tiny_backbone, num_train_epochs=3, learning_rate=5e-2, **VALIDATION)
    assert config.uses_validation  # the defaults: a fast span model
    records = span_records(16)
    messages: list[str] = []
    result = train(config, records, tmp_path, lambda info: messages.append(info.message))
    selection = result.eval_metrics["selection"]
    losses = [e["validation_loss"] for e in result.evaluations]
    assert selection == {
        "training_items": 12,
        "validation_items": 3,
        "validation_examples": 6,  # q9, q10, q13 × (relevance; factuality where it has targets)
        "epoch": "best",
        "threshold": "tuned",
        "fallback": "",
        "best_epoch": losses.index(min(losses)) + 1,
        "validation_loss": min(losses),
        "tuned_categories": ["relevance"],
    }
    assert messages[0].startswith("validation: 3 of 12 training items")
    held_out_items = {r["item"]["external_id"] for r in split_records(records, 0.25)[1]}
    assert held_out_items == {"q1", "q6", "q11", "q15"}
    loaded = load_model(result.model_dir)
    # The stored thresholds are those that maximise error F1 on the validation items...
    validation = [r for r in records if r["item"]["external_id"] in {"q9", "q10", "q13"}]
    examples = build_examples(validation, loaded.config, loaded.encoder, loaded.space)
    expected = tune_thresholds(examples, _predict(loaded, examples), loaded.space, 0.5)
    # (cached features at training, the backbone here: probabilities agree to ~1e-4)
    assert loaded.thresholds == pytest.approx(expected, abs=1e-3)
    # ... and the held-out metrics (activation's figure) are measured at them, afterwards.
    # (read from the run's feature cache as the training did: through the backbone, a
    # probability within ~1e-4 of a threshold could land on its other side)
    held_out = evaluate(loaded, records, feature_cache_dir=tmp_path / "features")
    assert held_out["examples"] == result.eval_examples
    assert result.eval_metrics["primary"] == pytest.approx(held_out["primary"], abs=1e-6)


def test_a_tiny_project_falls_back_and_says_so(tiny_backbone: Path, tmp_path: Path) -> None:
    config = tiny_config(tiny_backbone)  # the defaults: validation_min_items 10
    seen: list[StepInfo] = []
    result = train(config, span_records(12), tmp_path, seen.append)
    assert result.eval_metrics["selection"] == {
        "training_items": 9,
        "validation_items": 0,
        "validation_examples": 0,
        "epoch": "last",
        "threshold": "fixed",
        "fallback": "2 of 9 training items would validate, 10 needed",
    }
    assert seen[0].message == (
        "no validation part (2 of 9 training items would validate, 10 needed): every training "
        "item trains, threshold fixed, last epoch kept"
    )
    assert "thresholds" not in result.eval_metrics
    assert "best_epoch" not in result.eval_metrics
    assert result.eval_metrics["primary"] == result.evaluations[-1]["primary"]
    assert not (tmp_path / "best.safetensors").exists()
    loaded = load_model(result.model_dir)
    assert loaded.thresholds == {"relevance": 0.5, "factuality": 0.5}
    assert loaded.meta["segment_features"] > 0  # lexical features need no validation part


def test_other_kinds_and_full_fine_tuning_apply_or_ignore_the_options(
    tiny_backbone: Path, tmp_path: Path
) -> None:
    step = tiny_config(
        tiny_backbone, kind="step", tune_threshold=True, load_best_model_at_end=True,
        segment_features=True, validation_fraction=0.5, validation_min_items=2,
    )  # fmt: skip
    result = train(step, records_for("step"), tmp_path / "step")
    assert result.eval_metrics["selection"]["threshold"] == "none"
    assert result.eval_metrics["best_epoch"] in (1, 2)
    assert "thresholds" not in result.eval_metrics
    assert load_model(result.model_dir).meta["segment_features"] == 0
    full = tiny_config(tiny_backbone, mode="full", num_train_epochs=1)
    result = train(full, span_records(12), tmp_path / "full")
    assert "selection" not in result.eval_metrics  # off by default for full fine-tuning
    assert load_model(result.model_dir).meta["segment_features"] == 0
