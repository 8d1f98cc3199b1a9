"""The Judges pages: configure a rules judge, run it, follow the run, calibrate it against a
person; field errors from the API; read-only for annotators; untrusted text stays inert."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from annotator.models import Item, Judge, Response
from annotator.services.annotations import annotation_create
from judges.models import JudgeResult, JudgeRun
from judges.services.calibration import judge_calibration_compute
from judges.services.configs import judge_create
from judges.services.execution import judge_run_execute
from tests.e2e.helpers import fresh
from tests.factories import make_item, make_project

pytestmark = pytest.mark.django_db(transaction=True)
XSS = "<img src=x onerror=window.__xss=1><script>window.__xss=2</script>"
NO_XSS = "() => document.querySelectorAll('img[src=x], main script').length === 0 && !window.__xss"


@pytest.fixture
def judged_project(admin_user: Any, annotator_user: Any) -> Any:
    """Items q1, q2, q3 (two text responses each), an item with one text response whose
    external id is an XSS payload, and q4; a person labelled q1's first response."""
    project = make_project(admin=admin_user, anna="annotator")
    items = [make_item(project, f"q{i}") for i in (1, 2, 3)]
    lone = Item.objects.create(project=project, external_id=XSS, prompt="One answer only")
    Response.objects.create(item=lone, index=0, text="Released in 2018.")
    make_item(project, "q4")
    annotation_create(
        item=items[0],
        author=annotator_user,
        client_id=uuid.uuid4(),
        status="submitted",
        units={
            "spans": [
                {"response": 0, "start": 10, "end": 18, "error_type": "irrelevant"},  # released
                {"response": 0, "start": 22, "end": 26, "error_type": "wrong-grounding"},  # 2018
            ]
        },
        time_spent_ms=10_000,
    )
    return project


