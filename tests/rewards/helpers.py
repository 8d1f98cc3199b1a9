"""Builders for reward-model tests: a tiny BERT built from a config and a local vocabulary
(no downloads), and snapshot records in the ``core.records`` format."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_WORDS = (
    "the a an of in on at to and or is was were it its this that he she they when where who what "
    "how why which with for from by as be been has have had not no yes one two three four five "
    "first second third album song single released record band music year years born died city "
    "river country capital paris france london england berlin germany rome italy big small "
    "large old new best famous known called named people person team game won lost play played "
    "film movie book wrote written author story about also but so then there here sun moon "
    "rain rains lot lots weather cat cats dog dogs sat mat tree trees red blue green step steps "
    "add added sum total answer question compute equals result x y z a1 b2 bloom august may"
)
WORDS = _WORDS.split(" ")


def write_tiny_backbone(folder: Path, *, seed: int = 0, hidden: int = 32) -> Path:
    """A randomly initialised 2-layer BERT and its WordPiece tokenizer, saved with
    ``save_pretrained`` (safetensors) into ``folder``."""
    import torch  # noqa: PLC0415  # tests of the web side must not load torch
    from transformers import BertConfig, BertModel, BertTokenizer  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'\"()-+=*/")
    pieces = [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    vocab = list(dict.fromkeys(specials + WORDS + chars + pieces))
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    # transformers 5: the (Rust-backed) BertTokenizer takes the vocabulary as a mapping.
    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True)
    tokenizer.save_pretrained(str(folder))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=256,
        pad_token_id=0,
    )
    BertModel(config).save_pretrained(str(folder))
    return folder


def annotation(
    *,
    spans: list[dict[str, Any]] = (),  # type: ignore[assignment]
    steps: list[dict[str, Any]] = (),  # type: ignore[assignment]
    rubric_scores: list[dict[str, Any]] = (),  # type: ignore[assignment]
    preferences: list[dict[str, Any]] = (),  # type: ignore[assignment]
    judge: bool = False,
    labelled: list[int] | None = None,
) -> dict[str, Any]:
    author = (
        {"kind": "judge", "id": 9, "name": "j"}
        if judge
        else {"kind": "human", "id": 1, "name": "anna"}
    )
    return {
        "id": 1,
        "status": "submitted",
        "version": 1,
        "author": author,
        "taxonomy_version": 1,
        "rubric_version": None,
        "created_at": "",
        "submitted_at": None,
        "reviewed_at": None,
        "reviewed_by": None,
        "time_spent_ms": 0,
        "metadata": {"labelled_responses": labelled} if labelled is not None else {},
        "source_annotations": [1],
        "regions": [],
        "critiques": [],
        "missing_info": [],
        "spans": [{"severity": None, "comment": "", "confidence": None, **s} for s in spans],
        "steps": [{"error_type": None, "comment": "", **s} for s in steps],
        "rubric_scores": [{"rationale": "", **s} for s in rubric_scores],
        "preferences": [{"rationale": "", "criterion": None, **p} for p in preferences],
    }


def record(
    external_id: str,
    texts: list[str] | None = None,
    *,
    steps: list[str] | None = None,
    annotations: list[dict[str, Any]] = (),  # type: ignore[assignment]
    prompt: str = "when was it released?",
    context: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    responses = [
        {
            "index": i,
            "kind": "text",
            "model_name": "m",
            "text": t,
            "steps": [],
            "image_url": "",
            "image_width": None,
            "image_height": None,
            "metadata": {},
        }
        for i, t in enumerate(texts or [])
    ]
    if steps is not None:
        responses.append(
            {
                "index": len(responses),
                "kind": "steps",
                "model_name": "m",
                "text": "",
                "steps": steps,
                "image_url": "",
                "image_width": None,
                "image_height": None,
                "metadata": {},
            }
        )
    return {
        "item": {
            "id": 1,
            "external_id": external_id,
            "prompt": prompt,
            "messages": [],
            "context": context or [{"title": "bloom", "sentences": ["it was in may."]}],
            "metadata": {},
            "is_gold": False,
        },
        "responses": responses,
        "annotations": list(annotations),
    }


SENTENCES = [
    "the album was released in may.",
    "the band played in paris.",
    "the cat sat on the mat.",
    "it rains a lot in london.",
    "the film won the best award.",
    "the river is big and old.",
]


def span_records(n: int = 12) -> list[dict[str, Any]]:
    """``n`` items whose first response has three sentences; sentences about cats or rain are
    labelled irrelevant, so a model can learn something."""
    out = []
    for i in range(n):
        chosen = [SENTENCES[(i + k) % len(SENTENCES)] for k in range(3)]
        text = " ".join(chosen)
        spans = []
        for sentence in chosen:
            if re.search(r"cat|rain", sentence):
                start = text.index(sentence)
                spans.append(
                    {
                        "response": 0,
                        "start": start,
                        "end": start + len(sentence),
                        "error_type": "irrelevant",
                    }
                )
        out.append(
            record(
                f"q{i}",
                [text, "it was released in may."],
                annotations=[annotation(spans=spans, labelled=[0])],
            )
        )
    return out
