#!/usr/bin/env python3
"""Span reward models on QA-FEEDBACK: segment-level accuracy and error F1, as the paper has it.

Data: ``shared/data/qa-feedback/dev_feedback.json`` (400 items of the upstream dev split;
fine-grained labels on ``prediction 1`` only). Each record is converted to a snapshot record
exactly as the QA-FEEDBACK importer maps it (``annotator/importers/qa_feedback.py``: question
→ prompt, passages → context, predictions → responses, errors → spans on response 0) and fed
to ``rewards.training.loop.train`` — the code path of a worker's training run.

Protocol: k-fold cross-validation over items (default 5 folds; item i goes to fold
``sha256(external_id) mod k``); for each fold, one model per category is trained on the other
folds and evaluated on the fold: **relevance** (Irrelevant / Redundant / Incoherent) on
sub-sentences without passages, **factuality** (Wrong-Grounding / Unverifiable) on sentences
with passages (Fine-Grained RLHF, arXiv 2306.01693 §4.1). A segment is an error of a
category when a span of one of its error types overlaps it; error F1 is the F1 of the error
class over all test segments of the fold. Reported: mean ± standard deviation over folds.

Inside each training run, 20% of the training items (``--validation``; the product's
``validation_fraction`` carve-out, ``rewards.training.data.split_validation``) validate: the
epoch with the lowest validation loss is kept (``load_best_model_at_end``) and each
category's decision threshold is the one that maximises error F1 there (``tune_threshold``);
the test fold is used only to score. The head also reads lexical features per segment
(``segment_features``: words, numbers, names and bigrams of the segment missing from the
passages, overlap with the question and earlier segments; ``rewards/training/lexical.py``).
``--validation 0 --no-segment-features`` is the earlier protocol (threshold 0.5, last epoch).

    .venv/bin/python benchmarks/rm_quality.py --mode fast            # seconds per fold
    .venv/bin/python benchmarks/rm_quality.py --mode full --folds 5  # minutes per fold on CPU
    .venv/bin/python benchmarks/rm_quality.py --mode full --only-fold 0

The paper (Longformer-base, trained on 2,853 items, evaluated on the 500-item dev set) reports
error F1 0.68 (relevance) and 0.67 (factuality) — ``PAPER`` below.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rewards.training.config import FGRLHF_CATEGORIES, TrainConfig  # noqa: E402
from rewards.training.loop import train  # noqa: E402
from rewards.training.scoring import evaluate, load_model  # noqa: E402

DATA = Path(os.environ.get("FINEGRAIN_SHARED_DIR", ROOT.parent / "shared")) / "data" / "qa-feedback"
PAPER = {"relevance": 0.68, "factuality": 0.67}
SPAN_TYPES = {
    "Irrelevant": "irrelevant",
    "Redundant": "redundant",
    "Incoherent": "incoherent",
    "Unverifiable": "unverifiable",
    "Wrong-Grounding": "wrong-grounding",
}
# Per-category settings: factuality errors are rarer (~15% of sentences against ~50% of
# relevance sub-sentences), so the error class gets more weight.
CATEGORY_SETTINGS = {
    "relevance": {"error_pos_weight": 1.0},
    "factuality": {"error_pos_weight": 3.0},
}


def qa_feedback_records(path: Path) -> list[dict[str, Any]]:
    """QA-FEEDBACK → snapshot records (``core.records.SnapshotRecord``), one human annotation
    per item with the span errors of ``prediction 1`` and its missing-info units."""
    records = []
    for n, row in enumerate(json.loads(path.read_text())):
        text = row["prediction 1"]
        spans = [
            {
                "response": 0,
                "start": e["start"],
                "end": e["end"],
                "error_type": SPAN_TYPES[e["error type"]],
                "severity": None,
                "comment": e.get("explanation", ""),
                "confidence": None,
            }
            for e in row["feedback"]["errors"]
            if 0 <= e["start"] < e["end"] <= len(text)
        ]
        missing = [
            {
                "response": 0,
                "error_type": m["error type"].lower(),
                "passage_index": None,
                "sentence_indices": [],
                "comment": "",
            }
            for m in row["feedback"]["missing-info"]
        ]
        external_id = "qa-feedback-" + hashlib.sha1(row["question"].encode()).hexdigest()  # noqa: S324
        annotation = {
            "id": n,
            "status": "submitted",
            "version": 1,
            "author": {"kind": "human", "id": 1, "name": "qa-feedback"},
            "taxonomy_version": 1,
            "rubric_version": None,
            "created_at": "",
            "submitted_at": None,
            "reviewed_at": None,
            "reviewed_by": None,
            "time_spent_ms": 0,
            "metadata": {},
            "source_annotations": [n],
            "spans": spans,
            "steps": [],
            "regions": [],
            "rubric_scores": [],
            "preferences": [],
            "critiques": [],
            "missing_info": missing,
        }
        responses = [
            {
                "index": i,
                "kind": "text",
                "model_name": "",
                "text": row[f"prediction {i + 1}"],
                "steps": [],
                "image_url": "",
                "image_width": None,
                "image_height": None,
                "metadata": {},
            }
            for i in range(4)
        ]
        item = {
            "id": n,
            "external_id": external_id,
            "prompt": row["question"],
            "messages": [],
            "context": [{"title": p[0], "sentences": p[1:]} for p in row["passages"]],
            "metadata": {"gold": row["gold"]},
            "is_gold": False,
        }
        records.append({"item": item, "responses": responses, "annotations": [annotation]})
    return records


def fold_of(record: dict[str, Any], k: int) -> int:
    digest = hashlib.sha256(record["item"]["external_id"].encode()).hexdigest()
    return int(digest[:8], 16) % k


def in_share(record: dict[str, Any], share: float) -> bool:
    """Nested subsets of the training items for a learning curve: an item kept at a share is
    kept at every larger one (a third hash of the external id, apart from folds and the
    validation part)."""
    digest = hashlib.sha256(("share|" + record["item"]["external_id"]).encode()).hexdigest()
    return int(digest[:8], 16) / 0x100000000 < share


def base_config(mode: str, args: argparse.Namespace) -> TrainConfig:
    # The test fold plays the held-out items (eval_fraction 0: every other item is a training
    # item); the validation part is the training code's own carve-out (validation_fraction,
    # by a second hash of the external id), as in a product run. In fast mode these are the
    # product defaults.
    protocol = {
        "eval_fraction": 0.0,
        "validation_fraction": args.validation,
        "tune_threshold": args.validation > 0,
        "load_best_model_at_end": args.validation > 0,
        "segment_features": args.segment_features,
        "context_max_tokens": args.context_tokens,
    }
    if mode == "fast":
        return TrainConfig(
            kind="span",
            mode="fast",
            num_train_epochs=args.epochs or 30,
            per_device_train_batch_size=32,
            learning_rate=args.lr or None,
            logging_steps=50,
            feature_cache_dir=str(args.cache),
            save_steps=10_000,
            num_threads=1,  # a head on cached features: one thread (a shared 2-core machine)
            **protocol,
        )
    return TrainConfig(
        kind="span",
        mode="full",
        num_train_epochs=args.epochs or 5,
        per_device_train_batch_size=16,
        learning_rate=args.lr or 5e-5,
        logging_steps=10,
        save_steps=10_000,
        **protocol,
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    records = qa_feedback_records(DATA / "dev_feedback.json")
    folds = [args.only_fold] if args.only_fold is not None else list(range(args.folds))
    categories = [c for c in FGRLHF_CATEGORIES if c.name in args.categories.split(",")]
    results: dict[str, list[dict[str, float]]] = {c.name: [] for c in categories}
    timings = []
    for fold in folds:
        train_records = [
            r for r in records if fold_of(r, args.folds) != fold and in_share(r, args.train_share)
        ]
        test_records = [r for r in records if fold_of(r, args.folds) == fold]
        for category in categories:
            settings = {**CATEGORY_SETTINGS[category.name], **json.loads(args.set or "{}")}
            config = base_config(args.mode, args).replace(categories=(category,), **settings)
            started = time.perf_counter()
            with tempfile.TemporaryDirectory() as out:
                result = train(config, train_records, out)
                loaded = load_model(result.model_dir)
                metrics = evaluate(
                    loaded,
                    test_records,
                    held_out_only=False,
                    feature_cache_dir=args.cache if args.mode == "fast" else None,
                )
            seconds = time.perf_counter() - started
            scores = {**metrics[category.name], "threshold": loaded.thresholds[category.name]}
            results[category.name].append(scores)
            timings.append(seconds)
            print(
                f"fold {fold} {category.name:10s} acc {scores['accuracy']:.3f} "
                f"F1 {scores['f1']:.3f} (P {scores['precision']:.3f} R {scores['recall']:.3f}, "
                f"{int(scores['segments'])} segments, {int(scores['errors'])} errors, "
                f"threshold {scores['threshold']:.2f}) "
                f"{seconds:.0f}s, {result.tokens_per_second:.0f} tok/s",
                flush=True,
            )
    return {
        "mode": args.mode,
        "train_share": args.train_share,
        "folds": args.folds,
        "evaluated_folds": folds,
        "results": results,
        "seconds": timings,
    }


def summary(report: dict[str, Any]) -> str:
    lines = [
        "| category | segments per fold | accuracy | error precision | error recall | "
        "error F1 | F1 of 'every segment is an error' | paper F1 (Longformer, 2,853 items) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def stat(rows: list[dict[str, float]], key: str) -> str:
        values = [r[key] for r in rows]
        if len(values) == 1:
            return f"{values[0]:.3f}"
        return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"

    for name, rows in report["results"].items():
        segments = statistics.mean(r["segments"] for r in rows)
        # The trivial predictor that calls every segment an error: precision = error rate.
        trivial = [{"f1": 2 * r["errors"] / (r["segments"] + r["errors"])} for r in rows]
        lines.append(
            f"| {name} | {segments:.0f} | {stat(rows, 'accuracy')} | "
            f"{stat(rows, 'precision')} | {stat(rows, 'recall')} | {stat(rows, 'f1')} | "
            f"{stat(trivial, 'f1')} | {PAPER[name]:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["fast", "full"], default="fast")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only-fold", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=0)
    parser.add_argument("--lr", type=float, default=0.0)
    parser.add_argument("--context-tokens", type=int, default=320)
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "bench-feature-cache")
    parser.add_argument("--categories", default="relevance,factuality")
    parser.add_argument(
        "--set", default="", help="JSON of TrainConfig overrides, e.g. '{\"error_pos_weight\": 2}'"
    )
    parser.add_argument(
        "--validation",
        type=float,
        default=0.2,
        help="share of the training items held out to pick the epoch (lowest loss there) and "
        "each category's threshold (highest error F1 there); 0: the last epoch, threshold 0.5, "
        "every training item trains",
    )
    parser.add_argument(
        "--segment-features",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="lexical features per segment beside the backbone's (rewards.training.lexical)",
    )
    parser.add_argument(
        "--train-share",
        type=float,
        default=1.0,
        help="train on this share of each fold's training items (nested subsets: a learning "
        "curve); the test folds stay whole",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    report = run(args)
    print(summary(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
