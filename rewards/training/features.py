"""Fast refresh: backbone features computed once and cached on disk by input hash.

With the backbone frozen, the features a head reads (the hidden states at an example's
separators, or its pooled sequence) depend only on the token ids, the backbone and the
number of layers. They are stored in ``<cache>/<key[:2]>/<key>.safetensors`` (bf16), the key
being the sha256 of those three; a refresh after new labels computes features only for the
examples it has not seen, so it costs the new examples' forward passes plus a head fit.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .collate import eval_batches
from .data import Example
from .heads import backbone_features

CACHE_DTYPE = torch.bfloat16


def backbone_identity(path: Path) -> str:
    """Names the weights: the folder and each weights file's size and mtime."""
    parts = [str(path.resolve())]
    for weights in sorted(path.glob("*.safetensors")):
        stat = weights.stat()
        parts.append(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def feature_key(identity: str, layers: int, ids: Sequence[int], targets: Sequence[int]) -> str:
    digest = hashlib.sha256(f"{identity}|{layers}|".encode())
    digest.update(",".join(map(str, ids)).encode())
    digest.update(b"|" + ",".join(map(str, targets)).encode())
    return digest.hexdigest()


def _store(path: Path, tensor: torch.Tensor) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    save_file({"features": tensor.to(CACHE_DTYPE).contiguous()}, str(tmp))
    os.replace(tmp, path)


@torch.inference_mode()
def attach_features(
    examples: Sequence[Example],
    *,
    backbone: torch.nn.Module,
    pad_token_id: int,
    token_kind: bool,
    layers: int,
    identity: str,
    cache_dir: Path,
    device: torch.device,
    autocast_dtype: torch.dtype | None,
    batch_size: int = 32,
) -> dict[str, int]:
    """Set ``example.features`` (and ``rejected_features``) from the cache, computing the
    missing ones. Returns ``{"cached": n, "computed": m}`` counted in sequences."""
    jobs: list[tuple[Example, str, list[int], list[int]]] = []
    for example in examples:
        jobs.append((example, "features", example.input_ids, example.targets))
        if example.rejected_ids is not None:
            jobs.append((example, "rejected_features", example.rejected_ids, []))
    missing = []
    cached = 0
    for job in jobs:
        example, attribute, ids, targets = job
        path = (
            cache_dir
            / (key := feature_key(identity, layers, ids, targets))[:2]
            / f"{key}.safetensors"
        )
        if path.exists():
            setattr(example, attribute, load_file(str(path))["features"])
            cached += 1
        else:
            missing.append((job, path))
    backbone.eval()
    lengths = [len(job[2]) for job, _ in missing]
    for indices in eval_batches(lengths, batch_size):
        chunk = [missing[i] for i in indices]
        rows = [job[2] for job, _ in chunk]
        width = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = torch.as_tensor(row)
            mask[i, : len(row)] = 1
        batch_targets = [job[3] for job, _ in chunk]
        t_width = max((len(t) for t in batch_targets), default=0) or 1
        target_ids = torch.zeros((len(rows), t_width), dtype=torch.long)
        for i, t in enumerate(batch_targets):
            target_ids[i, : len(t)] = torch.as_tensor(t, dtype=torch.long)
        batch = {
            "input_ids": input_ids.to(device),
            "attention_mask": mask.to(device),
            "targets": target_ids.to(device),
        }
        with torch.autocast(
            device.type, dtype=autocast_dtype or torch.float32, enabled=autocast_dtype is not None
        ):
            features = backbone_features(backbone, batch, layers, token_kind and t_width > 0)
        features = features.float().cpu()  # (batch, T, F) or (batch, F)
        for i, ((example, attribute, _ids, t), path) in enumerate(chunk):
            value = features[i, : len(t)] if token_kind and t else features[i]
            if token_kind and not t:
                value = features[i, :0]
            value = value.to(CACHE_DTYPE)
            _store(path, value)
            setattr(example, attribute, value)
    return {"cached": cached, "computed": len(missing)}
