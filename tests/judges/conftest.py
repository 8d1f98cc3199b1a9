from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from annotator.models import Item, Project, Response
from judges.services.configs import judge_create
from tests.judges.openai_server import FakeOpenAI

TEXT = "Bloom was released in 2019 by Troye Sivan. It sold well."


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI(slow_s=1.5)
    yield server
    server.close()


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    settings.FINEGRAIN_JUDGE_ALLOWED_HOSTS = ["127.0.0.1"]


def case_item(
    project: Project,
    case: str,
    text: str = TEXT,
    *,
    external_id: str | None = None,
    steps: list[str] | None = None,
    second: str | None = None,
) -> Item:
    """An item whose prompt carries ``[[case:NAME]]`` for the fake server."""
    item = Item.objects.create(
        project=project, external_id=external_id or f"case-{case}",
        prompt=f"[[case:{case}]] When was Bloom released?",
    )  # fmt: skip
    rows = [Response(item=item, index=0, text=text)]
    if second is not None:
        rows.append(Response(item=item, index=1, text=second))
    if steps is not None:
        rows.append(Response(item=item, index=len(rows), kind="steps", steps=steps))
    Response.objects.bulk_create(rows)
    return item


def openai_judge(project: Project, url: str, name: str = "gpt", **config: Any) -> Any:
    defaults = {"base_url": url, "model": "judge-test", "max_concurrency": 4, "timeout_s": 5,
                "max_retries": 2, "retry_backoff_s": 0.01}  # fmt: skip
    return judge_create(project=project, name=name, kind="openai", config=defaults | config)


# The tiny random backbone and media folder of the reward-model tests, for reward_model judges.
from tests.rewards.conftest import allow_backbones, media_root, tiny_backbone  # noqa: E402, F401
