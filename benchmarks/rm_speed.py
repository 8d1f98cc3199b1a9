#!/usr/bin/env python3
"""Reward-model speed: training tokens/s against Hugging Face's Trainer, label-to-active-model
latency with the fast refresh, and scoring tokens/s. Same data, backbone and machine, one run.

1. **Training throughput** (full fine-tuning, span kind, the relevance category of
   QA-FEEDBACK: question + response with a separator after each sub-sentence, MiniLM-L6).
   Our loop (``rewards.training.loop.train``: length-grouped batches, dynamic padding, bf16
   autocast where the CPU has AMX/AVX512-BF16, no attention dropout so that PyTorch's fused
   attention kernel runs) against ``transformers.Trainer`` training
   ``BertForTokenClassification`` on the very same token ids and separator labels (the rest
   -100), with ``DataCollatorForTokenClassification`` (dynamic padding). Two Trainer
   settings: *plain* (its defaults: fp32, random batches) and *tuned* (``bf16=True``,
   ``group_by_length=True``, attention dropout 0 like ours). Tokens/s counts real
   (non-padding) tokens over the steady-state steps (the first ``--warmup`` steps are
   excluded from every side). Runs alternate (ours,
   Trainer plain, Trainer tuned, and again) and the median is reported.
2. **Label-to-active-model latency** (fast refresh, in-process through the Django services on
   a temporary SQLite database): 1,000 items × 2 categories = 2,000 training examples
   (the 400 QA-FEEDBACK items, then copies with a suffix on the question, so each copy is a
   new text); a first version is trained (cold: every feature computed). Then 20 new
   annotations are submitted and the clock runs from the last submit through the refresh
   policy check, snapshot build, records read, feature cache, head fit, evaluation of the
   active version on the held-out split, and registration, to the new version being active.
   Beat's polling interval (10 s) comes on top in production and is not included.
3. **Scoring**: the fast model scoring 400 responses (both categories) in one job's call.

    .venv/bin/python benchmarks/rm_speed.py                 # all three
    .venv/bin/python benchmarks/rm_speed.py --only train --steps 40

No GPU is used here; on a GPU machine the same script runs on CUDA (bf16 where supported).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from benchmarks.rm_quality import DATA, qa_feedback_records  # noqa: E402
from rewards.training.config import (  # noqa: E402
    FGRLHF_CATEGORIES,
    SpanCategory,
    TrainConfig,
    resolve_backbone,
)
from rewards.training.data import Encoder, build_examples, label_space, span_input  # noqa: E402
from rewards.training.heads import load_tokenizer  # noqa: E402
from rewards.training.loop import StepInfo, train  # noqa: E402
from rewards.training.scoring import load_model, score  # noqa: E402

RELEVANCE = FGRLHF_CATEGORIES[0]


def span_config(steps: int, batch: int) -> TrainConfig:
    return TrainConfig(
        kind="span",
        mode="full",
        categories=(RELEVANCE,),
        max_steps=steps,
        per_device_train_batch_size=batch,
        logging_steps=1,
        eval_fraction=0.0,
        save_steps=100_000,
    )


def ours(records: list[Any], steps: int, batch: int, warmup: int) -> float:
    marks: list[tuple[float, int]] = []

    def on_step(info: StepInfo) -> None:
        if info.phase == "train":
            marks.append((time.perf_counter(), info.step))

    with tempfile.TemporaryDirectory() as out:
        config = span_config(steps, batch)
        result = train(config, records, out, on_step)
    times = [t for t, _ in marks]
    counted = result.history[warmup:]
    seconds = times[-1] - times[warmup - 1]
    # Each history entry's window spans exactly one step: tokens = speed x window seconds.
    window = [times[i] - times[i - 1] for i in range(warmup, len(times))]
    tokens = sum(h["tokens_per_second"] * w for h, w in zip(counted, window, strict=True))
    return tokens / seconds


def trainer_baseline(records: list[Any], steps: int, batch: int, warmup: int, tuned: bool) -> float:
    from transformers import (  # noqa: PLC0415  # the baseline's imports stay with it
        BertForTokenClassification,
        DataCollatorForTokenClassification,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    config = span_config(steps, batch)
    backbone = resolve_backbone(config.model_name_or_path)
    tokenizer = load_tokenizer(backbone)
    encoder = Encoder(tokenizer, config)
    examples = build_examples(records, config, encoder, label_space(config, records))
    rows = []
    for e in examples:
        labels = [-100] * len(e.input_ids)
        for position, label in zip(e.targets, e.labels, strict=True):
            labels[position] = int(label[0])
        rows.append(
            {"input_ids": e.input_ids, "attention_mask": [1] * len(e.input_ids), "labels": labels}
        )
    # Tuned also drops attention dropout, as our loop does (``TrainConfig.attention_dropout``).
    extra = {"attention_probs_dropout_prob": 0.0} if tuned else {}
    model = BertForTokenClassification.from_pretrained(
        str(backbone), num_labels=2, local_files_only=True, **extra
    )
    marks: list[float] = []
    seen: list[int] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            marks.append(time.perf_counter())

    class Counting(DataCollatorForTokenClassification):
        def __call__(self, features: list[dict[str, Any]], return_tensors: Any = None) -> Any:
            seen.append(sum(len(f["input_ids"]) for f in features))
            return super().__call__(features, return_tensors)

    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            per_device_train_batch_size=batch,
            max_steps=steps,
            learning_rate=5e-5,
            warmup_steps=max(1, steps // 10),
            weight_decay=0.01,
            logging_steps=10_000,
            save_strategy="no",
            report_to=[],
            use_cpu=not torch.cuda.is_available(),
            bf16=tuned,
            train_sampling_strategy="group_by_length" if tuned else "random",
            dataloader_num_workers=0,
            seed=42,
            disable_tqdm=True,
        )
        Trainer(
            model=model,
            args=args,
            train_dataset=rows,
            callbacks=[Clock()],
            data_collator=Counting(tokenizer),
        ).train()
    # seen[i] is the batch of step i (+ the prefetched next one at the end).
    tokens = sum(seen[warmup : len(marks)])
    return tokens / (marks[-1] - marks[warmup - 1])


def bench_training(args: argparse.Namespace) -> dict[str, Any]:
    records = qa_feedback_records(DATA / "dev_feedback.json")
    runs: dict[str, list[float]] = {"ours": [], "trainer_plain": [], "trainer_tuned": []}
    for repeat in range(args.repeats):
        runs["ours"].append(ours(records, args.steps, args.batch, args.warmup))
        runs["trainer_plain"].append(
            trainer_baseline(records, args.steps, args.batch, args.warmup, tuned=False)
        )
        runs["trainer_tuned"].append(
            trainer_baseline(records, args.steps, args.batch, args.warmup, tuned=True)
        )
        print(
            f"repeat {repeat}: " + ", ".join(f"{k} {v[-1]:.0f} tok/s" for k, v in runs.items()),
            flush=True,
        )
    medians = {k: statistics.median(v) for k, v in runs.items()}
    print("| setting | tokens/s (median) | ours ÷ it |\n| --- | ---: | ---: |")
    for name, value in medians.items():
        print(f"| {name} | {value:.0f} | {medians['ours'] / value:.2f}× |")
    return {"runs": runs, "medians": medians}


# --- label-to-active-model latency ----------------------------------------------------------


def django_setup(folder: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(folder / "media")
    import django  # noqa: PLC0415  # Django only for this part of the benchmark
    from django.core.management import call_command  # noqa: PLC0415

    django.setup()
    call_command("migrate", verbosity=0)


def bench_latency(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="rm-speed-"))
    django_setup(folder)
    # Django is configured only now: these imports need it.
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from annotator.importers.qa_feedback import qa_feedback_error_types  # noqa: PLC0415
    from annotator.models import Item, Response  # noqa: PLC0415
    from annotator.services.annotations import annotation_create  # noqa: PLC0415
    from annotator.services.projects import project_create  # noqa: PLC0415
    from annotator.services.taxonomy import (  # noqa: PLC0415
        taxonomy_draft_create,
        taxonomy_publish,
        taxonomy_set_error_types,
    )
    from rewards.models import RewardModelVersion  # noqa: PLC0415
    from rewards.services.execution import training_run_execute  # noqa: PLC0415
    from rewards.services.runs import reward_model_create, reward_models_refresh  # noqa: PLC0415

    user = get_user_model().objects.create_user("bench", password="x")
    project = project_create(name="rm speed", created_by=user)
    taxonomy = taxonomy_draft_create(project=project)
    taxonomy_set_error_types(taxonomy=taxonomy, error_types=qa_feedback_error_types())
    taxonomy_publish(taxonomy=taxonomy)
    base = qa_feedback_records(DATA / "dev_feedback.json")
    copies = [(r, k) for k in range(3) for r in base][: args.items]

    def add(record: Any, copy: int, author: Any) -> None:
        suffix = "" if copy == 0 else f" (variant {copy})"
        item = Item.objects.create(
            project=project,
            external_id=f"{record['item']['external_id']}-{copy}",
            prompt=record["item"]["prompt"] + suffix,
            context=record["item"]["context"],
        )
        Response.objects.bulk_create(
            [Response(item=item, index=r["index"], text=r["text"]) for r in record["responses"]]
        )
        spans = [
            {k: s[k] for k in ("response", "start", "end", "error_type")}
            for s in record["annotations"][0]["spans"]
        ]
        annotation_create(
            item=item,
            author=author,
            client_id=uuid.uuid4(),
            status="submitted",
            units={"spans": spans},
            metadata={"labelled_responses": [0]},
        )

    started = time.perf_counter()
    for record, copy in copies[: -args.new]:
        add(record, copy, user)
    print(
        f"loaded {len(copies) - args.new} labelled items in {time.perf_counter() - started:.0f}s",
        flush=True,
    )
    model = reward_model_create(
        project=project,
        created_by=user,
        name="spans",
        kind="span",
        mode="fast",
        refresh_every_annotations=args.new,
        hyperparameters={"num_train_epochs": 20, "per_device_train_batch_size": 64},
    )
    model.refresh_every_annotations = 1
    model.save(update_fields=["refresh_every_annotations"])
    t0 = time.perf_counter()
    [run] = reward_models_refresh()
    run = training_run_execute(run_id=run.pk)
    cold = time.perf_counter() - t0
    print(f"cold refresh (every feature computed): {cold:.1f}s, {run.status}", flush=True)
    model.refresh_every_annotations = args.new
    model.save(update_fields=["refresh_every_annotations"])
    for record, copy in copies[-args.new :]:
        add(record, copy, user)  # the new labels; the clock starts at the last submit
    t0 = time.perf_counter()
    [run] = reward_models_refresh()
    run = training_run_execute(run_id=run.pk)
    warm = time.perf_counter() - t0
    version = RewardModelVersion.objects.get(run=run)
    print(
        f"label-to-active (warm cache, {args.new} new items): {warm:.1f}s; v{version.number} "
        f"active={version.is_active} score {version.score:.3f} vs {version.baseline_score}",
        flush=True,
    )
    return {
        "cold_s": cold,
        "warm_s": warm,
        "items": len(copies),
        "examples": 2 * len(copies),
        "activated": version.is_active,
        "artifact": str(Path(os.environ["MEDIA_ROOT"]) / version.artifact_path),
    }


def bench_scoring(artifact: str, count: int) -> dict[str, Any]:
    records = qa_feedback_records(DATA / "dev_feedback.json")[:count]
    inputs = [
        {
            "prompt": r["item"]["prompt"],
            "text": r["responses"][0]["text"],
            "context": r["item"]["context"],
        }
        for r in records
    ]
    loaded = load_model(artifact)
    score(loaded, inputs[:8])  # warm-up
    t0 = time.perf_counter()
    score(loaded, inputs)
    seconds = time.perf_counter() - t0
    tokenizer = loaded.encoder.tokenizer
    response_tokens = sum(
        len(tokenizer(i["text"], add_special_tokens=False)["input_ids"]) for i in inputs
    )
    # What the backbone reads: every category's input (question, response, separators and,
    # for factuality, passages).
    model_tokens = 0
    for group in loaded.space.groups:
        category = SpanCategory(
            group["name"], tuple(group["error_types"]), group["segmentation"], group["use_context"]
        )
        for i in inputs:
            ids, _targets, _segments = span_input(
                loaded.encoder, category, prompt=i["prompt"], text=i["text"], context=i["context"]
            )
            model_tokens += len(ids)
    print(
        f"scoring {len(inputs)} responses ({len(inputs) * len(loaded.space.groups)} model inputs): "
        f"{seconds:.1f}s, {response_tokens / seconds:.0f} response tokens/s, "
        f"{model_tokens / seconds:.0f} model-input tokens/s, {len(inputs) / seconds:.1f} "
        "responses/s",
        flush=True,
    )
    return {
        "seconds": seconds,
        "responses": len(inputs),
        "response_tokens": response_tokens,
        "model_tokens": model_tokens,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["train", "latency", "all"], default="all")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--score-artifact", default="", help="Only score with this model folder.")
    args = parser.parse_args()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"cuda={torch.cuda.is_available()}, cpu bf16="
        f"{torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported()}",
        flush=True,
    )
    if args.score_artifact:
        bench_scoring(args.score_artifact, 400)
        return
    if args.only in ("train", "all"):
        bench_training(args)
    if args.only in ("latency", "all"):
        latency = bench_latency(args)
        bench_scoring(latency["artifact"], 400)


if __name__ == "__main__":
    main()
