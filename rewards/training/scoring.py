"""Load a registered reward model and score texts, steps or pairs in batches.

A model folder (written by ``loop.train``) holds ``reward_model.json``, ``head.safetensors``
and, for a fully fine-tuned model, ``backbone/`` (safetensors + tokenizer). A fast-refresh
model reuses its base backbone, named in its config. Only safetensors are loaded.

Outputs per input:
- span: every category's segments with ``error_probability``, ``reward`` (-1 error, +1 not,
  as Fine-Grained RLHF assigns them) and the most likely ``error_type``; ``error_spans``
  lists the segments predicted to be errors (code-point offsets into the text). A segment
  is an error above its category's threshold: the one tuned at training
  (``reward_model.json`` ``thresholds``), else ``config.threshold``.
- step: per step ``reward`` = P(+1) - P(-1), the probabilities and the predicted rating.
- rubric: the predicted level of each criterion. preference: a scalar ``reward``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .checkpoint import load_weights, refuse_pickles
from .collate import collator_for, eval_batches
from .config import SpanCategory, TrainConfig, resolve_backbone
from .data import (
    Encoder,
    Example,
    LabelSpace,
    build_examples,
    sequence_input,
    span_extra,
    span_input,
    split_records,
    step_input,
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
from .lexical import SEGMENT_FEATURES
from .metrics import compute_metrics

MODEL_FILE = "reward_model.json"
HEAD_FILE = "head.safetensors"


def extra_width(config: TrainConfig) -> int:
    """Columns of lexical features appended to each segment's backbone features."""
    return len(SEGMENT_FEATURES) if config.effective_segment_features else 0


def runtime(config: TrainConfig) -> tuple[torch.device, torch.dtype | None]:
    """Device and autocast dtype: CUDA when present; bf16 per ``config.bf16`` (None: auto —
    on CUDA with bf16 support, and on CPUs with AMX or AVX512-BF16)."""
    if config.num_threads:
        # Process-wide: a tiny model on a busy 2-core machine is 10x faster on one thread.
        torch.set_num_threads(config.num_threads)
    if torch.cuda.is_available() and not config.use_cpu:
        device = torch.device("cuda")
        supported = torch.cuda.is_bf16_supported()
    else:
        device = torch.device("cpu")
        cpu = torch.cpu
        supported = bool(
            getattr(cpu, "_is_amx_tile_supported", lambda: False)()
            or getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
        )
    use = supported if config.bf16 is None else config.bf16
    return device, (torch.bfloat16 if use else None)


