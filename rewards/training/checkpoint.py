"""Checkpoints for resume, in safetensors and JSON only: pickles are never written or read.

A checkpoint folder holds ``model.safetensors`` (the trainable weights), the optimizer state
flattened into ``optimizer.safetensors`` + ``optimizer.json``, the RNG states in
``rng.safetensors`` + ``state.json`` (with step, epoch, scheduler state, metric history and
the config). It is written to a temporary folder and renamed into place, so a worker killed
while saving leaves the previous checkpoint intact.

``load_checkpoint`` refuses a folder holding any pickle-format file (``*.bin``, ``*.pt``,
``*.pth``, ``*.pkl``, ``*.ckpt``): loading one can execute code.
"""

from __future__ import annotations

import json
import random
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


class UnsafeCheckpoint(RuntimeError):
    """A checkpoint folder contains pickle-format files."""


@dataclass
class TrainState:
    step: int = 0
    epoch: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)  # logged training steps
    evaluations: list[dict[str, Any]] = field(default_factory=list)  # one per epoch
    tokens: int = 0
    seconds: float = 0.0


def refuse_pickles(folder: Path) -> None:
    found = sorted(p.name for p in folder.rglob("*") if p.suffix.lower() in PICKLE_SUFFIXES)
    if found:
        raise UnsafeCheckpoint(f"{folder} holds pickle-format files ({', '.join(found)}).")


def _optimizer_to_flat(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entry in state["state"].items():
        for name, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _optimizer_from_flat(tensors: dict[str, torch.Tensor], meta: dict) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    for index, values in meta["scalars"].items():
        state.setdefault(int(index), {}).update(values)
    return {"state": state, "param_groups": meta["param_groups"]}


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Weights that training changes (frozen parameters come from the backbone files)."""
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    return {n: t.detach().cpu().contiguous() for n, t in model.state_dict().items() if n in names}


def save_checkpoint(
    folder: Path,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    state: TrainState,
    config: dict[str, Any],
    records_sha256: str,
) -> None:
    tmp = folder.with_name(f".{folder.name}.tmp-{uuid.uuid4().hex}")
    tmp.mkdir(parents=True)
    save_file(trainable_state(model), str(tmp / "model.safetensors"))
    tensors, meta = _optimizer_to_flat(optimizer)
    save_file(tensors, str(tmp / "optimizer.safetensors"))
    (tmp / "optimizer.json").write_text(json.dumps(meta))
    rng = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, value in enumerate(torch.cuda.get_rng_state_all()):
            rng[f"cuda.{i}"] = value
    save_file(rng, str(tmp / "rng.safetensors"))
    payload = {
        "step": state.step,
        "epoch": state.epoch,
        "history": state.history,
        "evaluations": state.evaluations,
        "tokens": state.tokens,
        "seconds": state.seconds,
        "scheduler": scheduler.state_dict(),
        "python_random": _random_state(),
        "config": config,
        "records_sha256": records_sha256,
    }
    (tmp / "state.json").write_text(json.dumps(payload))
    old = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex}")
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def _random_state() -> list[Any]:
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def load_checkpoint(
    folder: Path,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    records_sha256: str,
) -> TrainState | None:
    """Restore a checkpoint into ``model``/``optimizer``/``scheduler`` and the RNGs; None when
    there is none. Raises if it was made from other records (the run changed its input)."""
    if not (folder / "state.json").exists():
        return None
    refuse_pickles(folder)
    payload = json.loads((folder / "state.json").read_text())
    if payload["records_sha256"] != records_sha256:
        raise RuntimeError("The checkpoint was trained on other records; refusing to resume.")
    missing, unexpected = model.load_state_dict(
        load_file(str(folder / "model.safetensors")), strict=False
    )
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    if unexpected or trainable & set(missing):
        raise RuntimeError(f"Checkpoint does not fit the model: {unexpected or missing}")
    meta = json.loads((folder / "optimizer.json").read_text())
    optimizer.load_state_dict(
        _optimizer_from_flat(load_file(str(folder / "optimizer.safetensors")), meta)
    )
    scheduler.load_state_dict(payload["scheduler"])
    rng = load_file(str(folder / "rng.safetensors"))
    torch.set_rng_state(rng["torch"])
    cuda = [rng[k] for k in sorted(k for k in rng if k.startswith("cuda."))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    version, internal, gauss = payload["python_random"]
    random.setstate((version, tuple(internal), gauss))
    return TrainState(
        step=payload["step"],
        epoch=payload["epoch"],
        history=payload["history"],
        evaluations=payload["evaluations"],
        tokens=payload["tokens"],
        seconds=payload["seconds"],
    )


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    """Weights from a ``.safetensors`` file; anything else is refused."""
    if path.suffix != ".safetensors":
        raise UnsafeCheckpoint(f"{path.name}: only safetensors weights are loaded.")
    return load_file(str(path))
