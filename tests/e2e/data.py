"""Test data for the browser tests: a QA-FEEDBACK item with a steps and an image response."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

from annotator.models import Item, Response
from annotator.services.projects import project_update

SAMPLE = Path(__file__).resolve().parents[2] / "annotator" / "demo" / "qa_feedback_sample.json"
IMAGE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400">'
    '<rect width="640" height="400" fill="#dfe9f5"/><circle cx="200" cy="200" r="110" '
    'fill="#f4b942"/><rect x="380" y="120" width="180" height="160" fill="#5a8dd6"/>'
    '<text x="20" y="380" font-size="22" fill="#333">a cat sitting on a mat</text></svg>'
)
IMAGE_URL = "data:image/svg+xml," + urllib.parse.quote(IMAGE_SVG)
GUIDELINES = (
    "# Guidelines\n\nLabel **every** error. Use the *smallest* span.\n\n"
    "| key | type |\n|---|---|\n| 1 | Irrelevant |\n"
)


def qa_feedback_record(index: int = 0) -> dict[str, Any]:
    records = json.loads(SAMPLE.read_text())
    return records[index]


def make_qa_item(project: Any, *, external_id: str = "qa-1", texts: tuple[str, ...] = ()) -> Item:
    """The first QA-FEEDBACK record as an item (question, passages, two predictions), plus a
    three-step response and an image response."""
    record = qa_feedback_record(0)
    item = Item.objects.create(
        project=project,
        external_id=external_id,
        prompt=record["question"],
        context=[{"title": p[0], "sentences": p[1:]} for p in record["passages"]],
    )
    texts = texts or (record["prediction 1"], record["prediction 2"])
    rows = [
        Response(item=item, index=i, text=t, model_name=f"t5-large-{i}")
        for i, t in enumerate(texts)
    ]
    rows.append(
        Response(
            item=item,
            index=len(rows),
            kind="steps",
            model_name="reasoner",
            steps=[
                "Bloom is Troye Sivan's second studio album.",
                "It was released through EMI Australia and Capitol Records.",
                "So it came out on 31 August 2017.",
            ],
        )
    )
    rows.append(
        Response(
            item=item,
            index=len(rows),
            kind="image",
            model_name="painter",
            image_url=IMAGE_URL,
            image_width=640,
            image_height=400,
        )
    )
    Response.objects.bulk_create(rows)
    project_update(project=project, data={"guidelines": GUIDELINES})
    return item


EMOJI_TEXT = (
    "Family 👨‍👩‍👧 went to 東京 🇯🇵 and said שלום עולם; café vs cafe\u0301 👍🏽 done ❤️ 𝕏 end."
)
