from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.rewards.helpers import write_tiny_backbone


@pytest.fixture(scope="session")
def tiny_backbone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT (2 layers, hidden 32) and tokenizer on disk; no downloads."""
    return write_tiny_backbone(tmp_path_factory.mktemp("models") / "tiny-bert")


@pytest.fixture
def allow_backbones(monkeypatch: pytest.MonkeyPatch, tiny_backbone: Path) -> Any:
    """Let services accept the tiny backbone's folder (FINEGRAIN_REWARD_BACKBONE_DIRS)."""
    monkeypatch.setenv("FINEGRAIN_REWARD_BACKBONE_DIRS", str(tiny_backbone.parent))
    return tiny_backbone
