"""Snapshot records → model examples. Character offsets become token positions here only.

Input layouts (``[S]`` is the tokenizer's separator token, a real vocabulary token: BERT-style
tokenizers encode ``"\\n"`` to nothing, so a newline cannot mark a step or a segment end):

- ``span`` (Fine-Grained RLHF, arXiv 2306.01693 §4.1): ``[CLS] question [S] seg_1 [S] seg_2
  [S] … seg_n [S] [S] passages [S]`` — the response is cut into sentences or sub-sentences
  (``core.segments``), one separator after each segment, and the model classifies the
  hidden state at each separator. Categories with ``use_context`` append the passage
  sentences that share the most words with the response, in passage order, up to
  ``context_max_tokens`` (MiniLM reads 512 tokens, not Longformer's 4,096). One example per
  (annotation, labelled text response, category); its label at each separator is
  ``[any error of the category, error type 1, …, error type k]``.
- ``step`` (process reward model): ``[CLS] prompt [S] step_1 [S] … step_n [S]``; the label at
  the separator after step ``i`` is its rating + 1 (0, 1, 2 for -1, 0, +1); unrated: -100.
- ``rubric``: ``[CLS] prompt [S] response [S]``; one label per criterion, the score scaled to
  ``[0, 1]`` by the criterion's level range; missing: -100.
- ``preference``: two sequences like ``rubric``'s, chosen and rejected, with a margin.

Held-out split: an item is held out when ``sha256(external_id)`` falls under
``eval_fraction``: stable across refreshes, so a held-out item never becomes training data
later, and independent of the seed. Validation part: of the other (training) items, those
whose ``sha256("validation:" + external_id)`` falls under ``validation_fraction`` — a second,
independent hash, so the part is ``validation_fraction`` of the training items whatever the
held-out split (``split_validation``). They pick the epoch and the thresholds only.

Alignment: the response is tokenized once with ``return_offsets_mapping``; each token goes to
the segment containing its first non-space character. Segments are trimmed and separated by
whitespace, so no token of a whitespace-splitting tokenizer straddles two segments.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.records import AnnotationRecord, Passage, SnapshotRecord
from core.segments import overlaps, sentence_segments, subsentence_segments

from .config import SpanCategory, TrainConfig
from .lexical import STOPWORDS, segment_features

IGNORE_INDEX = -100  # labels the loss ignores (TRL / transformers convention)
QUESTION_MAX_TOKENS = 96
LABEL_KINDS = ("spans", "steps", "regions", "rubric_scores", "critiques", "missing_info")
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass
class Example:
    """One model input with its labels. Token positions index ``input_ids``."""

    input_ids: list[int]
    targets: list[int] = field(default_factory=list)  # separator positions (token kinds)
    labels: list[Any] = field(default_factory=list)  # per target, or per criterion
    group: int = 0  # span category index
    item_key: str = ""
    segments: list[tuple[int, int]] = field(default_factory=list)  # char offsets per target
    rejected_ids: list[int] | None = None  # preference: the rejected response's input
    margin: float = 0.0
    features: Any = None  # fast mode: cached backbone features (torch tensor)
    extra: list[list[float]] | None = None  # per target: ``lexical.segment_features`` rows
    rejected_features: Any = None

    @property
    def length(self) -> int:
        return len(self.input_ids) + len(self.rejected_ids or ())


@dataclass
class LabelSpace:
    """What the heads predict: output widths per group and their meaning."""

    kind: str
    groups: list[dict[str, Any]]  # [{"name", "error_types", "segmentation", "use_context"}]
    widths: list[int]
    criteria: list[tuple[str, int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "groups": self.groups,
            "widths": self.widths,
            "criteria": [list(c) for c in self.criteria],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabelSpace:
        return cls(
            data["kind"],
            list(data["groups"]),
            list(data["widths"]),
            [tuple(c) for c in data.get("criteria", [])],
        )


def is_held_out(external_id: str, eval_fraction: float) -> bool:
    """Whether an item belongs to the held-out split (a pure function of its external id)."""
    if eval_fraction <= 0:
        return False
    bucket = int(hashlib.sha256(external_id.encode("utf-8")).hexdigest()[:8], 16) % 10_000
    return bucket < eval_fraction * 10_000


def split_records(
    records: Iterable[SnapshotRecord], eval_fraction: float
) -> tuple[list[SnapshotRecord], list[SnapshotRecord]]:
    train: list[SnapshotRecord] = []
    held_out: list[SnapshotRecord] = []
    for record in records:
        key = record["item"]["external_id"]
        (held_out if is_held_out(key, eval_fraction) else train).append(record)
    return train, held_out


def is_validation(external_id: str, validation_fraction: float) -> bool:
    """Whether a training item belongs to the validation part (a pure function of its external
    id, salted so that it is independent of ``is_held_out``)."""
    if validation_fraction <= 0:
        return False
    digest = hashlib.sha256(f"validation:{external_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 10_000 < validation_fraction * 10_000


@dataclass(frozen=True)
class ValidationSplit:
    """The training examples split for selection: ``train`` trains, ``validation`` picks the
    epoch and the thresholds. ``fallback`` says why there is no validation part ("" when
    there is one); ``items`` counts the training items (external ids) of the examples."""

    train: list[Example]
    validation: list[Example]
    items: int
    fallback: str = ""

    @property
    def validation_items(self) -> int:
        return len({e.item_key for e in self.validation})


def split_validation(
    examples: Sequence[Example], validation_fraction: float, min_items: int
) -> ValidationSplit:
    """Carve the validation part out of the training ``examples`` by item
    (``is_validation`` of each example's external id; an item's examples stay together). With
    fewer than ``min_items`` validation items, or no training item left, there is none: every
    example trains and ``fallback`` says why.

    >>> rows = [Example([0], [0], [[0.0]], item_key=f"i{n}") for n in range(10)]
    >>> part = split_validation(rows, 0.5, 3)
    >>> len(part.train), part.validation_items, part.fallback
    (4, 6, '')
    >>> split_validation(rows, 0.5, 7).fallback
    '6 of 10 training items would validate, 7 needed'
    """
    items = len({e.item_key for e in examples})
    if validation_fraction <= 0:
        return ValidationSplit(list(examples), [], items, "validation_fraction is 0")
    train: list[Example] = []
    validation: list[Example] = []
    for example in examples:
        (validation if is_validation(example.item_key, validation_fraction) else train).append(
            example
        )
    split = ValidationSplit(train, validation, items)
    if not train:
        reason = f"all {items} training items would validate, none train"
        return ValidationSplit(list(examples), [], items, reason)
    if split.validation_items < min_items:
        need = f"{min_items} needed"
        reason = f"{split.validation_items} of {items} training items would validate, {need}"
        return ValidationSplit(list(examples), [], items, reason)
    return split


def labelled_responses(annotation: AnnotationRecord) -> set[int]:
    """Responses an annotation labelled (the rule of the export formats: a unit on it, or
    listed in ``metadata["labelled_responses"]``). An untouched response is unlabelled."""
    covered = {u["response"] for kind in LABEL_KINDS for u in annotation[kind]}  # type: ignore[literal-required]
    listed = (annotation.get("metadata") or {}).get("labelled_responses")
    if isinstance(listed, list):
        covered.update(i for i in listed if isinstance(i, int) and not isinstance(i, bool))
    return covered


def _annotations(record: SnapshotRecord, config: TrainConfig) -> Iterator[AnnotationRecord]:
    for annotation in record["annotations"]:
        if config.human_only and annotation["author"]["kind"] == "judge":
            continue
        yield annotation


def prompt_of(item: Mapping[str, Any]) -> str:
    if item.get("prompt"):
        return str(item["prompt"])
    for message in reversed(item.get("messages") or []):
        if message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


def segments_of(text: str, segmentation: str) -> list[tuple[int, int]]:
    return subsentence_segments(text) if segmentation == "subsentence" else sentence_segments(text)


# --- tokenization helpers ---------------------------------------------------------------------


class Encoder:
    """Builds input ids with a tokenizer; caches nothing, holds the special-token ids."""

    def __init__(self, tokenizer: Any, config: TrainConfig) -> None:
        self.tokenizer = tokenizer
        self.config = config
        sep = tokenizer.sep_token_id
        if sep is None:
            sep = tokenizer.eos_token_id
        if sep is None:
            raise ValueError("The tokenizer has neither a separator nor an end-of-text token.")
        self.sep = int(sep)
        cls = tokenizer.cls_token_id
        if cls is None:
            cls = tokenizer.bos_token_id
        self.cls = [int(cls)] if cls is not None else []

    def ids(self, text: str, limit: int | None = None) -> list[int]:
        ids = list(self.tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []
        return ids[:limit] if limit is not None else ids

    def segmented(
        self, text: str, segments: Sequence[tuple[int, int]]
    ) -> tuple[list[int], list[int]]:
        """Token ids of ``text`` with a separator after each segment, and the index (into
        the returned ids) of each separator."""
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        per_segment: list[list[int]] = [[] for _ in segments]
        seg = 0
        for token_id, (start, end) in zip(
            encoded["input_ids"], encoded["offset_mapping"], strict=True
        ):
            while start < end and text[start].isspace():
                start += 1
            while seg < len(segments) - 1 and start >= segments[seg][1]:
                seg += 1
            if segments and segments[seg][0] <= start < segments[seg][1]:
                per_segment[seg].append(int(token_id))
        ids: list[int] = []
        positions: list[int] = []
        for tokens in per_segment:
            ids.extend(tokens)
            positions.append(len(ids))
            ids.append(self.sep)
        return ids, positions

    def context(self, passages: Sequence[Passage], answer: str, budget: int) -> list[int]:
        """Passage sentences that share the most content words with ``answer``, in passage
        order, each prefixed once by its passage title, within ``budget`` tokens."""
        if budget <= 0 or not passages:
            return []
        words = set(_WORDS.findall(answer.lower())) - STOPWORDS
        scored = []
        for p, passage in enumerate(passages):
            for s, sentence in enumerate(passage.get("sentences") or []):
                overlap = len(words & set(_WORDS.findall(sentence.lower())))
                scored.append((-overlap, p, s, sentence))
        if not scored:
            return []
        scored.sort()
        # One batched tokenizer call: per-sentence calls were most of building the examples.
        encoded = self.tokenizer([x[3] for x in scored], add_special_tokens=False)["input_ids"]
        chosen: list[tuple[int, int, str, list[int]]] = []
        used = 0
        for (_neg, p, s, sentence), ids in zip(scored, encoded, strict=True):
            if used + len(ids) > budget:
                continue
            chosen.append((p, s, sentence, list(ids)))
            used += len(ids)
        chosen.sort()
        out: list[int] = []
        titled: set[int] = set()
        for p, _s, _sentence, ids in chosen:
            if p not in titled:
                titled.add(p)
                out.extend(self.ids(str(passages[p].get("title", "")) + ":", 16))
            out.extend(ids)
        return out[:budget]

    def body_room(self, head: list[int]) -> int:
        return max(self.config.max_length - len(self.cls) - 3 - len(head), 0)

    def fit(self, head: list[int], body: list[int], tail: list[int]) -> list[int]:
        """``[CLS] head [S] body [S] tail [S]`` cut to ``max_length`` (tail first, then body)."""
        room = self.body_room(head)
        body = body[:room]
        tail = tail[: max(room - len(body), 0)]
        ids = [*self.cls, *head, self.sep, *body, self.sep]
        if tail:
            ids += [*tail, self.sep]
        return ids


# --- per kind ---------------------------------------------------------------------------------


def span_label_space(config: TrainConfig) -> LabelSpace:
    groups = [
        {
            "name": c.name,
            "error_types": list(c.error_types),
            "segmentation": c.segmentation,
            "use_context": c.use_context,
        }
        for c in config.categories
    ]
    return LabelSpace("span", groups, [1 + len(c.error_types) for c in config.categories])


def span_input(
    encoder: Encoder,
    category: SpanCategory,
    *,
    prompt: str,
    text: str,
    context: Sequence[Passage] = (),
) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """(input ids, separator positions, the segments they close). Segments cut off by
    ``max_length`` have no separator and are dropped."""
    segments = segments_of(text, category.segmentation)
    head = encoder.ids(prompt, QUESTION_MAX_TOKENS)
    body, positions = encoder.segmented(text, segments)
    tail: list[int] = []
    if category.use_context:
        tail = encoder.context(context, text, encoder.config.context_max_tokens)
    ids = encoder.fit(head, body, tail)
    offset = len(encoder.cls) + len(head) + 1
    body_kept = encoder.body_room(head)
    kept = [(offset + p, seg) for p, seg in zip(positions, segments, strict=True) if p < body_kept]
    return ids, [p for p, _ in kept], [seg for _, seg in kept]


def span_extra(
    category: SpanCategory,
    *,
    prompt: str,
    text: str,
    segments: Sequence[tuple[int, int]],
    context: Sequence[Passage] = (),
) -> list[list[float]]:
    """``lexical.segment_features`` of the segments; the passages count only for a category
    that reads them (``use_context``), as the backbone's input has them only there."""
    passages = context if category.use_context else ()
    return segment_features(text, segments, prompt=prompt, passages=passages)


