"""Project pages, review, machine suggestions, and XSS payloads that must stay inert."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from annotator.models import Annotation, Judge
from annotator.services.annotations import annotation_bulk_create, annotation_create
from annotator.services.projects import project_update
from annotator.services.taxonomy import (
    rubric_draft_create,
    rubric_publish,
    rubric_set_criteria,
    taxonomy_draft_create,
    taxonomy_publish,
    taxonomy_set_error_types,
)
from tests.e2e.data import make_qa_item
from tests.e2e.helpers import annotation_of, fresh, span_texts, wait_saved
from tests.factories import make_project

pytestmark = pytest.mark.django_db(transaction=True)
XSS = "<img src=x onerror=window.__xss=1><script>window.__xss=2</script>"


@pytest.fixture
def qa_project(admin_user: Any, annotator_user: Any, reviewer_user: Any) -> Any:
    return make_project(admin=admin_user, anna="annotator", rita="reviewer")


def submit_as(item: Any, user: Any, spans: list[dict[str, Any]], **units: Any) -> Annotation:
    annotation, _ = annotation_create(
        item=item,
        author=user,
        client_id=uuid.uuid4(),
        status="submitted",
        units={"spans": spans, **units},
        time_spent_ms=42_000,
    )
    return annotation


def test_project_pages(
    qa_project: Any,
    admin_user: Any,
    annotator_user: Any,
    researcher_user: Any,
    live: Any,
    new_page: Any,
    shoot: Any,
) -> None:
    item = make_qa_item(qa_project)
    submit_as(
        item,
        annotator_user,
        [{"response": 0, "start": 0, "end": 5, "error_type": "irrelevant"}],
        steps=[{"response": 2, "step_index": 2, "rating": -1, "error_type": "irrelevant"}],
    )
    page = new_page(admin_user)
    page.goto(f"/projects/{qa_project.pk}")
    page.wait_for_selector("[data-testid=dashboard] svg.chart")
    assert "Irrelevant" in page.text_content("svg.chart")
    shoot(page, "dashboard")

    # Taxonomy: make a draft, change a hotkey to a clash (flagged), fix it, add a type, publish.
    page.click("nav >> text=Taxonomy")
    page.click("text=Create a draft from the latest version")
    page.wait_for_selector('[role=status]:text-is("Draft created.")')
    page.fill("[aria-label='Hotkey 2']", "1")
    page.wait_for_selector('text=Hotkey "1" is used by irrelevant and wrong-grounding.')
    page.fill("[aria-label='Hotkey 2']", "2")
    page.click("text=+ Error type")
    page.fill("[aria-label='Key 4']", "unverifiable")
    page.fill("[aria-label='Name 4']", "Unverifiable")
    page.fill("[aria-label='Hotkey 4']", "4")
    shoot(page, "taxonomy-editor")
    page.click("text=Publish v2")
    page.wait_for_selector('[role=status]:text-is("Published.")')
    fresh()
    assert qa_project.taxonomies.get(version=2).error_types.filter(key="unverifiable").exists()

    page.click("nav >> text=Rubric")
    page.click("text=Create a draft from the latest version")
    page.wait_for_selector('[role=status]:text-is("Draft created.")')
    page.fill("[aria-label='Description of level 1'] >> nth=0", "Contradicts the passages")
    shoot(page, "rubric-editor")
    page.click("text=Publish v2")
    page.wait_for_selector('[role=status]:text-is("Published.")')
    fresh()
    criterion = qa_project.rubrics.get(version=2).criteria.get(key="factuality")
    assert criterion.levels[0]["description"] == "Contradicts the passages"

    page.click("nav >> text=Members")
    page.fill("[aria-label=Username]", "rob")
    page.select_option("[aria-label=Role]", "researcher")
    page.click("text=Add member")
    page.wait_for_selector("[data-testid=members] td:has-text('rob')")
    shoot(page, "members")

    # Import: a file with a bad line imports nothing and names the line; a good one imports.
    page.click("nav >> text=Import")
    bad = (
        b'{"external_id": "n1", "prompt": "Q?", "responses": [{"text": "A"}]}\n{"external_id": 5}\n'
    )
    page.set_input_files(
        "[aria-label='File to import']",
        {"name": "items.jsonl", "mimeType": "application/x-ndjson", "buffer": bad},
    )
    page.click("button:has-text('Upload')")
    page.wait_for_selector("[data-testid=import-errors] td")
    assert page.inner_text("[data-testid=import-errors] tbody tr >> nth=0").startswith("2")
    shoot(page, "import-errors")
    good = b'{"external_id": "n1", "prompt": "Q?", "responses": [{"text": "A"}]}\n'
    page.set_input_files(
        "[aria-label='File to import']",
        {"name": "items.jsonl", "mimeType": "application/x-ndjson", "buffer": good},
    )
    page.click("button:has-text('Upload')")
    page.wait_for_selector("[data-testid=import-result]")
    shoot(page, "import")
    fresh()
    assert qa_project.items.filter(external_id="n1").exists()


def test_review_side_by_side(
    qa_project: Any,
    admin_user: Any,
    annotator_user: Any,
    reviewer_user: Any,
    live: Any,
    new_page: Any,
    shoot: Any,
) -> None:
    project_update(project=qa_project, data={"overlap": 2})
    item = make_qa_item(qa_project)
    first = submit_as(
        item,
        annotator_user,
        [
            {"response": 0, "start": 0, "end": 5, "error_type": "irrelevant"},
            {"response": 0, "start": 0, "end": 30, "error_type": "wrong-grounding"},
        ],
        preferences=[{"response_a": 0, "response_b": 1, "value": -2}],
    )
    second = submit_as(
        item, admin_user, [{"response": 1, "start": 7, "end": 13, "error_type": "irrelevant"}]
    )
    page = new_page(reviewer_user)
    page.goto(f"/projects/{qa_project.pk}/review")
    page.click(f"text=Item {item.pk}")
    page.wait_for_selector("[data-testid=review-item] .review-col >> nth=1")
    shoot(page, "review")
    page.click(".review-col:has-text('anna') button:has-text('Accept')")
    page.wait_for_selector("text=anna: accepted.")
    page.focus(".review-col:has-text('alice')")
    page.keyboard.press("r")
    page.wait_for_selector("text=alice: rejected.")
    fresh()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("accepted", "rejected")


def test_machine_suggestions_accept_edit_reject(
    qa_project: Any, annotator_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    item = make_qa_item(qa_project)
    judge = Judge.objects.create(project=qa_project, name="rules-judge", kind="rules")
    annotation_bulk_create(
        project=qa_project,
        judge=judge,
        entries=[
            {
                "item": item.pk,
                "client_id": uuid.uuid4(),
                "spans": [
                    {"response": 0, "start": 0, "end": 5, "error_type": "irrelevant"},
                    {"response": 0, "start": 69, "end": 80, "error_type": "wrong-grounding"},
                    {"response": 1, "start": 0, "end": 5, "error_type": "irrelevant"},
                ],
                "steps": [{"response": 2, "step_index": 2, "rating": -1}],
                "regions": [
                    {
                        "response": 3,
                        "shape": "box",
                        "points": [[0.55, 0.25], [0.9, 0.75]],
                        "error_type": "wrong-grounding",
                    }
                ],
            }
        ],
    )
    page = new_page(annotator_user)
    page.goto(f"/projects/{qa_project.pk}/annotate/{item.pk}")
    page.wait_for_selector("[data-testid=suggestions] li >> nth=4")
    # Drawn where they apply, apart from one's own labels: dashed spans, a dashed step badge,
    # a dashed unfilled region.
    suggested_spans = page.locator("[data-testid=response-0] .seg[data-spans]")
    assert "repeating-linear-gradient" in suggested_spans.first.get_attribute("style")
    step_badge = page.locator("[data-testid=steps] li >> nth=2").locator("[data-suggestion]")
    assert "rules-judge" in step_badge.inner_text()
    region = page.locator("[data-testid=region-canvas] polygon[data-suggestion]")
    assert region.get_attribute("stroke-dasharray") == "6 4"
    assert page.locator("[data-testid=region-canvas] polygon[data-region]").count() == 0
    shoot(page, "suggestions", full_page=False)
    page.locator("[data-testid=image-zone]").scroll_into_view_if_needed()
    shoot(page, "suggestions-steps-image", full_page=False)
    page.click("[data-testid=suggestions] li:has-text('Troye Sivan') >> text=Reject")
    page.click("[data-testid=suggestions] li >> nth=0 >> text=Edit")
    page.keyboard.type("judge was right")
    page.keyboard.press("Alt+a")  # accept the rest
    page.wait_for_selector("[data-testid=suggestions]:has-text('No pending')", state="attached")
    wait_saved(page)
    annotation = annotation_of(item, annotator_user)
    assert sorted(span_texts(annotation)) == [
        (0, "irrelevant", "Bloom"),
        (1, "irrelevant", "Bloom"),
    ]
    assert annotation.spans.get(response__index=0).comment == "judge was right"
    assert [(s.step_index, s.rating) for s in annotation.steps.all()] == [(2, -1)]
    assert [(r.shape, r.points) for r in annotation.regions.all()] == [
        ("box", [[0.55, 0.25], [0.9, 0.75]])
    ]
    # Accepted: drawn as one's own now, no longer as suggestions.
    assert page.locator("[data-testid=region-canvas] polygon[data-region]").count() == 1
    assert page.locator("[data-testid=region-canvas] polygon[data-suggestion]").count() == 0
    assert page.locator("[data-testid=steps] [data-suggestion]").count() == 0
    decisions = annotation.metadata["suggestions"]
    assert len(decisions["accepted"]) == 4
    assert len(decisions["rejected"]) == 1


def test_xss_payloads_stay_inert(
    admin_user: Any, annotator_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    project = make_project(admin=admin_user, anna="annotator")
    project_update(
        project=project,
        data={"name": f"P {XSS}", "guidelines": f"# Rules {XSS}\n\n[x](javascript:window.__xss=3)"},
    )
    taxonomy = taxonomy_draft_create(project=project)
    taxonomy_set_error_types(
        taxonomy=taxonomy,
        error_types=[
            {
                "key": "evil",
                "name": XSS[:120],
                "description": XSS,
                "hotkey": "1",
                "unit_kinds": ["span"],
            },
        ],
    )
    taxonomy_publish(taxonomy=taxonomy)
    rubric = rubric_draft_create(project=project)
    rubric_set_criteria(
        rubric=rubric,
        criteria=[
            {
                "key": "evil",
                "name": XSS[:120],
                "description": XSS,
                "levels": [{"value": 1, "label": XSS[:120], "description": XSS}, {"value": 2}],
            }
        ],
    )
    rubric_publish(rubric=rubric)
    item = make_qa_item(project, external_id="xss", texts=(f"Answer {XSS} end", XSS))
    item.prompt = XSS
    item.context = [{"title": XSS, "sentences": [XSS]}]
    item.save()
    project_update(
        project=project, data={"guidelines": f"# Rules {XSS}\n\n[x](javascript:window.__xss=3)"}
    )

    page = new_page(annotator_user)
    page.goto(f"/projects/{project.pk}/annotate/{item.pk}")
    page.wait_for_selector("[data-testid=response-0] [data-testid=span-layer]")
    page.focus("[data-testid=response-0] [data-testid=span-layer]")
    page.keyboard.press("Shift+End")
    page.keyboard.press("1")
    page.keyboard.press("Alt+g")
    page.wait_for_selector("[data-testid=guidelines][open]")
    assert page.locator("[data-testid=guidelines] a[href^=javascript]").count() == 0
    page.click("[data-testid=guidelines] a, [data-testid=guidelines] span >> nth=0", trial=True)
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    page.wait_for_selector("[data-testid=shortcut-overlay][open]")
    page.keyboard.press("Escape")
    wait_saved(page)
    shoot(page, "xss-annotate", full_page=False)
    assert page.locator("img[src=x]").count() == 0
    assert XSS in page.inner_text("[data-testid=prompt]")
    assert XSS in page.inner_text("[data-testid=response-1]")
    for path in ("", "/taxonomy", "/rubric", "/members"):
        page.goto(f"/projects/{project.pk}{path}")
        page.wait_for_selector("main.page h1")
        page.wait_for_timeout(200)
        assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.__xss") is None
    shoot(page, "xss-members", full_page=False)
