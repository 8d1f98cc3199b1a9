"""Label an item in the browser, by keyboard and by mouse, and read the labels back."""

from __future__ import annotations

from typing import Any

import pytest

from annotator.models import Annotation
from tests.e2e.data import EMOJI_TEXT, make_qa_item, qa_feedback_record
from tests.e2e.helpers import (
    annotation_of,
    api_annotation,
    api_span_texts,
    drag_select,
    fresh,
    shoot_element,
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

    labelled = sorted(
        [
            (0, "irrelevant", "Troye Sivan"),
            (0, "wrong-grounding", utf16_slice(text0, start, start + len("Troye Sivan, released"))),
            (1, "wrong-grounding", "Dance to This"),
        ]
    )
    # What the API returns: exactly these labels, text[start:end] in code points.
    got, texts = api_annotation(page, qa_project.pk, item.pk)
    assert got["status"] == "submitted"
    assert got["time_spent_ms"] > 0
    assert sorted(api_span_texts(got, texts)) == labelled
    assert [(s["step_index"], s["rating"]) for s in got["steps"]] == [(0, 1), (1, 0), (2, -1)]
    assert [(r["shape"], r["error_type"]) for r in got["regions"]] == [("box", "wrong-grounding")]
    assert sorted((r["response"], r["criterion"], r["score"]) for r in got["rubric_scores"]) == [
        (0, "factuality", 4),
        (0, "fluency", 1),
    ]
    (pref,) = got["preferences"]
    assert (pref["response_a"], pref["response_b"], pref["value"], pref["rationale"]) == (
        0,
        1,
        -2,
        "covers the release date",
    )

    annotation = annotation_of(item, annotator_user)
    assert annotation.status == Annotation.Status.SUBMITTED
    assert annotation.time_spent_ms > 0
    assert sorted(span_texts(annotation)) == labelled
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
    annotation, texts = api_annotation(page, qa_project.pk, item.pk)
    assert [text for _, _, text in api_span_texts(annotation, texts)] == got
    # What the page listed for each span is the same text.
    listed = page.locator("[data-testid=response-0] [data-testid=span-list] q").all_inner_texts()
    assert sorted(listed) == sorted(got)


def canvas_point(page: Any, x: float, y: float) -> tuple[float, float]:
    """Pixel position of normalised (x, y) on the image's region canvas."""
    box = page.locator("[data-testid=region-canvas]").bounding_box()
    assert box is not None
    return box["x"] + box["width"] * x, box["y"] + box["height"] * y


def drag_on_canvas(page: Any, a: tuple[float, float], b: tuple[float, float]) -> None:
    page.mouse.move(*canvas_point(page, *a))
    page.mouse.down()
    page.mouse.move(*canvas_point(page, *b), steps=6)
    page.mouse.up()


def close(a: list[list[float]], b: list[list[float]], tol: float = 0.02) -> bool:
    return len(a) == len(b) and all(
        abs(p[0] - q[0]) < tol and abs(p[1] - q[1]) < tol for p, q in zip(a, b, strict=True)
    )


def test_palette_snapping_tools_and_the_queue(
    qa_project: Any, annotator_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    """What the first test leaves out: the palette, deleting a clicked span, snapping to
    words, a span's severity and comment by mouse, step error types and comments with stop at
    first error, a polygon, moving and resizing a box, a per-criterion preference, missing
    information linked to context sentences, a critique; skip to a chat item, go back, submit.
    The API then returns exactly those labels."""
    item = make_qa_item(qa_project)
    chat = make_qa_item(qa_project, external_id="chat-1")
    chat.prompt = ""
    chat.messages = [
        {"role": "user", "content": "Who released Bloom?"},
        {"role": "assistant", "content": "Which Bloom do you mean?"},
        {"role": "user", "content": "The Troye Sivan album."},
    ]
    chat.save()
    text0 = qa_feedback_record(0)["prediction 1"]
    layer = "[data-testid=response-0] [data-testid=span-layer]"

    page = new_page(annotator_user)
    page.goto(f"/projects/{qa_project.pk}/annotate")
    page.wait_for_url(f"**/annotate/{item.pk}")
    page.wait_for_selector("[data-testid=sync-status]:has-text('not saved yet')")

    # Palette: select "Bloom", p opens it, ArrowDown + Enter picks the second type.
    page.focus(layer)
    page.keyboard.press("Home")
    for _ in range(len("Bloom")):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("p")
    page.wait_for_selector("[role=listbox][aria-label='Error types']")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector(
        "[data-testid=response-0] [data-testid=span-list] li[data-type=wrong-grounding]"
    )

    # Click the span (after Escape unfocuses it), then delete it from its editor.
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-testid=span-editor]", state="detached")
    page.click(f"{layer} [data-spans] >> nth=0")
    page.click("[data-testid=span-editor] button:has-text('Delete')")
    page.wait_for_selector("[data-testid=response-0] [data-testid=span-list]", state="detached")

    # Snap to words (w), then a sloppy mouse selection inside "Troye Sivan" takes both words.
    page.focus(layer)
    page.keyboard.press("w")
    assert page.is_checked("label.snap input")
    s = utf16_index(text0, "Troye Sivan")
    drag_select(page, layer, s + 1, s + len("Troye Si"))
    assert page.get_attribute(layer, "data-selection") == f"{s}:{s + len('Troye Sivan')}"
    page.keyboard.press("1")
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-testid=span-editor]", state="detached")
    page.click(f"{layer} [data-spans] >> nth=0")  # a click opens the span's editor
    page.click("[data-testid=span-editor] [role=radio]:has-text('minor')")
    page.fill("[data-testid=span-editor] textarea", "not the question")

    # Steps, stop at first error: +1, −1, then step 3 is locked; an error type and a comment.
    page.focus("[data-testid=steps]")
    page.keyboard.press("s")
    page.keyboard.press("+")
    page.keyboard.press("-")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("+")
    assert page.get_attribute("[data-testid=steps] li >> nth=2", "class").endswith("locked")
    page.select_option("[aria-label='Error type of step 2']", "irrelevant")
    page.focus("[data-testid=steps]")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("c")
    page.keyboard.type("wrong year")
    page.keyboard.press("Enter")

    # Image: a polygon by clicks (g, three vertices, Enter), then a box resized and moved.
    zone = page.locator("[data-testid=image-zone]")
    zone.scroll_into_view_if_needed()
    page.focus("[data-testid=image-zone]")
    page.keyboard.press("g")
    for x, y in ((0.1, 0.1), (0.4, 0.1), (0.25, 0.4)):
        page.mouse.click(*canvas_point(page, x, y))
    page.focus("[data-testid=image-zone]")
    page.keyboard.press("Enter")
    page.keyboard.press("b")
    drag_on_canvas(page, (0.6, 0.6), (0.8, 0.8))
    drag_on_canvas(page, (0.8, 0.8), (0.9, 0.9))  # the bottom-right handle
    drag_on_canvas(page, (0.7, 0.7), (0.6, 0.65))  # the box itself
    page.fill("[aria-label='Region comment']", "not a mat")

    # Preference on one criterion.
    page.select_option("[aria-label='Preference criterion']", "factuality")
    page.focus("[data-testid=pairwise]")
    page.keyboard.press("6")

    # Missing information linked to p1·s2 (clicked in the context) and p1·s3 (checkbox).
    page.click("button:has-text('+ Missing information')")
    page.click(".context .sentences li:has-text('p1·s2')")
    page.check("[data-testid=missing-info] label:has-text('p1·s3') input")
    page.fill("[aria-label='Missing-info comment']", "the release date")
    assert page.locator(".context .sentences li.picked").count() == 2

    # A critique of response 1.
    page.click("[data-testid=response-0] details.critique summary")
    page.fill("[aria-label='Critique of response 1']", "Answers a different question.")

    wait_saved(page)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "annotate-tools")

    # Skip: the next item is the chat one; back returns to the first, its labels reloaded.
    page.keyboard.press("Alt+s")
    page.wait_for_url(f"**/annotate/{chat.pk}")
    page.wait_for_selector(".chat li >> nth=2")
    roles = page.locator(".chat .role").all_text_contents()
    assert roles == ["user", "assistant", "user"]
    assert page.locator(".chat li >> nth=1").text_content().endswith("Which Bloom do you mean?")
    shoot(page, "annotate-chat", full_page=False)
    page.keyboard.press("Alt+b")
    page.wait_for_url(f"**/annotate/{item.pk}")
    wait_saved(page)
    assert page.locator("[data-testid=response-0] [data-testid=span-list] q").all_inner_texts() == [
        "Troye Sivan"
    ]
    # Submit: the next item is the chat one again (still leased to me); skipping it empties
    # the queue.
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**/annotate/{chat.pk}")
    page.wait_for_selector(".chat li >> nth=2")
    # It starts empty: nothing of the item before is shown, or sent, as this one's.
    page.wait_for_selector("[data-testid=sync-status]:has-text('not saved yet')")
    assert page.locator("[data-testid=span-list]").count() == 0
    assert page.locator("[data-testid=steps] li[data-rating='']").count() == 3
    assert page.locator("[data-testid=region-canvas] polygon").count() == 0
    page.keyboard.press("Alt+s")
    page.wait_for_url("**/annotate/done")
    page.wait_for_selector("h1:has-text('Nothing left')")
    shoot(page, "queue-done", full_page=False)

    got, texts = api_annotation(page, qa_project.pk, item.pk)
    assert got["status"] == "submitted"
    assert api_span_texts(got, texts) == [(0, "irrelevant", "Troye Sivan")]
    (span,) = got["spans"]
    assert (span["severity"], span["comment"]) == (1, "not the question")
    assert [
        (s["step_index"], s["rating"], s["error_type"], s["comment"]) for s in got["steps"]
    ] == [
        (0, 1, None, ""),
        (1, -1, "irrelevant", "wrong year"),
    ]
    polygon, box = sorted(got["regions"], key=lambda r: r["shape"] != "polygon")
    assert polygon["shape"] == "polygon"
    assert close(polygon["points"], [[0.1, 0.1], [0.4, 0.1], [0.25, 0.4]])
    assert box["shape"] == "box"
    assert close(box["points"], [[0.5, 0.55], [0.8, 0.85]])
    assert box["comment"] == "not a mat"
    assert [
        (p["response_a"], p["response_b"], p["value"], p["criterion"]) for p in got["preferences"]
    ] == [(0, 1, 2, "factuality")]
    (missing,) = got["missing_info"]
    assert (missing["error_type"], missing["passage_index"], missing["sentence_indices"]) == (
        "missing-answer",
        0,
        [1, 2],
    )
    assert missing["comment"] == "the release date"
    assert got["critiques"] == [{"response": 0, "text": "Answers a different question."}]
    fresh()
    assert not Annotation.objects.filter(item=chat).exists()