def span_labels(
    segments: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int, str]], types: Sequence[str]
) -> list[list[float]]:
    """Per segment ``[any, type_1, …]``: 1.0 where a span of that type overlaps it.

    >>> span_labels([(0, 5), (6, 9)], [(2, 3, "b")], ["a", "b"])
    [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    """
    rows = []
    for segment in segments:
        hit = [any(t == kind and overlaps(s, e, segment) for s, e, t in spans) for kind in types]
        rows.append([float(any(hit)), *(float(h) for h in hit)])
    return rows


def span_examples(
    records: Iterable[SnapshotRecord], config: TrainConfig, encoder: Encoder
) -> Iterator[Example]:
    for record in records:
        item = record["item"]
        responses = {r["index"]: r for r in record["responses"]}
        for annotation in _annotations(record, config):
            for index in sorted(labelled_responses(annotation)):
                response = responses.get(index)
                if response is None or response["kind"] != "text" or not response["text"]:
                    continue
                spans = [
                    (s["start"], s["end"], s["error_type"])
                    for s in annotation["spans"]
                    if s["response"] == index
                ]
                for group, category in enumerate(config.categories):
                    ids, targets, segments = span_input(
                        encoder,
                        category,
                        prompt=prompt_of(item),
                        text=response["text"],
                        context=item.get("context") or [],
                    )
                    if not targets:
                        continue
                    labels = span_labels(segments, spans, category.error_types)
                    example = Example(ids, targets, labels, group, item["external_id"], segments)
                    if config.effective_segment_features:
                        example.extra = span_extra(
                            category,
                            prompt=prompt_of(item),
                            text=response["text"],
                            segments=segments,
                            context=item.get("context") or [],
                        )
                    yield example


