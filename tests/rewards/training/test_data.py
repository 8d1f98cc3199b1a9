"""Records → examples: segment alignment via offsets, labels, the held-out split."""

from __future__ import annotations

from pathlib import Path

from rewards.training.config import SpanCategory, TrainConfig
from rewards.training.data import (
    IGNORE_INDEX,
    Encoder,
    build_examples,
    is_held_out,
    label_space,
    span_input,
    span_labels,
    split_records,
    step_input,
)
from rewards.training.heads import load_tokenizer
from tests.rewards.helpers import annotation, record

RELEVANCE = SpanCategory("relevance", ("irrelevant",), "subsentence", False)
FACTUALITY = SpanCategory("factuality", ("wrong-grounding",), "sentence", True)


def encoder(tiny_backbone: Path, **changes: object) -> Encoder:
    return Encoder(load_tokenizer(tiny_backbone), TrainConfig(**changes))  # type: ignore[arg-type]


def test_one_separator_closes_each_sentence(tiny_backbone: Path) -> None:
    enc = encoder(tiny_backbone)
    tok = enc.tokenizer
    ids, targets, segments = span_input(
        enc,
        FACTUALITY.__class__("s", ("x",), "sentence", False),
        prompt="when?",
        text="the cat sat. it rains!",
    )
    assert segments == [(0, 12), (13, 22)]
    assert tok.convert_ids_to_tokens(ids) == [
        "[CLS]",
        "when",
        "?",
        "[SEP]",
        "the",
        "cat",
        "sat",
        ".",
        "[SEP]",
        "it",
        "rains",
        "!",
        "[SEP]",
        "[SEP]",
    ]
    assert targets == [8, 12]
    assert all(ids[t] == tok.sep_token_id for t in targets)


def test_subsentences_split_after_commas_with_five_words_each_side(tiny_backbone: Path) -> None:
    enc = encoder(tiny_backbone)
    text = "the band played in paris, and the film won the best award."
    _ids, targets, segments = span_input(enc, RELEVANCE, prompt="", text=text)
    assert [text[s:e] for s, e in segments] == [
        "the band played in paris,",
        "and the film won the best award.",
    ]
    assert len(targets) == 2


def test_context_passages_follow_the_response_and_never_cut_its_separators(
    tiny_backbone: Path,
) -> None:
    enc = encoder(tiny_backbone, max_length=24, context_max_tokens=50)
    context = [{"title": "bloom", "sentences": ["the album was released in may.", "cats sat."]}]
    ids, targets, segments = span_input(
        enc, FACTUALITY, prompt="when?", text="the album was released in may.", context=context
    )
    tokens = enc.tokenizer.convert_ids_to_tokens(ids)
    assert len(ids) <= 24
    assert targets == [11]
    assert tokens[11] == "[SEP]"
    assert segments == [(0, 30)]
    assert tokens[12:14] == ["[SEP]", "bloom"]  # passages after the response, title first


def test_segments_past_max_length_are_dropped(tiny_backbone: Path) -> None:
    enc = encoder(tiny_backbone, max_length=16)
    text = "the cat sat on the mat. the dog sat on the mat. the sun is big."
    ids, targets, segments = span_input(enc, RELEVANCE.__class__("s", ("x",)), prompt="", text=text)
    assert len(ids) <= 16
    assert segments == [(0, 23)]
    assert len(targets) == 1


def test_span_labels_mark_overlapping_segments_per_type() -> None:
    spans = [(3, 7, "irrelevant"), (20, 21, "redundant")]
    labels = span_labels([(0, 5), (6, 10), (11, 19), (20, 30)], spans, ["irrelevant", "redundant"])
    assert labels == [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 1.0]]


def test_span_examples_one_per_category_from_human_annotations(tiny_backbone: Path) -> None:
    text = "the cat sat. it rains a lot."
    records = [
        record(
            "q1",
            [text, "unlabelled."],
            annotations=[
                annotation(
                    spans=[{"response": 0, "start": 0, "end": 3, "error_type": "irrelevant"}]
                ),
                annotation(
                    spans=[{"response": 0, "start": 13, "end": 15, "error_type": "irrelevant"}],
                    judge=True,
                ),
            ],
        )
    ]
    config = TrainConfig(categories=(RELEVANCE.__class__("relevance", ("irrelevant",)), FACTUALITY))
    enc = Encoder(load_tokenizer(tiny_backbone), config)
    examples = build_examples(records, config, enc, label_space(config, records))
    assert [(e.group, e.labels) for e in examples] == [
        (0, [[1.0, 1.0], [0.0, 0.0]]),  # the judge's span is not a label
        (1, [[0.0, 0.0], [0.0, 0.0]]),
    ]


def test_steps_get_a_real_separator_and_their_rating(tiny_backbone: Path) -> None:
    enc = encoder(tiny_backbone)
    ids, targets = step_input(enc, prompt="sum?", steps=["x = 1", "y = 2"])
    tokens = enc.tokenizer.convert_ids_to_tokens(ids)
    assert tokens == ["[CLS]", "sum", "?", "[SEP]", "x", "=", "1", "[SEP]", "y", "=", "2", "[SEP]"]
    assert targets == [7, 11]
    records = [
        record(
            "q1",
            steps=["x = 1", "y = 2"],
            annotations=[annotation(steps=[{"response": 0, "step_index": 1, "rating": -1}])],
        )
    ]
    config = TrainConfig(kind="step")
    examples = build_examples(
        records, config, Encoder(enc.tokenizer, config), label_space(config, records)
    )
    assert [e.labels for e in examples] == [[IGNORE_INDEX, 0]]


def test_rubric_and_preference_examples(tiny_backbone: Path) -> None:
    records = [
        record(
            "q1",
            ["the best answer.", "the lost answer."],
            annotations=[
                annotation(
                    rubric_scores=[
                        {"response": 0, "criterion": "fluency", "score": 5},
                        {"response": 1, "criterion": "fluency", "score": 1},
                    ],
                    preferences=[
                        {"response_a": 0, "response_b": 1, "value": -3},
                        {"response_a": 0, "response_b": 1, "value": 0},
                    ],
                )
            ],
        )
    ]
    config = TrainConfig(kind="rubric", criterion_ranges=(("fluency", 1, 5),))
    enc = Encoder(load_tokenizer(tiny_backbone), config)
    space = label_space(config, records)
    assert space.criteria == [("fluency", 1, 5)]
    assert [e.labels for e in build_examples(records, config, enc, space)] == [[1.0], [0.0]]
    config = TrainConfig(kind="preference", margin_scale=0.5)
    pairs = build_examples(records, config, enc, label_space(config, records))
    assert len(pairs) == 1  # the tie is dropped
    tokens = enc.tokenizer.convert_ids_to_tokens
    assert "best" in tokens(pairs[0].input_ids)
    assert "lost" in tokens(pairs[0].rejected_ids or [])
    assert pairs[0].margin == 1.0


def test_held_out_split_depends_only_on_the_external_id() -> None:
    keys = [f"item-{i}" for i in range(1000)]
    held = [k for k in keys if is_held_out(k, 0.2)]
    assert 150 < len(held) < 250
    assert held == [k for k in keys if is_held_out(k, 0.2)]
    assert not any(is_held_out(k, 0.0) for k in keys)
    train, held_out = split_records([record(k, ["x."]) for k in keys[:50]], 0.2)
    assert len(train) + len(held_out) == 50