def to_device(batch: Mapping[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


@torch.inference_mode()
def predict(
    model: torch.nn.Module,
    examples: Sequence[Example],
    *,
    kind: str,
    collate: Any,
    device: torch.device,
    autocast_dtype: torch.dtype | None,
    batch_size: int,
) -> list[Any]:
    """Per example: span ``(T, W)`` probabilities; step ``(T, 3)`` probabilities; rubric
    ``(C,)`` scaled scores; preference ``(2,)`` rewards (chosen, rejected)."""
    was_training = model.training
    model.eval()
    out: list[Any] = [None] * len(examples)
    lengths = [e.length for e in examples]
    for indices in eval_batches(lengths, batch_size):
        chunk = [examples[i] for i in indices]
        batch = to_device(collate(chunk), device)
        with torch.autocast(
            device.type, dtype=autocast_dtype or torch.float32, enabled=autocast_dtype is not None
        ):
            logits = model(batch).float()
        if kind == "span":
            values = torch.sigmoid(logits)
        elif kind == "step":
            values = torch.softmax(logits, dim=-1)
        else:
            values = logits
        values = values.cpu()
        for row, (i, example) in enumerate(zip(indices, chunk, strict=True)):
            if kind in TOKEN_KINDS:
                out[i] = values[row, : len(example.targets)]
            elif kind == "preference":
                out[i] = torch.stack([values[row], values[row + len(chunk)]])
            else:
                out[i] = values[row]
    model.train(was_training)
    return out


@dataclass
class LoadedModel:
    model: BackboneRewardModel
    config: TrainConfig
    space: LabelSpace
    encoder: Encoder
    collate: Any
    device: torch.device
    autocast_dtype: torch.dtype | None
    meta: dict[str, Any]
    backbone_dir: Path

    @property
    def thresholds(self) -> dict[str, float]:
        """Per span category: the threshold tuned at training (``tune_threshold``), else
        ``config.threshold``."""
        tuned = self.meta.get("thresholds") or {}
        return {
            g["name"]: float(tuned.get(g["name"], self.config.threshold)) for g in self.space.groups
        }


def load_model(model_dir: str | Path, *, use_cpu: bool = False) -> LoadedModel:
    """A registered model folder → a model ready to score (eval mode, on its device)."""
    folder = Path(model_dir)
    refuse_pickles(folder)
    meta = json.loads((folder / MODEL_FILE).read_text())
    config = TrainConfig.from_dict(meta["config"])
    if use_cpu:
        config = config.replace(use_cpu=True)
    space = LabelSpace.from_dict(meta["label_space"])
    backbone_dir = folder / "backbone"
    if not backbone_dir.exists():
        backbone_dir = resolve_backbone(config.model_name_or_path)
    tokenizer = load_tokenizer(backbone_dir)
    backbone = load_backbone(backbone_dir)
    layers = meta["feature_layers"]
    head = GroupedHead(
        hidden_size(backbone) * layers + meta.get("segment_features", 0),
        space.widths,
        meta["head_hidden_size"],
        config.classifier_dropout,
        meta.get("segment_features", 0),
    )
    head.load_state_dict(load_weights(folder / HEAD_FILE))
    model = BackboneRewardModel(backbone, head, config.kind, layers)
    device, dtype = runtime(config)
    model.to(device).eval()
    width = space.widths[0] if len(space.widths) == 1 else max(space.widths)
    collate = collator_for(config.kind, int(tokenizer.pad_token_id or 0), width)
    return LoadedModel(
        model,
        config,
        space,
        Encoder(tokenizer, config),
        collate,
        device,
        dtype,
        meta,
        backbone_dir,
    )


def _predict(
    loaded: LoadedModel, examples: Sequence[Example], model: torch.nn.Module | None = None
) -> list[Any]:
    """``loaded``'s predictions (or ``model``'s, run with ``loaded``'s settings)."""
    if width := loaded.meta.get("segment_features", 0):
        # A model trained before lexical columns were appended reads its first ``width``.
        for example in examples:
            if example.extra and len(example.extra[0]) > width:
                example.extra = [row[:width] for row in example.extra]
    return predict(
        model if model is not None else loaded.model,
        examples,
        kind=loaded.config.kind,
        collate=loaded.collate,
        device=loaded.device,
        autocast_dtype=loaded.autocast_dtype,
        batch_size=loaded.config.per_device_eval_batch_size,
    )


def evaluate(
    loaded: LoadedModel,
    records: Sequence[Any],
    *,
    held_out_only: bool = True,
    feature_cache_dir: str | Path | None = None,
) -> dict:
    """The model's metrics on ``records`` (by default only their held-out items, split by
    the model's own ``eval_fraction``). A fast-refresh model with ``feature_cache_dir``
    reads the cached backbone features (a refresh has just cached them) instead of running
    the backbone again."""
    if held_out_only:
        records = split_records(records, loaded.config.eval_fraction)[1]
    examples = build_examples(records, loaded.config, loaded.encoder, loaded.space)
    if not examples:
        return {"primary": None, "primary_name": "", "examples": 0}
    if feature_cache_dir and loaded.meta.get("mode") == "fast":
        model = loaded.model
        attach_features(
            examples,
            backbone=model.backbone,
            pad_token_id=int(loaded.encoder.tokenizer.pad_token_id or 0),
            token_kind=loaded.config.kind in TOKEN_KINDS,
            layers=model.layers,
            identity=backbone_identity(loaded.backbone_dir),
            cache_dir=Path(feature_cache_dir),
            device=loaded.device,
            autocast_dtype=loaded.autocast_dtype,
            batch_size=loaded.config.per_device_eval_batch_size,
        )
        outputs = _predict(loaded, examples, FeatureRewardModel(model.head, loaded.config.kind))
    else:
        outputs = _predict(loaded, examples)
    metrics = compute_metrics(
        loaded.config.kind, examples, outputs, loaded.space, loaded.thresholds
    )
    return {**metrics, "examples": len(examples)}


# --- scoring inputs -------------------------------------------------------------------------


def _span_scores(loaded: LoadedModel, inputs: Sequence[Mapping[str, Any]]) -> list[dict]:
    categories = [
        SpanCategory(g["name"], tuple(g["error_types"]), g["segmentation"], g["use_context"])
        for g in loaded.space.groups
    ]
    examples = []
    for entry in inputs:
        for g, category in enumerate(categories):
            ids, targets, segments = span_input(
                loaded.encoder,
                category,
                prompt=entry.get("prompt", ""),
                text=entry["text"],
                context=entry.get("context") or [],
            )
            example = Example(ids, targets, [], g, "", segments)
            if loaded.meta.get("segment_features"):
                example.extra = span_extra(
                    category,
                    prompt=entry.get("prompt", ""),
                    text=entry["text"],
                    segments=segments,
                    context=entry.get("context") or [],
                )
            examples.append(example)
    outputs = _predict(loaded, examples)
    results = []
    thresholds = loaded.thresholds
    for n, entry in enumerate(inputs):
        text = entry["text"]
        result: dict[str, Any] = {"categories": [], "error_spans": []}
        for g, category in enumerate(categories):
            example = examples[n * len(categories) + g]
            probs = outputs[n * len(categories) + g]
            threshold = thresholds[category.name]
            scored: list[dict[str, Any]] = []
            for t, (start, end) in enumerate(example.segments):
                p = float(probs[t][0])
                types = category.error_types
                row = probs[t]
                error_type = (
                    max(range(len(types)), key=lambda k: float(row[k + 1])) if types else None
                )
                segment = {
                    "start": start,
                    "end": end,
                    "text": text[start:end],
                    "error_probability": round(p, 4),
                    "reward": -1 if p > threshold else 1,
                    "error_type": types[error_type] if error_type is not None else None,
                }
                scored.append(segment)
                if p > threshold and segment["error_type"]:
                    result["error_spans"].append(
                        {
                            "start": start,
                            "end": end,
                            "error_type": segment["error_type"],
                            "category": category.name,
                            "confidence": round(p, 4),
                        }
                    )
            result["categories"].append(
                {"name": category.name, "segmentation": category.segmentation, "segments": scored}
            )
        results.append(result)
    return results


def _step_scores(loaded: LoadedModel, inputs: Sequence[Mapping[str, Any]]) -> list[dict]:
    examples = []
    for entry in inputs:
        ids, targets = step_input(
            loaded.encoder, prompt=entry.get("prompt", ""), steps=entry["steps"]
        )
        examples.append(Example(ids, targets))
    outputs = _predict(loaded, examples)
    results = []
    for example, probs in zip(examples, outputs, strict=True):
        steps = []
        for t in range(len(example.targets)):
            bad, neutral, good = (float(x) for x in probs[t])
            predicted = max(((bad, -1), (neutral, 0), (good, 1)))[1]
            steps.append(
                {
                    "index": t,
                    "reward": round(good - bad, 4),
                    "predicted": predicted,
                    "probabilities": {
                        "-1": round(bad, 4),
                        "0": round(neutral, 4),
                        "1": round(good, 4),
                    },
                }
            )
        results.append(
            {"steps": steps, "error_steps": [s["index"] for s in steps if s["predicted"] == -1]}
        )
    return results


def _sequence_scores(loaded: LoadedModel, inputs: Sequence[Mapping[str, Any]]) -> list[dict]:
    texts = [entry.get("text") or "\n".join(entry.get("steps") or []) for entry in inputs]
    examples = [
        Example(sequence_input(loaded.encoder, prompt=e.get("prompt", ""), text=t))
        for e, t in zip(inputs, texts, strict=True)
    ]
    if loaded.config.kind == "preference":
        # Score each response alone: pair it with itself (the collator expects pairs).
        for example in examples:
            example.rejected_ids = example.input_ids
        return [{"reward": round(float(out[0]), 4)} for out in _predict(loaded, examples)]
    outputs = _predict(loaded, examples)
    results = []
    for out in outputs:
        scores = {
            key: round(low + float(out[c]) * (high - low), 3)
            for c, (key, low, high) in enumerate(loaded.space.criteria)
        }
        results.append({"scores": scores})
    return results


def score(loaded: LoadedModel, inputs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Score ``inputs`` (``{"prompt", "text", "context"}`` or ``{"prompt", "steps"}``)."""
    if loaded.config.kind == "span":
        return _span_scores(loaded, inputs)
    if loaded.config.kind == "step":
        return _step_scores(loaded, inputs)
    return _sequence_scores(loaded, inputs)


def count_tokens(loaded: LoadedModel, inputs: Sequence[Mapping[str, Any]]) -> int:
    return sum(
        len(loaded.encoder.ids(e.get("text") or " ".join(e.get("steps") or []))) for e in inputs
    )


def examples_for(loaded: LoadedModel, records: Sequence[Any]) -> list[Example]:
    return build_examples(records, loaded.config, loaded.encoder, loaded.space)
