"""Browser helpers shared by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import connection

from annotator.models import Annotation

RECT_JS = """
([selector, start, end]) => {
  const root = document.querySelector(selector);
  const rectOf = (pos) => {
    for (const seg of root.querySelectorAll('[data-s]')) {
      const s = Number(seg.dataset.s), e = Number(seg.dataset.e);
      if (pos >= s && pos < e) {
        const node = seg.firstChild;
        const r = document.createRange();
        r.setStart(node, pos - s);
        const width = node.data.codePointAt(pos - s) > 0xffff ? 2 : 1;
        r.setEnd(node, Math.min(e - s, pos - s + width));
        const rects = r.getClientRects();
        return rects[0];
      }
    }
    throw new Error('no segment at ' + pos);
  };
  const a = rectOf(start);
  let lastStart = end - 1;
  const data = root.textContent;
  const c = data.charCodeAt(lastStart);
  if (c >= 0xdc00 && c <= 0xdfff) lastStart -= 1;
  const b = rectOf(lastStart);
  // A right-to-left run starts at its right edge: grab the outer edge of both end characters.
  const rtl = Math.abs(a.top - b.top) < 2 && b.left < a.left;
  return rtl
    ? { x1: a.right - 1, y1: a.top + a.height / 2, x2: b.left + 1, y2: b.top + b.height / 2 }
    : { x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2 };
}
"""


SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def shoot_element(locator: Any, name: str) -> Path:
    """Save a screenshot of one element as artifacts/screenshots/<name>.png (as ``shoot``
    does for whole pages)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    locator.screenshot(path=str(path))
    return path


def utf16_slice(text: str, start: int, end: int) -> str:
    """text[start:end] in UTF-16 code units, as the browser counts."""
    data = text.encode("utf-16-le")
    return data[2 * start : 2 * end].decode("utf-16-le")


def utf16_index(text: str, needle: str) -> int:
    """UTF-16 offset of the first occurrence of needle."""
    return len(text[: text.index(needle)].encode("utf-16-le")) // 2


def drag_select(page: Any, selector: str, start: int, end: int) -> None:
    """Select [start, end) (UTF-16) of the span layer at ``selector`` by dragging the mouse."""
    box = page.evaluate(RECT_JS, [selector, start, end])
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=4)
    page.mouse.move(box["x2"], box["y2"], steps=4)
    page.mouse.up()


def wait_saved(page: Any, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-testid=sync-status]')"
        "?.textContent.startsWith('saved')",
        timeout=timeout,
    )


def fresh() -> None:
    """Drop this thread's database connection, so the next read sees what the live server
    wrote (an SQLite WAL reader can otherwise keep reading an older snapshot)."""
    connection.close()


def annotation_of(item: Any, user: Any) -> Annotation:
    fresh()
    return (
        Annotation.objects.filter(item=item, author=user)
        .prefetch_related("spans__error_type", "spans__response", "steps", "regions")
        .get()
    )


def span_texts(annotation: Annotation) -> list[tuple[int, str, str]]:
    """(response index, error type, text[start:end]) of every span, by the stored offsets."""
    return [
        (s.response.index, s.error_type.key, s.response.text[s.start : s.end])
        for s in annotation.spans.all()
    ]


def api_get(page: Any, path: str) -> Any:
    """GET an API path with the page's session (the browser context's cookies); the JSON."""
    response = page.request.get(path)
    assert response.ok, f"GET {path}: {response.status} {response.text()}"
    return response.json()


def api_annotation(page: Any, project_id: int, item_id: int) -> tuple[Any, dict[int, str]]:
    """The signed-in user's annotation of an item as the API returns it, and the item's
    response texts by index (what its code point offsets index into)."""
    user = page.evaluate("document.querySelector('.topbar .user').textContent")
    page_ = api_get(
        page,
        f"/api/v1/projects/{project_id}/annotations/?item={item_id}&author={user}&source=human",
    )
    (annotation,) = page_["results"]
    item = api_get(page, f"/api/v1/projects/{project_id}/items/{item_id}/")
    texts = {r["index"]: r["text"] for r in item["responses"]}
    return annotation, texts


def api_span_texts(annotation: Any, texts: dict[int, str]) -> list[tuple[int, str, str]]:
    """(response, error type, text[start:end]) of the API's spans: Python slices code points."""
    return [
        (s["response"], s["error_type"], texts[s["response"]][s["start"] : s["end"]])
        for s in annotation["spans"]
    ]
