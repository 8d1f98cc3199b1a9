"""The one training loop: ``train(config, records, output_dir, on_step) -> TrainResult``.

Lifecycle: setup → resume → loop → save.

- **setup**: seeds; writes ``records.jsonl`` (the exact records, STYLE rule 8) and its sha256;
  splits items into train / held-out (``data.is_held_out``); builds examples; carves the
  validation part out of the training examples when selection is on
  (``data.split_validation``); loads the backbone (safetensors, offline) and the heads. Fast
  mode freezes the backbone, attaches cached features (``features.py``) and trains the head
  alone; full mode fine-tunes all.
- **resume**: ``output_dir/checkpoint`` (if any) restores weights, optimizer, scheduler, step,
  metric history and RNG states; the epoch's batch order is regenerated from the seed and
  the batches already done are skipped, so a resumed run sees the batches an uninterrupted
  one would have.
- **loop**: length-grouped batches, dynamic padding, bf16 autocast where supported, gradient
  accumulation and clipping, linear warmup/decay; ``on_step(StepInfo)`` every
  ``logging_steps`` steps and after each epoch's held-out evaluation (the worker heartbeats
  there); a checkpoint every ``save_steps`` steps and at each epoch end. An exception
  (e.g. Celery's soft time limit) checkpoints, then propagates.
- **save**: ``output_dir/model/`` with ``reward_model.json``, ``head.safetensors`` and, in full
  mode, ``backbone/`` (``save_pretrained``: safetensors + tokenizer).

Selection (``TrainConfig.uses_validation``; on by default for span models in fast mode):
with ``load_best_model_at_end`` the weights saved are those of the epoch with the lowest
loss on the validation part (``output_dir/best.safetensors``); with ``tune_threshold`` (span)
each category's threshold is the one that maximises error F1 on the validation part, stored
as ``thresholds``. The validation items never train, and the held-out items never select:
the final held-out metrics (which decide activation) are measured at the chosen epoch and
thresholds on items neither training nor selection saw. Without a validation part (fewer
than ``validation_min_items`` validation items) every training item trains, the threshold
stays ``config.threshold`` and the last epoch is kept; ``metrics["selection"]`` and the
setup message say which happened.

Span models with ``segment_features`` also read lexical features per segment
(``lexical.py``) through a wide linear layer, started at their logistic regression
(``init_wide``).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from core.records import SnapshotRecord

from .checkpoint import TrainState, load_checkpoint, load_weights, save_checkpoint, trainable_state
from .collate import collator_for, eval_batches, length_grouped_batches
from .config import TrainConfig, resolve_backbone
from .data import (
    Encoder,
    Example,
    LabelSpace,
    ValidationSplit,
    build_examples,
    label_space,
    split_records,
    split_validation,
)
from .features import attach_features, backbone_identity
from .heads import (
    TOKEN_KINDS,
    BackboneRewardModel,
    FeatureRewardModel,
    GroupedHead,
    hidden_size,
    load_backbone,
    load_tokenizer,
)
from .losses import compute_loss, span_loss
from .metrics import compute_metrics, tune_thresholds
from .scoring import HEAD_FILE, MODEL_FILE, extra_width, predict, runtime, to_device

RECORDS_FILE = "records.jsonl"
BEST_FILE = "best.safetensors"  # load_best_model_at_end: the trainable weights of the best epoch


@dataclass
class StepInfo:
    """What ``on_step`` receives. ``phase``: "setup", "train" or "eval"."""

    phase: str
    step: int
    total_steps: int
    epoch: float
    loss: float | None = None
    learning_rate: float = 0.0
    tokens_per_second: float = 0.0
    metrics: dict[str, Any] | None = None
    message: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)  # every logged step so far
    evaluations: list[dict[str, Any]] = field(default_factory=list)  # one per epoch so far


@dataclass
class TrainResult:
    model_dir: Path
    step: int
    total_steps: int
    eval_metrics: dict[str, Any]
    history: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]
    records_sha256: str
    resumed_from_step: int
    train_examples: int
    eval_examples: int
    tokens: int
    seconds: float
    feature_stats: dict[str, int] = field(default_factory=dict)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


@dataclass
class _Setup:
    config: TrainConfig
    model: torch.nn.Module
    head: GroupedHead
    backbone: Any
    tokenizer: Any
    space: LabelSpace
    train: list[Example]
    held_out: list[Example]
    collate: Any
    device: torch.device
    autocast_dtype: torch.dtype | None
    optimizer: torch.optim.Optimizer
    scheduler: Any
    steps_per_epoch: int
    total_steps: int
    records_sha256: str
    layers: int
    feature_stats: dict[str, int]
    validation: list[Example] = field(default_factory=list)  # selection only; never trains
    selection: dict[str, Any] = field(default_factory=dict)  # how the epoch/thresholds were set


OnStep = Callable[[StepInfo], None]


def write_records(records: Sequence[SnapshotRecord], folder: Path) -> str:
    """Write ``records.jsonl`` (or check the one a resumed run wrote) and return its sha256."""
    lines = [
        json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in records
    ]
    digest = hashlib.sha256(b"".join(lines)).hexdigest()
    path = folder / RECORDS_FILE
    if path.exists():
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise RuntimeError(f"{path} holds other records; use a new output folder.")
        return digest
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_bytes(b"".join(lines))
    tmp.rename(path)
    (folder / "records.sha256").write_text(f"{digest}  {RECORDS_FILE}\n")
    return digest


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def _optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW; no weight decay on biases and LayerNorm weights (as transformers' Trainer)."""
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if param.ndim < 2 or "LayerNorm" in name else decay).append(param)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=config.effective_learning_rate)