def test_polygon_by_keyboard(
    qa_project: Any, annotator_user: Any, live: Any, new_page: Any, shoot: Any
) -> None:
    """A polygon drawn with the keyboard only: g shows the vertex cursor, arrows move it
    (shift 5 %, alt 0.1 %), Enter and Space place vertices, Backspace takes the last one back,
    Home goes to the first vertex and Enter there closes it; the region gets the current error
    type and a typed comment, and the API returns exactly the cursor's normalised points."""
    item = make_qa_item(qa_project)
    image_index = item.responses.get(kind="image").index
    page = new_page(annotator_user)
    page.goto(f"/projects/{qa_project.pk}/annotate/{item.pk}")
    page.wait_for_selector("[data-testid=sync-status]:has-text('not saved yet')")

    zone = "[data-testid=image-zone]"
    page.locator(zone).scroll_into_view_if_needed()
    page.focus(zone)
    page.keyboard.press("g")
    cursor = page.locator("[data-testid=vertex-cursor]")
    announcement = page.locator("[data-testid=image-announcement]")
    assert cursor.get_attribute("aria-label") == "Vertex cursor at 50% across, 50% down"
    assert "polygon" in page.text_content(f"{zone} [role=toolbar] button[aria-pressed=true]")
    # The live region is read out, not shown.
    assert announcement.get_attribute("aria-live") == "polite"
    hidden = announcement.bounding_box()
    assert hidden is not None
    assert hidden["width"] <= 1
    assert hidden["height"] <= 1

    def cursor_at() -> tuple[float, float]:
        return float(cursor.get_attribute("data-x")), float(cursor.get_attribute("data-y"))

    def press(key: str, n: int = 1) -> None:
        for _ in range(n):
            page.keyboard.press(key)

    press("Shift+ArrowLeft", 8)
    press("Shift+ArrowUp", 8)
    assert cursor_at() == (0.1, 0.1)
    press("Enter")
    assert announcement.text_content() == "Vertex 1 placed at 10% across, 10% down."
    press("Shift+ArrowRight", 6)
    press("Space")
    press("Shift+ArrowLeft", 3)
    press("Shift+ArrowDown", 6)
    press("Alt+ArrowDown", 2)
    press("ArrowRight")  # one step too far: place it, then take it back
    press("Enter")
    press("Backspace")
    assert announcement.text_content() == "Vertex 3 removed; 2 left."
    press("ArrowLeft")
    assert cursor_at() == (0.25, 0.402)
    press("Enter")
    assert "3 vertices" in page.text_content("[data-testid=polygon-status]")
    press("Home")
    assert cursor_at() == (0.1, 0.1)
    assert "Enter closes the polygon" in announcement.text_content()
    page.mouse.move(0, 0)
    shoot_element(page.locator(zone), "annotate-polygon-keyboard")

    press("Enter")
    assert announcement.text_content() == "Polygon closed with 3 vertices, Wrong-Grounding."
    assert page.locator("[data-testid=region-canvas] polygon[data-region]").count() == 1
    page.focus("[aria-label='Region comment']")
    page.keyboard.type("the cat's outline")
    wait_saved(page)
    page.focus(zone)
    page.keyboard.press("Shift+ArrowRight")  # the cursor moves on; the closed polygon stays
    shoot_element(page.locator(zone), "annotate-polygon-closed")

    # The overlay lists the polygon keys.
    page.keyboard.press("?")
    overlay = page.locator("[data-testid=shortcut-overlay][open]")
    overlay.wait_for()
    text = overlay.text_content()
    for label in (
        "Polygon: place a vertex at the cursor (on the first vertex: close)",
        "Polygon: remove the last vertex",
        "Polygon: close it (3 vertices or more)",
        "Polygon: cancel it",
    ):
        assert label in text
    overlay.locator("dd:has-text('Polygon: cancel it')").scroll_into_view_if_needed()
    shoot(page, "shortcuts-image", full_page=False)
    page.keyboard.press("Escape")

    annotation, _ = api_annotation(page, qa_project.pk, item.pk)
    assert annotation["regions"] == [
        {
            "response": image_index,
            "shape": "polygon",
            "points": [[0.1, 0.1], [0.4, 0.1], [0.25, 0.402]],
            "error_type": "wrong-grounding",
            "severity": None,
            "comment": "the cat's outline",
        }
    ]
    (region,) = annotation_of(item, annotator_user).regions.all()
    assert (region.shape, region.points) == ("polygon", [[0.1, 0.1], [0.4, 0.1], [0.25, 0.402]])