def step_input(
    encoder: Encoder, *, prompt: str, steps: Sequence[str]
) -> tuple[list[int], list[int]]:
    head = encoder.ids(prompt, QUESTION_MAX_TOKENS)
    ids = [*encoder.cls, *head, encoder.sep]
    targets = []
    for step in steps:
        room = encoder.config.max_length - len(ids) - 1
        if room <= 0:
            break
        ids.extend(encoder.ids(step, room))
        targets.append(len(ids))
        ids.append(encoder.sep)
    return ids, targets


def step_examples(
    records: Iterable[SnapshotRecord], config: TrainConfig, encoder: Encoder
) -> Iterator[Example]:
    for record in records:
        item = record["item"]
        responses = {r["index"]: r for r in record["responses"]}
        for annotation in _annotations(record, config):
            by_response: dict[int, dict[int, int]] = {}
            for step in annotation["steps"]:
                by_response.setdefault(step["response"], {})[step["step_index"]] = step["rating"]
            for index, ratings in sorted(by_response.items()):
                response = responses.get(index)
                if response is None or response["kind"] != "steps" or not response["steps"]:
                    continue
                ids, targets = step_input(encoder, prompt=prompt_of(item), steps=response["steps"])
                labels = [
                    ratings[i] + 1 if i in ratings else IGNORE_INDEX for i in range(len(targets))
                ]
                if all(label == IGNORE_INDEX for label in labels):
                    continue
                segments = [(i, i + 1) for i in range(len(targets))]
                yield Example(ids, targets, labels, 0, item["external_id"], segments)