def init_wide(
    head: GroupedHead, examples: Sequence[Example], pos_weight: float, l2: float = 1e-3
) -> None:
    """Start each group's wide layer (``GroupedHead(wide=…)``) at the logistic regression of
    its labels on the examples' hand-made features (L-BFGS on the span loss, plus ``l2``
    times the squared weights), so the head starts where those features alone get and its
    deep part learns what they miss. A few hundred steps of AdamW at a head's learning
    rate would leave those weights near their initial values."""
    for g, layer in enumerate(getattr(head, "wide", ())):
        rows = [
            (x, y)
            for e in examples
            if e.group == g and e.extra
            for x, y in zip(e.extra, e.labels, strict=True)
        ]
        if rows:
            _fit_logistic(layer, [x for x, _ in rows], [y for _, y in rows], pos_weight, l2)


def _fit_logistic(
    layer: torch.nn.Linear, x: list[Any], y: list[Any], pos_weight: float, l2: float
) -> None:
    features = torch.tensor(x, dtype=torch.float)[None]
    labels = torch.tensor(y, dtype=torch.float)[None]
    optimizer = torch.optim.LBFGS(layer.parameters(), max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = span_loss(layer(features), labels, pos_weight) + l2 * layer.weight.square().sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)


def _scheduler(optimizer: torch.optim.Optimizer, total: int, warmup_ratio: float) -> Any:
    warmup = math.ceil(total * warmup_ratio)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def setup(
    config: TrainConfig, records: Sequence[SnapshotRecord], output_dir: Path, on_step: OnStep
) -> _Setup:
    seed_everything(config.seed)
    output_dir.mkdir(parents=True, exist_ok=True)
    sha = write_records(records, output_dir)
    backbone_dir = resolve_backbone(config.model_name_or_path)
    tokenizer = load_tokenizer(backbone_dir)
    encoder = Encoder(tokenizer, config)
    train_records, held_out_records = split_records(records, config.eval_fraction)
    space = label_space(config, train_records)
    train = build_examples(train_records, config, encoder, space)
    held_out = build_examples(held_out_records, config, encoder, space)
    if not train:
        raise ValueError("No training examples: the records have no labels of this kind.")
    part = ValidationSplit(train, [], len({e.item_key for e in train}))
    if config.uses_validation:
        part = split_validation(train, config.validation_fraction, config.validation_min_items)
    train, validation = part.train, part.validation
    selection = selection_plan(config, part)
    if selection:
        on_step(StepInfo("setup", 0, 0, 0.0, message=selection_message(selection)))
    device, dtype = runtime(config)
    backbone = load_backbone(backbone_dir, attention_dropout=config.attention_dropout)
    # At most every hidden state the backbone has (its layers plus the embeddings).
    layers = min(config.effective_feature_layers, int(backbone.config.num_hidden_layers) + 1)
    head = GroupedHead(
        hidden_size(backbone) * layers + extra_width(config),
        space.widths,
        config.effective_head_hidden_size,
        config.classifier_dropout,
        extra_width(config),
    )
    init_wide(head, train, config.error_pos_weight)
    stats: dict[str, int] = {}
    if config.mode == "fast":
        backbone.to(device)
        on_step(StepInfo("setup", 0, 0, 0.0, message="computing backbone features"))
        cache = Path(config.feature_cache_dir or output_dir / "features")
        stats = attach_features(
            [*train, *validation, *held_out],
            backbone=backbone,
            pad_token_id=int(tokenizer.pad_token_id or 0),
            token_kind=config.kind in TOKEN_KINDS,
            layers=layers,
            identity=backbone_identity(backbone_dir),
            cache_dir=cache,
            device=device,
            autocast_dtype=dtype,
            batch_size=config.per_device_eval_batch_size,
        )
        model: torch.nn.Module = FeatureRewardModel(head, config.kind)
    else:
        model = BackboneRewardModel(backbone, head, config.kind, layers)
    model.to(device).train()
    batches = math.ceil(len(train) / config.per_device_train_batch_size)
    steps_per_epoch = max(1, math.ceil(batches / config.gradient_accumulation_steps))
    total = config.max_steps if config.max_steps > 0 else steps_per_epoch * config.num_train_epochs
    optimizer = _optimizer(model, config)
    scheduler = _scheduler(optimizer, total, config.warmup_ratio)
    width = max(space.widths)
    collate = collator_for(config.kind, int(tokenizer.pad_token_id or 0), width)
    return _Setup(
        config,
        model,
        head,
        backbone,
        tokenizer,
        space,
        train,
        held_out,
        collate,
        device,
        dtype,
        optimizer,
        scheduler,
        steps_per_epoch,
        total,
        sha,
        layers,
        stats,
        validation,
        selection,
    )


