"""The Training pages in Chromium: a trained model's versions, a run's curves, the score box,
triage, and the active version's predictions as suggestions in the annotate view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rewards.services.execution import training_run_execute
from rewards.services.runs import reward_model_create, training_run_request
from rewards.services.scoring import reward_model_suggest
from tests.factories import make_project
from tests.rewards.conftest import TINY_HYPERPARAMETERS, label_items

pytestmark = pytest.mark.django_db(transaction=True)


def test_training_pages_show_runs_versions_and_suggestions(
    admin_user: Any,
    annotator_user: Any,
    allow_backbones: Path,
    media_root: Path,
    new_page: Any,
    shoot: Any,
) -> None:
    project = make_project(admin=admin_user, anna="annotator")
    items = label_items(project, annotator_user, count=12)
    model = reward_model_create(
        project=project,
        created_by=admin_user,
        name="spans",
        kind="span",
        backbone=str(allow_backbones),
        hyperparameters={**TINY_HYPERPARAMETERS, "threshold": 0.05},
    )
    run = training_run_execute(run_id=training_run_request(reward_model=model, enqueue=False).pk)
    assert run.status == "succeeded", run.error
    reward_model_suggest(version_id=run.version.pk)

    page = new_page(admin_user)
    page.goto(f"/projects/{project.pk}/training")
    page.click("text=spans")
    # The header's "active v1" comes with the model; the versions table loads on its own.
    page.wait_for_selector("table >> td:text-is('v1')")
    assert page.locator("td >> text=first version").count() == 1
    shoot(page, "training-reward-model")
    page.click(f"text=run {run.pk} >> nth=0")
    page.wait_for_selector("svg[aria-label='Training loss'] polyline")
    page.wait_for_selector("svg[aria-label^='Held-out'] polyline", state="attached")
    assert "registered v1" in page.inner_text("[data-testid=run-log]")
    # How the epoch and thresholds were chosen (here: too few items for a validation part).
    assert run.metrics["selection"]["fallback"]
    assert "No validation part" in page.inner_text("[data-testid=run-selection]")
    shoot(page, "training-run")

    page.goto(f"/projects/{project.pk}/annotate/{items[0].pk}")
    # A low threshold: the tiny model marks segments, which arrive as machine suggestions.
    page.wait_for_selector("[data-testid=suggestions] li")
    assert "reward model: spans" in page.inner_text("[data-testid=suggestions]")
    shoot(page, "training-suggestions", full_page=False)
