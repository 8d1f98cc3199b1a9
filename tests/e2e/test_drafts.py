"""Drafts: offline autosave and recovery, and the conflict dialog on a stale version."""

from __future__ import annotations

import json
from typing import Any

import pytest

from annotator.models import Annotation
from annotator.services.annotations import annotation_update
from tests.e2e.data import make_qa_item, qa_feedback_record
from tests.e2e.helpers import annotation_of, span_texts, utf16_index, wait_saved
from tests.factories import make_project

pytestmark = pytest.mark.django_db(transaction=True)
LAYER = "[data-testid=response-0] [data-testid=span-layer]"


@pytest.fixture
def qa_project(admin_user: Any, annotator_user: Any) -> Any:
    return make_project(admin=admin_user, anna="annotator")


def label_word(page: Any, text: str, word: str, hotkey: str) -> None:
    page.focus(LAYER)
    page.keyboard.press("Escape")
    page.keyboard.press("Home")
    for _ in range(utf16_index(text, word)):
        page.keyboard.press("ArrowRight")
    for _ in range(len(word)):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press(hotkey)


def test_offline_draft_is_kept_and_sent_once_when_back(
    qa_project: Any, annotator_user: Any, live: Any, browser: Any, new_page: Any, shoot: Any
) -> None:
    item = make_qa_item(qa_project)
    text = qa_feedback_record(0)["prediction 1"]
    page = new_page(annotator_user, allow_errors=True)
    context = page.context
    page.goto(f"/projects/{qa_project.pk}/annotate/{item.pk}")
    label_word(page, text, "Bloom", "1")
    wait_saved(page)
    first = annotation_of(item, annotator_user)

    context.set_offline(True)
    label_word(page, text, "Troye Sivan", "2")
    page.wait_for_selector("[data-testid=sync-status]:has-text('offline')")
    shoot(page, "annotate-offline", full_page=False)
    stored = json.loads(
        page.evaluate(f"localStorage.getItem('finegrain:draft:{qa_project.pk}:{item.pk}')")
    )
    assert stored["pending"] is True
    assert len(stored["units"]["spans"]) == 2
    assert len(span_texts(annotation_of(item, annotator_user))) == 1  # server unchanged

    # Close the tab while offline, come back online, open the item again: the local record
    # is recovered and sent once, on the same annotation.
    page.close()
    context.set_offline(False)
    page = new_page(context=context, allow_errors=True)
    page.goto(f"/projects/{qa_project.pk}/annotate/{item.pk}")
    page.wait_for_selector("[data-testid=sync-status]:has-text('recovered')")
    wait_saved(page)
    annotation = annotation_of(item, annotator_user)
    assert annotation.pk == first.pk
    assert annotation.client_id == first.client_id
    assert sorted(t for _, _, t in span_texts(annotation)) == ["Bloom", "Troye Sivan"]
    assert Annotation.objects.filter(item=item).count() == 1

    # Offline again, then the `online` event alone sends the change.
    context.set_offline(True)
    label_word(page, text, "EMI Australia", "1")
    page.wait_for_selector("[data-testid=sync-status]:has-text('offline')")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_saved(page)
    assert len(span_texts(annotation_of(item, annotator_user))) == 3


def test_stale_version_opens_the_conflict_dialog(
    qa_project: Any, annotator_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    item = make_qa_item(qa_project)
    text = qa_feedback_record(0)["prediction 1"]
    page = new_page(annotator_user, allow_errors=True)
    page.goto(f"/projects/{qa_project.pk}/annotate/{item.pk}")
    label_word(page, text, "Bloom", "1")
    wait_saved(page)

    # Another tab saves version 2 meanwhile.
    annotation = annotation_of(item, annotator_user)
    annotation_update(
        annotation=annotation,
        version=annotation.version,
        units={
            "spans": [
                {"response": 0, "start": 0, "end": 5, "error_type": "irrelevant"},
                {"response": 0, "start": 9, "end": 12, "error_type": "wrong-grounding"},
            ]
        },
    )
    label_word(page, text, "Troye Sivan", "2")
    page.wait_for_selector("[data-testid=conflict-dialog][open]")
    shoot(page, "conflict-dialog", full_page=False)
    assert "version 2" in page.inner_text("[data-testid=conflict-dialog]")

    page.click("[data-testid=conflict-dialog] button:has-text('Keep mine')")
    wait_saved(page)
    annotation = annotation_of(item, annotator_user)
    assert annotation.version == 3
    assert sorted(t for _, _, t in span_texts(annotation)) == ["Bloom", "Troye Sivan"]

    # And the other way: take the server's version.
    annotation_update(annotation=annotation, version=3, units={"spans": []})
    label_word(page, text, "EMI Australia", "1")
    page.wait_for_selector("[data-testid=conflict-dialog][open]")
    page.click('[data-testid=conflict-dialog] button:has-text("Load the server")')
    page.wait_for_selector("[data-testid=conflict-dialog]", state="hidden")
    assert page.locator("[data-testid=response-0] [data-testid=span-list]").count() == 0
    assert span_texts(annotation_of(item, annotator_user)) == []
