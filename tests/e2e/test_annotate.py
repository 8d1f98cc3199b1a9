"""Label an item in the browser, by keyboard and by mouse, and read the labels back."""

from __future__ import annotations

from typing import Any

import pytest

from annotator.models import Annotation
from tests.e2e.data import EMOJI_TEXT, make_qa_item, qa_feedback_record
from tests.e2e.helpers import (
    annotation_of,
    drag_select,
    span_texts,
    utf16_index,
    utf16_slice,
    wait_saved,
)
from tests.factories import make_project

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def qa_project(admin_user: Any, annotator_user: Any, reviewer_user: Any) -> Any:
    return make_project(admin=admin_user, anna="annotator", rita="reviewer")


def test_label_everything_and_submit(
    qa_project: Any, annotator_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    item = make_qa_item(qa_project)
    record = qa_feedback_record(0)
    text0, text1 = record["prediction 1"], record["prediction 2"]

    page = new_page()
    page.goto("/")
    page.wait_for_url("**/accounts/login/**")
    shoot(page, "login")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "pw-anna")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=project-list]")
    shoot(page, "projects")

    page.goto(f"/projects/{qa_project.pk}/annotate")
    page.wait_for_url(f"**/annotate/{item.pk}")
    page.wait_for_selector("[data-testid=sync-status]:has-text('not saved yet')")

    # A span by keyboard: caret mode, shift+arrows, then the hotkey of "Irrelevant" (1).
    layer0 = "[data-testid=response-0] [data-testid=span-layer]"
    page.focus(layer0)
    page.keyboard.press("Home")
    start = utf16_index(text0, "Troye Sivan")
    for _ in range(start):
        page.keyboard.press("ArrowRight")
    for _ in range(len("Troye Sivan")):
        page.keyboard.press("Shift+ArrowRight")
    assert page.get_attribute(layer0, "data-selection") == f"{start}:{start + 11}"
    page.keyboard.press("1")
    page.wait_for_selector("[data-testid=span-editor]")
    page.keyboard.press("Enter")  # edit the focused span: the comment box takes focus
    page.keyboard.type("not what was asked")
    page.click("[data-testid=span-editor] [role=radio]:has-text('major')")

    # An overlapping span by keyboard: extend by words from the same start.
    page.focus(layer0)
    page.keyboard.press("Escape")
    page.keyboard.press("Home")
    for _ in range(start):
        page.keyboard.press("ArrowRight")
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("2")

    # A span by mouse in the second response, labelled Wrong-Grounding (2).
    layer1 = "[data-testid=response-1] [data-testid=span-layer]"
    s1 = utf16_index(text1, "Dance to This")
    drag_select(page, layer1, s1, s1 + len("Dance to This"))
    assert page.get_attribute(layer1, "data-selection") == f"{s1}:{s1 + 13}"
    page.keyboard.press("2")

    # Steps: +1, 0, −1 from the keyboard.
    page.focus("[data-testid=steps]")
    for key in ("+", "0", "-"):
        page.keyboard.press(key)

    # A region: drag a box on the image.
    canvas = page.locator("[data-testid=region-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.25)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.6, steps=6)
    page.mouse.up()

    # Rubric: factuality level 4 for response 1, fluency "ok" (level 2).
    page.focus("[data-testid=rubric]")
    page.keyboard.press("4")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("2")

    # Preference: response 1 better than response 2 (key 2 = A better, −2).
    page.focus("[data-testid=pairwise]")
    page.keyboard.press("2")
    page.fill("[aria-label='Rationale for response 1 vs 2']", "covers the release date")

    wait_saved(page)
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "annotate")

    page.focus(layer0)
    page.keyboard.press("?")
    page.wait_for_selector("[data-testid=shortcut-overlay][open]")
    shoot(page, "shortcuts", full_page=False)
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+g")
    page.wait_for_selector("[data-testid=guidelines][open] h2:has-text('Guidelines')")
    shoot(page, "guidelines", full_page=False)
    page.keyboard.press("Escape")

    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/annotate/done")

    annotation = annotation_of(item, annotator_user)
    assert annotation.status == Annotation.Status.SUBMITTED
    assert annotation.time_spent_ms > 0
    assert sorted(span_texts(annotation)) == sorted(
        [
            (0, "irrelevant", "Troye Sivan"),
            (0, "wrong-grounding", utf16_slice(text0, start, start + len("Troye Sivan, released"))),
            (1, "wrong-grounding", "Dance to This"),
        ]
    )
    first = annotation.spans.get(error_type__key="irrelevant")
    assert (first.severity, first.comment) == (2, "not what was asked")
    assert [(s.step_index, s.rating) for s in annotation.steps.order_by("step_index")] == [
        (0, 1),
        (1, 0),
        (2, -1),
    ]
    (region,) = annotation.regions.all()
    assert region.shape == "box"
    assert region.error_type.key == "wrong-grounding"
    (x1, y1), (x2, y2) = region.points
    assert abs(x1 - 0.2) < 0.02
    assert abs(y1 - 0.25) < 0.02
    assert abs(x2 - 0.5) < 0.02
    assert abs(y2 - 0.6) < 0.02
    scores = {(r.response.index, r.criterion.key, r.score) for r in annotation.rubric_scores.all()}
    assert scores == {(0, "factuality", 4), (0, "fluency", 1)}
    (pref,) = annotation.preferences.all()
    assert (pref.response_a.index, pref.response_b.index, pref.value) == (0, 1, -2)
    assert pref.rationale == "covers the release date"


def test_spans_on_emoji_text_are_exact(
    qa_project: Any, annotator_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    item = make_qa_item(qa_project, external_id="emoji", texts=(EMOJI_TEXT, "plain"))
    page = new_page(annotator_user)
    page.goto(f"/projects/{qa_project.pk}/annotate/{item.pk}")
    layer = "[data-testid=response-0] [data-testid=span-layer]"
    page.wait_for_selector(layer)

    # Keyboard: from the start, skip "Family " (7 graphemes), take the family emoji, a space,
    # "went" — the family emoji is one grapheme of 8 UTF-16 units.
    page.focus(layer)
    page.keyboard.press("Home")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    for _ in range(6):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")

    # Mouse: 東京 🇯🇵 (CJK and a flag), then the RTL words, then the combining-mark word.
    wanted = ["東京 🇯🇵", "שלום עולם", "cafe\u0301 👍🏽", "❤️ 𝕏"]
    for i, quote in enumerate(wanted):
        s = utf16_index(EMOJI_TEXT, quote)
        e = s + len(quote.encode("utf-16-le")) // 2
        page.keyboard.press("Escape")
        drag_select(page, layer, s, e)
        assert page.get_attribute(layer, "data-selection"), quote
        page.keyboard.press("2" if i % 2 == 0 else "1")
    wait_saved(page)
    shoot(page, "annotate-emoji", full_page=False)

    got = [text for _, _, text in span_texts(annotation_of(item, annotator_user))]
    assert got == ["👨‍👩‍👧 went", *wanted]
    # What the page listed for each span is the same text.
    listed = page.locator("[data-testid=response-0] [data-testid=span-list] q").all_inner_texts()
    assert sorted(listed) == sorted(got)
