from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from annotator.services.annotations import annotation_create
from tests.factories import make_item
from tests.rewards.helpers import SENTENCES, write_tiny_backbone


@pytest.fixture(scope="session")
def tiny_backbone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT (2 layers, hidden 32) and tokenizer on disk; no downloads."""
    return write_tiny_backbone(tmp_path_factory.mktemp("models") / "tiny-bert")


@pytest.fixture
def allow_backbones(monkeypatch: pytest.MonkeyPatch, tiny_backbone: Path) -> Path:
    """Let services accept the tiny backbone's folder (FINEGRAIN_REWARD_BACKBONE_DIRS)."""
    monkeypatch.setenv("FINEGRAIN_REWARD_BACKBONE_DIRS", str(tiny_backbone.parent))
    return tiny_backbone


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def label_items(project: Any, author: Any, count: int = 12, prefix: str = "item") -> list[Any]:
    """``count`` items with three-sentence first responses; ``author`` submits an annotation
    on each: sentences about cats or rain are irrelevant, about paris wrong-grounding."""
    items = []
    for i in range(count):
        chosen = [SENTENCES[(i + k) % len(SENTENCES)] for k in range(3)]
        text = " ".join(chosen) + f" the year was {1990 + i}."
        item = make_item(project, f"{prefix}-{i}", texts=(text, "it was released in may."))
        spans = []
        for sentence in chosen:
            start = text.index(sentence)
            kind = "irrelevant" if re.search(r"cat|rain", sentence) else None
            kind = "wrong-grounding" if "paris" in sentence else kind
            if kind:
                spans.append(
                    {
                        "response": 0,
                        "start": start,
                        "end": start + len(sentence),
                        "error_type": kind,
                    }
                )
        annotation_create(
            item=item,
            author=author,
            client_id=uuid.uuid4(),
            status="submitted",
            units={"spans": spans},
            metadata={"labelled_responses": [0]},
        )
        items.append(item)
    return items


TINY_HYPERPARAMETERS = {
    "num_train_epochs": 3,
    "per_device_train_batch_size": 4,
    "eval_fraction": 0.3,
    "logging_steps": 1,
    "bf16": False,
    "learning_rate": 0.005,
    "num_threads": 1,
}


# The real worker process of the integration tests (tests/rewards/test_worker.py).
# Chromium against a live server (tests/rewards/test_e2e_training.py).
from tests.e2e.conftest import browser, frontend_dist, live, new_page, shoot  # noqa: E402, F401
from tests.integration.conftest import celery_worker  # noqa: E402, F401