def selection_plan(config: TrainConfig, part: ValidationSplit) -> dict[str, Any]:
    """What selects the epoch and the thresholds, for ``metrics["selection"]`` ({} when
    neither option is on). ``epoch``: "best" or "last"; ``threshold``: "tuned", "fixed" or
    "none" (not a span model)."""
    if not config.uses_validation:
        return {}
    validating = bool(part.validation)
    tuned = config.effective_tune_threshold and validating
    return {
        "training_items": part.items,
        "validation_items": part.validation_items,
        "validation_examples": len(part.validation),
        "epoch": "best" if config.effective_load_best_model_at_end and validating else "last",
        "threshold": ("tuned" if tuned else "fixed") if config.kind == "span" else "none",
        "fallback": part.fallback,
    }


def selection_message(selection: dict[str, Any]) -> str:
    """One log line: the validation part, or why there is none."""
    if selection["fallback"]:
        threshold = " threshold fixed," if selection["threshold"] != "none" else ""
        return (
            f"no validation part ({selection['fallback']}): every training item trains,"
            f"{threshold} last epoch kept"
        )
    return (
        f"validation: {selection['validation_items']} of {selection['training_items']} training "
        f"items ({selection['validation_examples']} examples) pick the epoch "
        f"({selection['epoch']}) and threshold ({selection['threshold']}); they do not train"
    )