def rubric_label_space(config: TrainConfig, records: Sequence[SnapshotRecord]) -> LabelSpace:
    """Criteria and level ranges: from the config, else every criterion seen in ``records``."""
    ranges = {key: (low, high) for key, low, high in config.criterion_ranges}
    seen: dict[str, list[int]] = {}
    for record in records:
        for annotation in _annotations(record, config):
            for score in annotation["rubric_scores"]:
                seen.setdefault(score["criterion"], []).append(score["score"])
    keys = list(config.criteria) or sorted(seen)
    criteria = []
    for key in keys:
        low, high = ranges.get(key) or (min(seen.get(key, [0])), max(seen.get(key, [1])))
        criteria.append((key, low, high if high > low else low + 1))
    groups = [{"name": "rubric", "error_types": [], "segmentation": "", "use_context": False}]
    return LabelSpace("rubric", groups, [max(len(criteria), 1)], criteria)


def sequence_input(encoder: Encoder, *, prompt: str, text: str) -> list[int]:
    return encoder.fit(encoder.ids(prompt, QUESTION_MAX_TOKENS), encoder.ids(text), [])


def response_text(response: Mapping[str, Any]) -> str:
    if response["kind"] == "steps":
        return "\n".join(response["steps"])
    return str(response.get("text") or "")