def test_admin_configures_runs_and_calibrates_a_rules_judge(
    judged_project: Any, admin_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    project = judged_project
    page = new_page(admin_user)
    page.goto(f"/projects/{project.pk}")
    page.click("nav >> text=Judges")
    page.wait_for_selector("[data-testid=judge-list] >> text=No judges yet.")
    page.click("button:has-text('New judge')")
    page.fill("[aria-label=Name]", "house rules")

    # An API key pasted where the variable's name goes is refused before anything is sent.
    page.select_option("[aria-label=Kind]", "openai")
    page.fill("[aria-label='Base URL']", "https://llm.example/v1")
    page.fill("[aria-label=Model]", "judge-1")
    page.fill("[aria-label='API key variable']", "sk-live-1234")
    page.click("button:has-text('Create judge')")
    page.wait_for_selector("[id='err-config.api_key_env']:has-text('never the key itself')")
    shoot(page, "judge-form-openai")
    fresh()
    assert not Judge.objects.filter(project=project).exists()
    page.select_option("[aria-label=Kind]", "rules")

    # A pattern Python cannot compile: the API's error stands next to the pattern.
    page.select_option("[aria-label='Match of rule 1']", "pattern")
    page.fill("[aria-label='Pattern of rule 1']", "(released")
    page.click("button:has-text('+ Rule')")
    page.select_option("[aria-label='Error type of rule 2']", "wrong-grounding")
    page.fill("[aria-label='Words of rule 2']", "sold well")
    page.click("button:has-text('Create judge')")
    error = page.wait_for_selector("[id='err-config.rules[0].pattern']")
    assert error.inner_text().startswith("Not a valid regular expression")
    assert page.get_attribute("[aria-label='Pattern of rule 1']", "aria-invalid") == "true"
    shoot(page, "judge-form-error")

    page.select_option("[aria-label='Match of rule 1']", "words")
    page.fill("[aria-label='Words of rule 1']", "released")
    page.click("button:has-text('Create judge')")
    page.wait_for_selector("[data-testid=judge] h1:has-text('house rules')")
    assert "sold well" in page.inner_text("table[aria-label=Rules]")

    # Edit: the stored rules come back into the table; the config is replaced whole.
    page.click("text=Edit configuration")
    assert page.input_value("[aria-label='Words of rule 1']") == "released"
    page.fill("[aria-label='Comment of rule 2']", "not asked")
    page.click("button:has-text('Save judge')")
    page.wait_for_selector("table[aria-label=Rules] td:has-text('not asked')")
    fresh()
    rules = Judge.objects.get(name="house rules").configuration.settings["rules"]
    assert [(r["error_type"], r["words"], r["comment"]) for r in rules] == [
        ("irrelevant", ["released"], ""),
        ("wrong-grounding", ["sold well"], "not asked"),
    ]

    # A spans run over the first four items, both text responses: the lone-answer item fails.
    page.select_option("[aria-label=Task]", "spans")
    page.fill("[aria-label='First n items']", "4")
    page.fill("[aria-label=Responses]", "0, 1")
    shoot(page, "judge-detail")
    page.click("button:has-text('Start run')")
    page.wait_for_selector("[data-testid=judge-run] .badge:text-is('queued')")
    fresh()
    run = JudgeRun.objects.get(judge__name="house rules")
    assert (run.task, run.filters, run.options) == ("spans", {"limit": 4}, {"responses": [0, 1]})
    run = judge_run_execute(run_id=run.pk)
    assert (run.status, run.succeeded_count, run.failed_count) == ("succeeded", 3, 1)

    page.wait_for_selector("[data-testid=judge-run] .badge:text-is('succeeded')")
    assert "4 / 4" in page.inner_text("[data-testid=run-counts]")
    page.wait_for_selector("[data-testid=run-failures] td")
    failure = page.inner_text("[data-testid=run-failures] tbody tr")
    assert XSS in failure
    assert "no text response 1" in failure
    assert page.evaluate(NO_XSS)
    shoot(page, "judge-run")

    # Calibration: nothing until computed; then a row per error type and one for all types.
    page.click("text=Compare it with the humans")
    page.wait_for_selector("[data-testid=calibration-empty]")
    page.click("button:has-text('Compute now')")
    page.wait_for_selector("[data-testid=calibration-spans] table")
    rows = page.locator("[data-testid=calibration-spans] tbody tr").all_inner_texts()
    cells = {r.split("\t")[0]: r.split("\t")[1:] for r in rows}
    assert cells["Irrelevant"][:3] == ["1.00", "1.00", "1.00"]
    assert cells["Wrong-Grounding"][2] == "0.00"
    assert cells["all types"][3:] == ["17", "12", "8"]  # judge, human, overlap characters
    assert page.inner_text(".q-metric:has-text('Items compared') .q-metric-value") == "1"
    assert "No steps compared" in page.inner_text("[data-testid=calibration-steps]")
    shoot(page, "judge-calibration")

    page.click("nav >> text=Judges")
    page.wait_for_selector(f"[data-testid=judge-list] td:has-text('run {run.pk}')")
    assert "succeeded" in page.inner_text("[data-testid=judge-list] tbody tr")
    shoot(page, "judges")


def test_judge_pages_are_read_only_for_annotators(
    judged_project: Any, annotator_user: Any, live: Any, new_page: Any
) -> None:
    judge = judge_create(
        project=judged_project, name="r", kind="rules",
        config={"rules": [{"error_type": "irrelevant", "words": ["released"]}]},
    )  # fmt: skip
    page = new_page(annotator_user)
    page.goto(f"/projects/{judged_project.pk}/judges")
    page.wait_for_selector("[data-testid=judge-list] td:has-text('never run')")
    assert page.locator("button:has-text('New judge')").count() == 0
    page.click("[data-testid=judge-list] a:text-is('r')")
    page.wait_for_selector("[data-testid=judge] table[aria-label=Rules]")
    assert page.locator("text=Edit configuration").count() == 0
    assert page.locator("form[aria-label='Start a run']").count() == 0
    page.goto(f"/projects/{judged_project.pk}/judges/{judge.pk}/calibration")
    page.wait_for_selector("[data-testid=calibration-empty]")
    assert page.locator("button:has-text('Compute now')").count() == 0


def test_untrusted_judge_text_stays_inert(
    judged_project: Any, admin_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    judge = judge_create(
        project=judged_project, name=XSS, kind="rules",
        config={"rules": [{"error_type": "irrelevant", "words": [XSS], "comment": XSS}]},
    )  # fmt: skip
    item = judged_project.items.get(external_id="q2")
    run = JudgeRun.objects.create(
        project=judged_project, judge=judge, task="spans", status="failed", error=XSS,
        prompt_version=XSS[:100], total=1, processed=1, failed_count=1,
    )  # fmt: skip
    JudgeResult.objects.create(
        run=run, item=item, status="failed", reason=XSS, outputs=[XSS],
        unplaced=[{"response": 0, "quote": XSS, "reason": XSS}],
    )  # fmt: skip
    calibration = judge_calibration_compute(judge=judge)
    calibration.report["spans"]["by_error_type"] = [
        {"error_type": XSS, "precision": 0.5, "recall": None, "f1": None,
         "judge_chars": 1, "human_chars": 0, "overlap_chars": 0},
    ]  # fmt: skip
    calibration.report["rubric"]["by_criterion"] = [
        {"criterion": XSS, "n": 2, "kappa_quadratic": 0.1, "spearman": None,
         "mean_abs_difference": 1.0},
    ]  # fmt: skip
    calibration.save()

    page = new_page(admin_user)
    base = f"/projects/{judged_project.pk}/judges"
    page.goto(base)
    page.wait_for_selector(f"[data-testid=judge-list] td:has-text('run {run.pk}')")
    assert page.evaluate(NO_XSS)
    page.goto(f"{base}/{judge.pk}")
    page.wait_for_selector("[data-testid=judge-runs] td:has-text('failed')")
    assert XSS in page.inner_text("[data-testid=judge] h1")
    assert page.evaluate(NO_XSS)
    page.goto(f"{base}/{judge.pk}/runs/{run.pk}")
    page.wait_for_selector("[data-testid=failure-reason]")
    page.click("[data-testid=run-failures] summary")
    assert page.inner_text("[data-testid=failure-reason]") == XSS
    assert XSS in page.inner_text("[data-testid=run-error]")
    assert XSS in page.inner_text(".jr-output")
    assert page.evaluate(NO_XSS)
    shoot(page, "judge-run-xss")
    page.goto(f"{base}/{judge.pk}/calibration")
    page.wait_for_selector("[data-testid=calibration-rubric] table")
    assert XSS in page.inner_text("[data-testid=calibration-spans] table")
    assert XSS in page.inner_text("[data-testid=calibration-rubric] table")
    assert page.evaluate(NO_XSS)