def batch_loss(s: _Setup, chunk: Sequence[Example]) -> torch.Tensor:
    """The training loss of ``chunk`` (collated, on the run's device, under its autocast)."""
    batch = to_device(s.collate(chunk), s.device)
    with torch.autocast(
        s.device.type, dtype=s.autocast_dtype or torch.float32, enabled=s.autocast_dtype is not None
    ):
        logits = s.model(batch)
    return compute_loss(
        s.config.kind,
        logits,
        batch,
        pos_weight=s.config.error_pos_weight,
        center_rewards_coefficient=s.config.center_rewards_coefficient,
    )


@torch.inference_mode()
def examples_loss(s: _Setup, examples: Sequence[Example]) -> float:
    """The training loss on ``examples``, averaged over examples (dropout off)."""
    was_training = s.model.training
    s.model.eval()
    total = 0.0
    for indices in eval_batches([e.length for e in examples], s.config.per_device_eval_batch_size):
        total += float(batch_loss(s, [examples[i] for i in indices])) * len(indices)
    s.model.train(was_training)
    return total / len(examples)


def _keep_if_best(s: _Setup, state: TrainState, loss: float | None, best: Path) -> None:
    """``load_best_model_at_end``: write the trainable weights to ``best`` when this epoch's
    validation loss is the lowest so far (earlier epochs' losses are in ``state.evaluations``,
    so a resumed run keeps comparing against them)."""
    if loss is None:
        return
    losses = [e["validation_loss"] for e in state.evaluations if "validation_loss" in e]
    if losses and min(losses) <= loss:
        return
    tmp = best.with_name(f".{best.name}.{uuid.uuid4().hex}")
    save_file({k: v.contiguous() for k, v in trainable_state(s.model).items()}, str(tmp))
    tmp.rename(best)


def _predict(s: _Setup, examples: Sequence[Example]) -> list[Any]:
    return predict(
        s.model,
        examples,
        kind=s.config.kind,
        collate=s.collate,
        device=s.device,
        autocast_dtype=s.autocast_dtype,
        batch_size=s.config.per_device_eval_batch_size,
    )


def evaluate_held_out(s: _Setup, thresholds: dict[str, float] | None = None) -> dict[str, Any]:
    """Held-out metrics at ``thresholds`` (span: per category name) or ``config.threshold``.
    The held-out items never choose anything: selection uses the validation part only."""
    if not s.held_out:
        return {"primary": None, "primary_name": "", "examples": 0}
    outputs = _predict(s, s.held_out)
    threshold = thresholds if thresholds else s.config.threshold
    metrics = compute_metrics(s.config.kind, s.held_out, outputs, s.space, threshold)
    return {**metrics, "examples": len(s.held_out)}


def evaluate_epoch(s: _Setup) -> dict[str, Any]:
    """An epoch's evaluation: held-out metrics at ``config.threshold`` (the progress users
    see) and, with ``load_best_model_at_end`` and a validation part, ``validation_loss``."""
    metrics = evaluate_held_out(s)
    if s.selection.get("epoch") == "best":
        metrics["validation_loss"] = examples_loss(s, s.validation)
    return metrics


def tuned_thresholds(s: _Setup) -> tuple[dict[str, float], list[str]]:
    """Per span category, the threshold maximising error F1 on the validation part, and the
    categories actually tuned (a category without a validation error keeps
    ``config.threshold``)."""
    outputs = _predict(s, s.validation)
    thresholds = tune_thresholds(s.validation, outputs, s.space, s.config.threshold)
    tuned = [
        group["name"]
        for g, group in enumerate(s.space.groups)
        if any(e.group == g and any(row[0] >= 0.5 for row in e.labels) for e in s.validation)
    ]
    return thresholds, tuned