def rubric_examples(
    records: Iterable[SnapshotRecord], config: TrainConfig, encoder: Encoder, space: LabelSpace
) -> Iterator[Example]:
    column = {key: (i, low, high) for i, (key, low, high) in enumerate(space.criteria)}
    for record in records:
        item = record["item"]
        responses = {r["index"]: r for r in record["responses"]}
        for annotation in _annotations(record, config):
            by_response: dict[int, list[float]] = {}
            for score in annotation["rubric_scores"]:
                if score["criterion"] not in column:
                    continue
                i, low, high = column[score["criterion"]]
                row = by_response.setdefault(score["response"], [IGNORE_INDEX] * len(column))
                row[i] = min(max((score["score"] - low) / (high - low), 0.0), 1.0)
            for index, labels in sorted(by_response.items()):
                response = responses.get(index)
                if response is None or response["kind"] == "image":
                    continue
                ids = sequence_input(encoder, prompt=prompt_of(item), text=response_text(response))
                yield Example(ids, [], labels, 0, item["external_id"])


def preference_examples(
    records: Iterable[SnapshotRecord], config: TrainConfig, encoder: Encoder
) -> Iterator[Example]:
    """Explicit preferences only; ties are dropped. ``margin = margin_scale * (|v| - 1)``:
    a slight preference (|v| = 1) has none, a strong one (|v| = 3) the most."""
    for record in records:
        item = record["item"]
        responses = {r["index"]: r for r in record["responses"]}
        for annotation in _annotations(record, config):
            for pref in annotation["preferences"]:
                value = pref["value"]
                a, b = responses.get(pref["response_a"]), responses.get(pref["response_b"])
                if value == 0 or a is None or b is None or "image" in (a["kind"], b["kind"]):
                    continue
                chosen, rejected = (b, a) if value > 0 else (a, b)
                prompt = prompt_of(item)
                yield Example(
                    sequence_input(encoder, prompt=prompt, text=response_text(chosen)),
                    item_key=item["external_id"],
                    rejected_ids=sequence_input(
                        encoder, prompt=prompt, text=response_text(rejected)
                    ),
                    margin=config.margin_scale * (abs(value) - 1),
                )


def label_space(config: TrainConfig, records: Sequence[SnapshotRecord]) -> LabelSpace:
    if config.kind == "span":
        return span_label_space(config)
    if config.kind == "rubric":
        return rubric_label_space(config, records)
    groups: list[dict[str, Any]] = [
        {"name": config.kind, "error_types": [], "segmentation": "", "use_context": False}
    ]
    return LabelSpace(config.kind, groups, [3 if config.kind == "step" else 1])


def build_examples(
    records: Iterable[SnapshotRecord], config: TrainConfig, encoder: Encoder, space: LabelSpace
) -> list[Example]:
    if config.kind == "span":
        return list(span_examples(records, config, encoder))
    if config.kind == "step":
        return list(step_examples(records, config, encoder))
    if config.kind == "rubric":
        return list(rubric_examples(records, config, encoder, space))
    return list(preference_examples(records, config, encoder))


def records_digest(lines: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line)
    return digest.hexdigest()
