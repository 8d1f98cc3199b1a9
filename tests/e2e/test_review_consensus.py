"""Review and consensus end to end in Chromium: the queue (lowest agreement first), the item
with its differences highlighted, accept/reject, editing the labels into a consensus and
saving it; and the quality dashboard's plots."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from annotator.models import Annotation, Judge
from annotator.selectors.taxonomy import taxonomy_published_latest
from annotator.services.annotations import annotation_bulk_create, annotation_create
from quality.models import AgreementSnapshot, ConsistencyFlag, ItemAgreement, QualitySettings
from quality.services.agreement import agreement_recompute
from quality.services.gold import gold_label_set
from tests.e2e.data import make_qa_item, qa_feedback_record
from tests.e2e.helpers import drag_select, fresh, utf16_index
from tests.factories import make_project, make_user

pytestmark = pytest.mark.django_db(transaction=True)

TEXT0 = qa_feedback_record(0)["prediction 1"]
TEXT1 = qa_feedback_record(0)["prediction 2"]


def at(text: str, quote: str) -> tuple[int, int]:
    """Code point offsets of ``quote`` in ``text``."""
    start = text.index(quote)
    return start, start + len(quote)


def span(response: int, quote: str, error_type: str, **extra: Any) -> dict[str, Any]:
    start, end = at(TEXT0 if response == 0 else TEXT1, quote)
    return {"response": response, "start": start, "end": end, "error_type": error_type, **extra}


def steps(*ratings: int) -> list[dict[str, Any]]:
    return [{"response": 2, "step_index": i, "rating": r} for i, r in enumerate(ratings)]


def submit(item: Any, user: Any, **units: Any) -> Annotation:
    annotation, _ = annotation_create(
        item=item, author=user, client_id=uuid.uuid4(), status="submitted", units=units,
        time_spent_ms=45_000,
    )  # fmt: skip
    return annotation


@pytest.fixture
def team(admin_user: Any, reviewer_user: Any) -> dict[str, Any]:
    users = {name: make_user(name) for name in ("ann1", "ann2", "ann3")}
    project = make_project(
        admin=admin_user, overlap=3, rita="reviewer", **dict.fromkeys(users, "annotator")
    )
    return {"project": project, **users}


def label_disputed_item(team: dict[str, Any], external_id: str = "qa-1") -> Any:
    """Three annotators agree on one wrong-grounding span (overlaps ≥ 0.5), each adds one
    span nobody else marked, and they split on step 2."""
    item = make_qa_item(team["project"], external_id=external_id)
    wrong = "American singer Ariana Grande was released"
    submit(
        item, team["ann1"],
        spans=[span(0, wrong, "wrong-grounding"),
               span(0, "The album follows up his 2015 debut studio album", "irrelevant",
                    severity=2)],
        steps=steps(1, 1, -1),
        rubric_scores=[{"response": 0, "criterion": "factuality", "score": 5},
                       {"response": 1, "criterion": "factuality", "score": 4}],
        preferences=[{"response_a": 0, "response_b": 1, "value": 2}],
    )  # fmt: skip
    submit(
        item, team["ann2"],
        spans=[span(0, "singer Ariana Grande was released on 13 June", "wrong-grounding")],
        steps=steps(1, -1, -1),
        rubric_scores=[{"response": 0, "criterion": "factuality", "score": 2},
                       {"response": 1, "criterion": "factuality", "score": 4}],
        preferences=[{"response_a": 0, "response_b": 1, "value": 2}],
    )  # fmt: skip
    submit(
        item, team["ann3"],
        spans=[span(0, "American singer Ariana Grande was released on 13 June", "wrong-grounding"),
               span(1, 'The second single, "The Good Side", was released nine days later.',
                    "irrelevant")],
        steps=steps(1, 1, -1),
        rubric_scores=[{"response": 0, "criterion": "factuality", "score": 2},
                       {"response": 1, "criterion": "factuality", "score": 5}],
        preferences=[{"response_a": 0, "response_b": 1, "value": -1}],
    )  # fmt: skip
    return item


def test_review_queue_differences_and_consensus(
    team: dict[str, Any], reviewer_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    item = label_disputed_item(team)
    calm = make_qa_item(team["project"], external_id="qa-2")
    for name in ("ann1", "ann2"):
        submit(calm, team[name], spans=[span(0, "EMI Australia", "wrong-grounding")])
    agreement_recompute(project=team["project"])
    scores = dict(ItemAgreement.objects.values_list("item_id", "score"))
    assert scores[item.pk] < scores[calm.pk]

    page = new_page(reviewer_user)
    page.goto(f"/projects/{team['project'].pk}/review")
    page.wait_for_selector("[data-testid=review-list] tbody tr >> nth=1")
    rows = page.locator("[data-testid=review-list] tbody tr")
    assert f"Item {item.pk}" in rows.nth(0).inner_text()  # lowest agreement first
    assert rows.nth(0).locator(".q-score.low").count() == 1  # below the default 0.6
    shoot(page, "review-queue")
    # The item view judges "low" by the project's threshold, as the queue does: at 0.5 the
    # item's score is not low there.
    QualitySettings.objects.create(project=team["project"], low_agreement_threshold=0.5)

    page.click("button:has-text('Review next')")
    page.wait_for_url(f"**/review/{item.pk}")
    page.wait_for_selector("[data-testid=review-item] .review-col >> nth=2")
    page.wait_for_selector("[data-testid=consensus-editor]")
    assert page.locator(".review-col:has-text('ann1') [data-diff=disputed]").count() >= 1
    assert page.locator(".review-col:has-text('ann2') [data-diff=agreed]").count() >= 1
    assert page.locator(".review-col:has-text('ann2') .disputed-unit").count() >= 1
    badge = page.locator("[data-testid=item-agreement] .q-score")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=item-agreement] .q-score')"
        f".textContent === 'agreement {scores[item.pk]:.2f}'"
    )
    assert 0.5 <= scores[item.pk] < 0.6
    assert "low" not in (badge.get_attribute("class") or "").split()
    shoot(page, "review-differences")

    page.click(".review-col:has-text('ann3') button:has-text('Accept')")
    page.wait_for_selector("text=ann3: accepted.")
    page.click(".review-col:has-text('ann1') button:has-text('Reject')")
    page.wait_for_selector("text=ann1: rejected.")
    # A rejected annotation leaves the comparison: once the differences are reloaded its spans
    # carry no agreed/disputed tag, and the proposal is made from ann2 and ann3 alone.
    page.wait_for_selector(".review-col:has-text('ann1') .span-marks li", state="attached")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.review-col')].find((c) => c.textContent"
        ".includes('ann1')).querySelectorAll('.span-marks .tag').length === 0"
    )

    # Edit into a consensus: the rule's proposal (the wrong-grounding span, as far as ann2 and
    # ann3 both marked it), plus one span drawn here with the mouse and typed with its hotkey
    # (1 = Irrelevant).
    editor = "[data-testid=consensus-editor]"
    page.click(f"{editor} button:has-text('Start from the proposal')")
    page.wait_for_selector(f"{editor} [aria-label='Consensus spans of response 1'] li")
    layer = f"{editor} [aria-label='Consensus response 2']"
    quote = "The second single"
    start = utf16_index(TEXT1, quote)
    page.locator(layer).scroll_into_view_if_needed()  # the mouse only reaches what is on screen
    drag_select(page, layer, start, start + len(quote))
    assert page.get_attribute(layer, "data-selection") == f"{start}:{start + len(quote)}"
    page.keyboard.press("1")
    page.wait_for_selector(f"{editor} [aria-label='Consensus spans of response 2'] li")
    shoot(page, "review-consensus-editor")
    page.click(f"{editor} button:has-text('Save consensus')")
    page.wait_for_selector("text=Consensus saved")
    page.wait_for_selector(f"{editor} header:has-text('current: annotation')")
    shoot(page, "review-consensus-saved")

    fresh()
    consensus = (
        Annotation.objects.filter(item=item, judge__isnull=False, status="accepted")
        .prefetch_related("spans__response", "spans__error_type")
        .get()
    )
    assert consensus.metadata["consensus"] is True
    assert consensus.metadata["reviewer"] == "rita"
    assert consensus.reviewed_by == reviewer_user
    texts = sorted(
        (s.response.index, s.error_type.key, s.response.text[s.start : s.end])
        for s in consensus.spans.all()
    )
    assert texts == [
        (0, "wrong-grounding", "singer Ariana Grande was released on 13 June"),
        (1, "irrelevant", quote),
    ]
    statuses = dict(
        Annotation.objects.filter(item=item, author__isnull=False).values_list(
            "author__username", "status"
        )
    )
    assert statuses == {"ann1": "rejected", "ann2": "submitted", "ann3": "accepted"}
    # The consensus item leaves the pending queue.
    page.goto(f"/projects/{team['project'].pk}/review")
    page.wait_for_selector("[data-testid=review-list] tbody tr")
    assert f"Item {item.pk}" not in page.inner_text("[data-testid=review-list] tbody")


def test_quality_dashboard_plots(
    team: dict[str, Any], admin_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    project = team["project"]
    first = label_disputed_item(team, "qa-1")
    agreement_recompute(project=project)
    second = make_qa_item(project, external_id="qa-2")
    for name, quote in (("ann1", "EMI Australia"), ("ann2", "EMI Australia and Capitol"),
                        ("ann3", "EMI Australia")):  # fmt: skip
        submit(second, team[name], spans=[span(0, quote, "wrong-grounding")],
               steps=steps(1, 1, -1))  # fmt: skip
    agreement_recompute(project=project)
    judge = Judge.objects.create(project=project, name="rules-judge", kind="rules")
    annotation_bulk_create(
        project=project, judge=judge,
        entries=[{"item": i.pk, "client_id": uuid.uuid4(),
                  "spans": [span(0, "EMI Australia", "wrong-grounding")],
                  "metadata": {"task": "spans", "responses": [0, 1]}} for i in (first, second)],
    )  # fmt: skip
    gold = make_qa_item(project, external_id="gold-1")
    reference = submit(gold, admin_user, spans=[span(0, "Troye Sivan", "wrong-grounding")])
    gold_label_set(project=project, item=gold, annotation=reference, user=admin_user)
    submit(gold, team["ann1"], spans=[span(0, "Troye Sivan", "wrong-grounding")])
    submit(gold, team["ann2"], spans=[span(0, "singer and songwriter Troye Sivan", "irrelevant")])
    agreement_recompute(project=project)
    # Spread the three reports over three days so the time axis reads as history.
    for days, snapshot in enumerate(AgreementSnapshot.objects.order_by("-id")):
        AgreementSnapshot.objects.filter(pk=snapshot.pk).update(
            created_at=timezone.now() - timedelta(days=days)
        )
    assert ConsistencyFlag.objects.exists()

    page = new_page(admin_user)
    page.goto(f"/projects/{project.pk}/quality")
    page.wait_for_selector("[data-testid=quality-dashboard] [data-testid=chart-over-time]")
    for chart in ("chart-error-types", "chart-annotators", "chart-pairs", "chart-confusion",
                  "chart-throughput"):  # fmt: skip
        assert page.locator(f"[data-testid={chart}]").count() == 1, chart
    assert page.locator("[data-testid=chart-over-time] path").count() >= 3
    # Per error type and per annotator over time: a line per type / annotator with a point per
    # snapshot that has it, in the error type's own colour; a picker hides and shows lines.
    types = page.locator("[data-testid=chart-error-types-over-time] [data-series]")
    assert sorted(types.evaluate_all("gs => gs.map(g => g.dataset.series)")) == [
        "irrelevant",
        "wrong-grounding",
    ]
    wrong = page.locator("[data-testid=chart-error-types-over-time] [data-series=wrong-grounding]")
    assert wrong.locator("circle").count() == 3  # marked in all three snapshots
    taxonomy = taxonomy_published_latest(project=project)
    color = taxonomy.error_types.get(key="wrong-grounding").color
    assert wrong.locator("path").get_attribute("stroke") == color
    people = page.locator("[data-testid=chart-annotators-over-time] [data-series]")
    assert people.count() >= 3  # ann1, ann2, ann3 (and the gold reference's author)
    ann3 = f"user:{team['ann3'].pk}"
    ann3_line = page.locator(f"[data-testid=chart-annotators-over-time] [data-series='{ann3}']")
    assert ann3_line.locator("circle").count() == 3  # each report covers every item so far
    panel = page.locator("[data-testid=chart-annotators-over-time-panel]")
    panel.get_by_role("combobox").select_option("span_alpha_unitizing")
    page.wait_for_selector("svg[aria-label$='span α (unitizing) with the others']")
    assert ann3_line.locator("circle").count() == 3
    panel.get_by_role("checkbox", name="ann3").uncheck()
    assert ann3_line.count() == 0
    panel.get_by_role("checkbox", name="ann3").check()
    assert ann3_line.count() == 1
    page.wait_for_selector("[data-testid=flags] tbody tr")
    page.wait_for_selector("[data-testid=gold] tbody tr")
    shoot(page, "quality-dashboard")
    for panel_id in ("chart-error-types-over-time-panel", "chart-annotators-over-time-panel"):
        page.locator(f"[data-testid={panel_id}]").scroll_into_view_if_needed()
        shoot(page, f"quality-dashboard-{panel_id.removesuffix('-panel')}", full_page=False)
    page.fill("[data-testid=quality-settings] input[name=gold_rate]", "0.15")
    page.click("button:has-text('Save settings')")
    page.wait_for_selector("text=Saved.")
    fresh()
    assert QualitySettings.objects.get(project=project).gold_rate == 0.15