def _checkpoint(s: _Setup, state: TrainState, folder: Path) -> None:
    save_checkpoint(
        folder,
        model=s.model,
        optimizer=s.optimizer,
        scheduler=s.scheduler,
        state=state,
        config=s.config.to_dict(),
        records_sha256=s.records_sha256,
    )


def _run_epochs(s: _Setup, state: TrainState, folder: Path, on_step: OnStep) -> None:
    config = s.config
    accum = config.gradient_accumulation_steps
    lengths = [e.length for e in s.train]
    window_tokens, window_start = 0, time.perf_counter()
    epochs = math.ceil(s.total_steps / s.steps_per_epoch)
    while state.epoch < epochs and state.step < s.total_steps:
        epoch = state.epoch
        batches = length_grouped_batches(
            lengths,
            config.per_device_train_batch_size,
            config.seed + epoch,
            group_by_length=config.group_by_length,
        )
        first = (state.step - epoch * s.steps_per_epoch) * accum
        s.optimizer.zero_grad(set_to_none=True)
        losses: list[float] = []
        for b in range(first, len(batches)):
            chunk = [s.train[i] for i in batches[b]]
            loss = batch_loss(s, chunk)
            (loss / accum).backward()
            losses.append(float(loss.detach()))
            tokens = sum(e.length for e in chunk)
            window_tokens += tokens
            state.tokens += tokens
            if (b + 1) % accum and b + 1 < len(batches):
                continue
            torch.nn.utils.clip_grad_norm_(s.model.parameters(), config.max_grad_norm)
            s.optimizer.step()
            s.scheduler.step()
            s.optimizer.zero_grad(set_to_none=True)
            state.step += 1
            if state.step % config.logging_steps == 0 or state.step == s.total_steps:
                now = time.perf_counter()
                speed = window_tokens / max(now - window_start, 1e-9)
                entry = {
                    "step": state.step,
                    "epoch": round(state.step / s.steps_per_epoch, 4),
                    "loss": sum(losses) / len(losses),
                    "learning_rate": s.scheduler.get_last_lr()[0],
                    "tokens_per_second": round(speed, 1),
                }
                state.history.append(entry)
                losses = []
                window_tokens, window_start = 0, now
                on_step(
                    StepInfo(
                        "train",
                        state.step,
                        s.total_steps,
                        entry["epoch"],
                        entry["loss"],
                        entry["learning_rate"],
                        speed,
                        history=state.history,
                        evaluations=state.evaluations,
                    )
                )
            if state.step % config.save_steps == 0:
                _checkpoint(s, state, folder)
            if state.step >= s.total_steps:
                break
        metrics = evaluate_epoch(s)
        _keep_if_best(s, state, metrics.get("validation_loss"), folder.parent / BEST_FILE)
        state.evaluations.append({"epoch": epoch + 1, "step": state.step, **metrics})
        state.epoch = epoch + 1
        _checkpoint(s, state, folder)
        on_step(
            StepInfo(
                "eval",
                state.step,
                s.total_steps,
                float(state.epoch),
                metrics=metrics,
                history=state.history,
                evaluations=state.evaluations,
            )
        )


def select(s: _Setup, state: TrainState, best: Path) -> dict[str, Any]:
    """The final metrics: at the best epoch's weights (loaded from ``best``) and the tuned
    thresholds when the validation part chose them, else the last epoch's evaluation. The
    held-out metrics are measured after the choice, on items the choice never saw."""
    selection = dict(s.selection)
    if not selection or selection["fallback"]:
        final = state.evaluations[-1] if state.evaluations else evaluate_held_out(s)
        return {**final, "selection": selection} if selection else final
    extra: dict[str, Any] = {}
    if selection["epoch"] == "best":
        losses = [
            (e["validation_loss"], e["epoch"]) for e in state.evaluations if "validation_loss" in e
        ]
        loss, epoch = min(losses) if losses else (None, None)
        if best.exists():
            s.model.load_state_dict(load_weights(best), strict=False)
        selection.update(best_epoch=epoch, validation_loss=loss)
        extra["best_epoch"] = epoch
    thresholds: dict[str, float] = {}
    if selection["threshold"] == "tuned":
        thresholds, selection["tuned_categories"] = tuned_thresholds(s)
        extra["thresholds"] = thresholds
    return {**evaluate_held_out(s, thresholds), **extra, "selection": selection}


