"""Exact tests of the threshold chosen on validation items and of the lexical segment
features, and a tiny run that stores and uses both."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from rewards.training.collate import TokenLabelCollator
from rewards.training.config import SpanCategory, TrainConfig
from rewards.training.data import Example, LabelSpace, span_extra
from rewards.training.heads import FeatureRewardModel, GroupedHead
from rewards.training.lexical import (
    PAIR_CAP,
    SEGMENT_FEATURES,
    content_words,
    segment_features,
)
from rewards.training.loop import init_wide, train
from rewards.training.metrics import best_threshold, span_metrics, tune_thresholds
from rewards.training.scoring import evaluate, load_model, score
from tests.rewards.helpers import span_records


def tiny_config(tiny_backbone: Path, **changes: Any) -> TrainConfig:
    categories = (
        SpanCategory("relevance", ("irrelevant",), "subsentence", False),
        SpanCategory("factuality", ("wrong-grounding",), "sentence", True),
    )
    values: dict[str, Any] = {
        "kind": "span", "mode": "fast", "model_name_or_path": str(tiny_backbone),
        "num_train_epochs": 2, "per_device_train_batch_size": 4, "eval_fraction": 0.25,
        "categories": categories, "bf16": False, "num_threads": 1,
    }  # fmt: skip
    return TrainConfig(**{**values, **changes})


# span_records(16) with eval_fraction 0.25: 12 training items, of which q9, q10 and q13
# validate at 0.3 (tests/rewards/training/test_validation.py); 3 are enough here.
VALIDATION = {"validation_fraction": 0.3, "validation_min_items": 3}


def test_best_threshold_maximises_error_f1() -> None:
    # Cut between 0.7 and 0.1: P 2/3, R 1, F1 0.8 (0.85 gives 0.667, 0.75 gives 0.5).
    assert best_threshold([True, False, True, False], [0.9, 0.8, 0.7, 0.1]) == pytest.approx(0.4)
    # Every segment an error is the best cut: half the lowest probability.
    assert best_threshold([True, True, False], [0.2, 0.1, 0.3]) == pytest.approx(0.05)
    assert best_threshold([True, False], [0.0, 0.0]) == -1e-6
    # Equal probabilities are never split.
    assert best_threshold([True, False, True], [0.6, 0.6, 0.2]) == pytest.approx(0.1)
    # F1 2/3 at 0.85 and at 0.3: ties keep the highest threshold.
    assert best_threshold([True, False, False, True], [0.9, 0.8, 0.7, 0.6]) == pytest.approx(0.85)
    assert best_threshold([False, False], [0.9, 0.1], default=0.3) == 0.3


def test_thresholds_are_tuned_and_applied_per_category() -> None:
    space = LabelSpace("span", [{"name": "a"}, {"name": "b"}], [2, 2])
    examples = [
        Example([0], [0, 1], [[1.0, 1.0], [0.0, 0.0]], group=0),
        Example([0], [0, 1], [[1.0, 1.0], [0.0, 0.0]], group=1),
    ]
    probs = [torch.tensor([[0.3, 0.0], [0.1, 0.0]]), torch.tensor([[0.9, 0.0], [0.7, 0.0]])]
    thresholds = tune_thresholds(examples, probs, space, default=0.5)
    assert thresholds == {"a": pytest.approx(0.2), "b": pytest.approx(0.8)}
    tuned = span_metrics(examples, probs, space, thresholds)
    assert tuned["a"]["f1"] == tuned["b"]["f1"] == tuned["primary"] == 1.0
    fixed = span_metrics(examples, probs, space, 0.5)
    assert (fixed["a"]["f1"], fixed["b"]["f1"]) == (0.0, pytest.approx(2 / 3))


def test_content_words_drop_stop_words_and_single_letters() -> None:
    assert content_words("The 2 Cats of Paris, a b.") == {"2", "cats", "paris"}


def test_segment_features_count_words_missing_from_the_passages() -> None:
    text = "Paris hosted it in 1900. Paris hosted Lyon in 1924."
    segments = [(0, 24), (25, 51)]
    passages = [{"title": "Paris", "sentences": ["Paris hosted the games in 1900."]}]
    rows = segment_features(text, segments, prompt="Who hosted in 1924?", passages=passages)
    assert len(rows[0]) == len(SEGMENT_FEATURES)
    # novel words, numbers, names, bigrams, count; best sentence support; has passages;
    # question overlap; repeated; position
    assert rows[0] == [
        0.0,
        0.0,
        0.0,
        0.5,  # (hosted, it), (it, in) of 4 bigrams
        0.0,
        1.0,
        1.0,
        pytest.approx(1 / 3),  # hosted
        0.0,
        0.0,
        *[0.0, 0.0, 0.0, 0.0],  # every pair of its words shares the passage sentence
        pytest.approx(1 / 6),  # one sentence covers it
        0.5,  # (paris, hosted), (in, 1900) of its 4 bigrams in that sentence
    ]
    assert rows[1] == [
        0.5,  # lyon, 1924 of paris, hosted, lyon, 1924
        1.0,  # 1924
        0.5,  # lyon of paris, lyon
        0.75,  # all bigrams but (paris, hosted)
        0.2,  # 2 novel words of NOVEL_CAP 10
        0.5,
        1.0,
        0.5,  # hosted, 1924
        0.5,  # paris, hosted
        1.0,
        *[0.0, 0.0, 0.0, 0.0],  # paris and hosted are together; lyon and 1924 in no passage
        pytest.approx(1 / 6),
        0.25,  # (paris, hosted)
    ]


def test_segment_features_see_facts_recombined_across_passages() -> None:
    passages = [
        {"title": "Bloom", "sentences": ["Bloom was released by Troye Sivan in 2018."]},
        {"title": "Dance to This", "sentences": ["Ariana Grande sang on Dance to This."]},
    ]
    text = "Ariana Grande released Bloom in 2018. Bloom was released in 2018."
    rows = segment_features(text, [(0, 37), (38, 65)], passages=passages)
    recombined, faithful = (row[len(SEGMENT_FEATURES) - 6 :] for row in rows)
    # Every word is in a passage (the first columns see nothing wrong) ...
    assert rows[0][:3] == [0.0, 0.0, 0.0]
    # ... but of the 10 pairs of ariana, grande, released, bloom, 2018 only (ariana, grande),
    # (bloom, released), (bloom, 2018) and (released, 2018) share a sentence or a passage; of
    # the 6 pairs of its names and numbers, (ariana, grande) and (bloom, 2018).
    assert recombined == [
        pytest.approx(0.6),
        pytest.approx(0.6),
        pytest.approx(4 / 6),
        pytest.approx(4 / 6),
        pytest.approx(2 / 6),  # two sentences cover its words
        pytest.approx(0.2),  # (in, 2018) or (ariana, grande): 1 of its 5 bigrams
    ]
    # (bloom, was), (was, released), (in, 2018) of its 4 bigrams are in the first sentence.
    assert faithful == [0.0, 0.0, 0.0, 0.0, pytest.approx(1 / 6), pytest.approx(0.75)]


def test_a_run_on_segment_pairs_only_its_first_words() -> None:
    # 48 words that share a sentence, then 12 ("zz…", last alphabetically) in another one:
    # only the first PAIR_CAP words are paired, so no pair is missing.
    together = [f"aa{n:02d}" for n in range(PAIR_CAP)]
    apart = [f"zz{n:02d}" for n in range(12)]
    passages = [{"title": "", "sentences": [" ".join(together), " ".join(apart)]}]
    text = " ".join(together + apart)
    [row] = segment_features(text, [(0, len(text))], passages=passages)
    assert row[SEGMENT_FEATURES.index("unpaired_words")] == 0.0
    assert row[SEGMENT_FEATURES.index("cover_sentences")] == pytest.approx(2 / 6)


def test_segment_features_without_passages_leave_the_passage_columns_at_zero() -> None:
    rows = segment_features("Cats sleep. Cats sleep.", [(0, 11), (12, 23)])
    assert rows == [[0.0] * 16, [0.0] * 8 + [1.0, 1.0] + [0.0] * 6]  # repeated; position
    assert segment_features("", []) == []


def test_only_a_category_that_reads_passages_counts_words_against_them() -> None:
    context = [{"title": "", "sentences": ["Rome."]}]
    factuality = SpanCategory("f", ("x",), "sentence", True)
    relevance = SpanCategory("r", ("x",), "sentence", False)
    kwargs = {"prompt": "", "text": "Paris.", "segments": [(0, 6)], "context": context}
    assert span_extra(factuality, **kwargs)[0][:7] == [1.0, 0.0, 1.0, 0.0, 0.1, 0.0, 1.0]
    assert span_extra(relevance, **kwargs)[0][:7] == [0.0] * 7


def test_extra_features_are_padded_and_appended_to_the_backbone_features() -> None:
    width = len(SEGMENT_FEATURES)
    a = Example([1], [0], [[1.0]], features=torch.ones(1, 2), extra=[[0.5] * width])
    b = Example([1], [0, 0], [[0.0], [1.0]], features=torch.ones(2, 2), extra=[[1.0] * width] * 2)
    batch = TokenLabelCollator(0, 1)([a, b])
    assert batch["extra"].tolist() == [[[0.5] * width, [0.0] * width], [[1.0] * width] * 2]
    head = GroupedHead(2 + width, [1], dropout=0.0)
    assert FeatureRewardModel(head, "span")(batch).shape == (2, 2, 1)


def test_a_run_stores_tuned_thresholds_and_scores_with_lexical_features(
    tiny_backbone: Path, tmp_path: Path
) -> None:
    config = tiny_config(tiny_backbone, tune_threshold=True, segment_features=True, **VALIDATION)
    result = train(config, span_records(16), tmp_path)
    loaded = load_model(result.model_dir)
    assert loaded.meta["segment_features"] == len(SEGMENT_FEATURES)
    # relevance has validation errors (a tuned threshold); factuality has none (0.5 kept).
    assert result.eval_metrics["selection"]["tuned_categories"] == ["relevance"]
    assert set(loaded.meta["thresholds"]) == {"relevance", "factuality"}
    assert loaded.thresholds == loaded.meta["thresholds"]
    assert loaded.thresholds["factuality"] == 0.5
    assert result.eval_metrics["thresholds"] == loaded.meta["thresholds"]
    text = "the cat sat on the mat. the band played in paris."
    [out] = score(loaded, [{"prompt": "when?", "text": text, "context": []}])
    cut = loaded.thresholds["relevance"]
    for segment in out["categories"][0]["segments"]:
        assert segment["reward"] == (-1 if segment["error_probability"] > cut else 1)
    assert evaluate(loaded, span_records(16))["examples"] > 0


def test_a_model_trained_before_columns_were_appended_reads_its_first_columns(
    tiny_backbone: Path, tmp_path: Path
) -> None:
    config = tiny_config(tiny_backbone, segment_features=True)
    folder = train(config, span_records(16), tmp_path).model_dir
    head_file = Path(folder) / "head.safetensors"
    old = 10  # the columns before the recombination ones
    # The new columns weigh nothing: the model with all of them and the one that only
    # knows the first ten must give the same probabilities.
    weights = load_file(str(head_file))
    # The MLP's input layer (backbone features, then the lexical ones) and the wide layer.
    reading = [n for n in weights if re.fullmatch(r"(heads\.\d+\.0|wide\.\d+)\.weight", n)]
    assert len(reading) == 4  # two categories
    for name in reading:
        weights[name][:, weights[name].shape[-1] - len(SEGMENT_FEATURES) + old :] = 0
    save_file(weights, str(head_file))
    text = "the cat sat on the mat. the band played in paris."
    inputs = [{"prompt": "when?", "text": text, "context": [{"title": "Paris", "sentences": [
        "The band played in Rome.", "The cat sat."]}]}]  # fmt: skip
    expected = score(load_model(folder), inputs)

    for name in reading:
        keep = weights[name].shape[-1] - len(SEGMENT_FEATURES) + old
        weights[name] = weights[name][:, :keep].clone()
    save_file(weights, str(head_file))
    meta_file = Path(folder) / "reward_model.json"
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**meta, "segment_features": old}))

    loaded = load_model(folder)
    assert loaded.model.head.wide_features == old
    actual = score(loaded, inputs)

    def probabilities(out: list[dict[str, Any]]) -> list[float]:
        return [s["error_probability"] for c in out[0]["categories"] for s in c["segments"]]

    assert len(probabilities(actual)) == 4  # two segments, two categories
    assert probabilities(actual) == pytest.approx(probabilities(expected), abs=1e-5)
    assert evaluate(loaded, span_records(16))["examples"] > 0


def test_the_wide_layer_starts_at_the_logistic_regression_of_the_features() -> None:
    width = len(SEGMENT_FEATURES)
    # The error label is the first feature: the fitted wide layer separates them alone.
    rows = [[float(i % 2)] + [0.5] * (width - 1) for i in range(8)]
    example = Example([0], list(range(8)), [[r[0], r[0]] for r in rows], group=1, extra=rows)
    head = GroupedHead(4 + width, [2, 2], hidden=8, wide=width)
    untouched = head.wide[0].weight.detach().clone()
    init_wide(head, [example], pos_weight=1.0)
    logits = head.wide[1](torch.tensor(rows))
    assert ((logits > 0) == torch.tensor([[r[0] > 0.5] * 2 for r in rows])).all()
    assert torch.equal(head.wide[0].weight, untouched)  # group 0 has no examples


def test_the_weights_of_the_epoch_with_the_lowest_validation_loss_are_kept(
    tiny_backbone: Path, tmp_path: Path
) -> None:
    config = tiny_config(
        tiny_backbone,
        num_train_epochs=4,
        learning_rate=5e-2,
        load_best_model_at_end=True,
        tune_threshold=False,
        **VALIDATION,
    )
    result = train(config, span_records(16), tmp_path)
    losses = [e["validation_loss"] for e in result.evaluations]
    assert len(losses) == 4
    best_epoch = losses.index(min(losses)) + 1
    assert result.eval_metrics["best_epoch"] == best_epoch
    assert result.eval_metrics["selection"]["validation_loss"] == min(losses)
    assert "thresholds" not in result.eval_metrics  # tune_threshold off: 0.5
    best = load_file(str(tmp_path / "best.safetensors"))
    saved = load_file(str(result.model_dir / "head.safetensors"))
    assert set(best) == {f"head.{k}" for k in saved}
    for key, value in saved.items():
        assert torch.equal(best[f"head.{key}"], value)