def save_model(s: _Setup, folder: Path, metrics: dict[str, Any]) -> Path:
    tmp = folder.with_name(f".{folder.name}.tmp-{uuid.uuid4().hex}")
    tmp.mkdir(parents=True)
    save_file(
        {k: v.detach().cpu().contiguous() for k, v in s.head.state_dict().items()},
        str(tmp / HEAD_FILE),
    )
    if s.config.mode == "full":
        s.backbone.save_pretrained(str(tmp / "backbone"))
        s.tokenizer.save_pretrained(str(tmp / "backbone"))
    meta = {
        "format": 1,
        "kind": s.config.kind,
        "mode": s.config.mode,
        "config": s.config.to_dict(),
        "label_space": s.space.to_dict(),
        "feature_layers": s.layers,
        "head_hidden_size": s.config.effective_head_hidden_size,
        "segment_features": extra_width(s.config),
        "thresholds": metrics.get("thresholds") or {},
        "metrics": metrics,
        "records_sha256": s.records_sha256,
    }
    (tmp / MODEL_FILE).write_text(json.dumps(meta, indent=2))
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder


def train(
    config: TrainConfig,
    records: Sequence[SnapshotRecord],
    output_dir: str | Path,
    on_step: OnStep | None = None,
) -> TrainResult:
    """Train a reward model of ``config.kind`` on ``records``; resume if ``output_dir`` holds
    a checkpoint of the same records. Returns where the model is and its held-out metrics.

    ``on_step`` is called from the training thread; an exception it raises stops training
    (after a checkpoint).
    """
    out = Path(output_dir)
    callback: OnStep = on_step or (lambda info: None)
    started = time.perf_counter()
    s = setup(config, records, out, callback)
    folder = out / "checkpoint"
    state = (
        load_checkpoint(
            folder,
            model=s.model,
            optimizer=s.optimizer,
            scheduler=s.scheduler,
            records_sha256=s.records_sha256,
        )
        or TrainState()
    )
    resumed_from = state.step
    if resumed_from:
        callback(
            StepInfo(
                "setup",
                state.step,
                s.total_steps,
                state.step / s.steps_per_epoch,
                message=f"resumed from the checkpoint at step {state.step}",
                history=state.history,
                evaluations=state.evaluations,
            )
        )
    seconds_before = state.seconds
    threads = torch.get_num_threads()
    if config.mode == "fast" and not config.num_threads:
        # A head over cached features is small work: on a shared 2-core machine one thread
        # fits it 2-4x faster than two contending ones (measured; benchmarks/README.md).
        torch.set_num_threads(1)
    try:
        _run_epochs(s, state, folder, callback)
    except BaseException:
        # Clean up and re-raise: keep the progress made since the last checkpoint.
        state.seconds = seconds_before + time.perf_counter() - started
        _checkpoint(s, state, folder)
        raise
    finally:
        torch.set_num_threads(threads)
    state.seconds = seconds_before + time.perf_counter() - started
    final = select(s, state, out / BEST_FILE)
    metrics = {k: v for k, v in final.items() if k not in ("epoch", "step", "validation_loss")}
    model_dir = save_model(s, out / "model", metrics)
    return TrainResult(
        model_dir=model_dir,
        step=state.step,
        total_steps=s.total_steps,
        eval_metrics=metrics,
        history=state.history,
        evaluations=state.evaluations,
        records_sha256=s.records_sha256,
        resumed_from_step=resumed_from,
        train_examples=len(s.train),
        eval_examples=len(s.held_out),
        tokens=state.tokens,
        seconds=state.seconds,
        feature_stats=s.feature_stats,
    )
