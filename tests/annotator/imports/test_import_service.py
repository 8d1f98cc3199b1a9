"""The generic import: formats, idempotency on external_id, all-or-nothing, line errors."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from annotator.models import ImportJob, Item, Project, Response
from annotator.services import imports as import_service
from annotator.services.annotations import annotation_create
from annotator.services.imports import ImportRejected, import_job_execute
from core.exceptions import ApplicationError, PayloadTooLarge
from tests.annotator.imports.helpers import jsonl, record, run_import

pytestmark = pytest.mark.django_db


def test_jsonl_creates_items_with_every_field_and_response_kind(project, admin_user):
    rich = record(
        "a",
        messages=[{"role": "user", "content": "Hi"}],
        context=[{"title": "Bloom", "sentences": ["One.", "Two."]}],
        metadata={"split": "dev", "tags": ["x"]},
        is_gold=True,
    )
    rich["responses"] = [
        {"text": "Café ☕ 2018.", "model_name": "m1", "metadata": {"t": 0.7}},
        {"kind": "steps", "steps": ["a = 1", "b = 2"]},
        {"kind": "image", "image_url": "https://example.org/x.png", "image_width": 640,
         "image_height": 480},
    ]  # fmt: skip
    job = run_import(project, admin_user, jsonl(rich, record("b", "Only one.")))

    assert job.status == ImportJob.Status.SUCCEEDED
    assert (job.total, job.created_count, job.updated_count, job.unchanged_count) == (2, 2, 0, 0)
    item = Item.objects.get(project=project, external_id="a")
    assert item.prompt == "Question a?"
    assert item.messages == [{"role": "user", "content": "Hi"}]
    assert item.context == [{"title": "Bloom", "sentences": ["One.", "Two."]}]
    assert item.metadata == {"split": "dev", "tags": ["x"]}
    assert item.is_gold is True
    rows = list(item.responses.order_by("index"))
    assert [(r.index, r.kind) for r in rows] == [(0, "text"), (1, "steps"), (2, "image")]
    assert rows[0].text == "Café ☕ 2018."
    assert (rows[0].model_name, rows[0].metadata) == ("m1", {"t": 0.7})
    assert rows[1].steps == ["a = 1", "b = 2"]
    assert (rows[2].image_url, rows[2].image_width, rows[2].image_height) == (
        "https://example.org/x.png", 640, 480)  # fmt: skip
    assert Item.objects.get(external_id="b").responses.count() == 1
    assert not default_storage.exists(job.file_path)  # the upload is removed when done


def test_text_and_json_with_delimiters_survive_the_bulk_write(project, admin_user):
    """COPY's text format (PostgreSQL) and the multi-row INSERT (SQLite) store tabs, newlines,
    backslashes, a literal \\N and big integers exactly as uploaded."""
    tricky = "a\tb\nc\r\nd \\ e \\N f\\t \u2028 \U0001f600"
    big = 2**70
    rec = record("t", tricky, "", metadata={"note": tricky, "big": big, "nested": [None, True]})
    rec["prompt"] = tricky
    rec["responses"].append({"kind": "steps", "steps": [tricky, "\\N"]})
    job = run_import(project, admin_user, jsonl(rec))

    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    item = Item.objects.get(project=project, external_id="t")
    assert item.prompt == tricky
    assert item.metadata == {"note": tricky, "big": big, "nested": [None, True]}
    rows = list(item.responses.order_by("index"))
    assert [r.text for r in rows] == [tricky, "", ""]
    assert rows[2].steps == [tricky, "\\N"]
    assert rows[0].image_width is None
    assert rows[0].metadata == {}
    # Importing the same file again finds every value unchanged.
    again = run_import(project, admin_user, jsonl(rec))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 1)


def test_json_list_and_csv_store_the_same_items_as_jsonl(project, admin_user, settings):
    records = [
        record("a", "A0", "A1", context=[{"title": "T", "sentences": ["s"]}], metadata={"k": 1}),
        record("b", "B0"),
    ]
    records[0]["responses"][1]["model_name"] = "gpt"
    text = json.dumps(records, indent=2).encode()
    csv_text = (
        b"external_id,prompt,response_0,response_1,model_name_1,context,metadata\r\n"
        b'a,Question a?,A0,A1,gpt,"[{""title"": ""T"", ""sentences"": [""s""]}]","{""k"": 1}"\r\n'
        b"b,Question b?,B0,,,,\r\n"
    )
    for name, content in (("x.json", text), ("x.csv", csv_text)):
        other = Project.objects.create(name=name)
        job = run_import(other, admin_user, content, name=name)
        assert job.status == "succeeded", job.errors
        assert job.format == name.split(".")[1]
        stored = {
            i.external_id: (i.prompt, i.context, i.metadata,
                            [(r.text, r.model_name) for r in i.responses.all()])
            for i in Item.objects.filter(project=other).prefetch_related("responses")
        }  # fmt: skip
        assert stored == {
            "a": ("Question a?", [{"title": "T", "sentences": ["s"]}], {"k": 1},
                  [("A0", ""), ("A1", "gpt")]),
            "b": ("Question b?", [], {}, [("B0", "")]),
        }  # fmt: skip


def test_reimporting_the_same_file_changes_nothing(project, admin_user):
    content = jsonl(record("a"), record("b", "x", "y", "z"))
    run_import(project, admin_user, content)
    before = {(r.pk, r.item_id, r.text) for r in Response.objects.filter(item__project=project)}
    stamps = dict(Item.objects.values_list("external_id", "updated_at"))

    again = run_import(project, admin_user, content)

    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    after = {(r.pk, r.item_id, r.text) for r in Response.objects.filter(item__project=project)}
    assert after == before
    assert dict(Item.objects.values_list("external_id", "updated_at")) == stamps


def test_changed_item_without_annotations_is_updated_and_its_responses_replaced(
    project, admin_user
):
    run_import(project, admin_user, jsonl(record("a", "old 0", "old 1", "old 2")))
    job = run_import(project, admin_user, jsonl(record("a", "new 0"), record("b")))

    assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 1, 0)
    item = Item.objects.get(project=project, external_id="a")
    assert list(item.responses.values_list("index", "text")) == [(0, "new 0")]


def test_changed_item_with_annotations_is_refused_and_nothing_is_written(project, admin_user):
    run_import(project, admin_user, jsonl(record("a", "Bloom came out in 2018.")))
    item = Item.objects.get(project=project, external_id="a")
    annotation_create(
        item=item,
        author=admin_user,
        client_id=uuid.uuid4(),
        units={"spans": [{"response": 0, "start": 0, "end": 5, "error_type": "irrelevant"}]},
    )

    with pytest.raises(ImportRejected) as caught:
        run_import(project, admin_user, jsonl(record("new"), record("a", "Rewritten.")))

    assert caught.value.errors[0]["line"] == 2
    assert caught.value.errors[0]["field"] == "external_id"
    assert "has annotations" in caught.value.errors[0]["message"]
    assert item.responses.get(index=0).text == "Bloom came out in 2018."
    assert not Item.objects.filter(project=project, external_id="new").exists()
    assert ImportJob.objects.filter(project=project).latest("id").status == "failed"


def test_a_bad_line_3_of_5_stores_nothing_and_names_line_and_field(project, admin_user):
    rows = [record(f"r{i}") for i in range(5)]
    rows[2]["responses"][1]["kind"] = "video"

    with pytest.raises(ImportRejected) as caught:
        run_import(project, admin_user, jsonl(*rows))

    assert caught.value.errors == [
        {"line": 3, "field": "responses[1].kind",
         "message": "Unknown kind 'video'; use one of text, steps, image."}
    ]  # fmt: skip
    assert not Item.objects.filter(project=project).exists()
    job = ImportJob.objects.get(pk=caught.value.extra["job_id"])
    assert job.status == "failed"
    assert job.errors == caught.value.errors
    assert job.total == 5


def test_every_error_is_collected_and_blank_lines_are_skipped(project, admin_user):
    lines = [
        json.dumps(record("ok")),
        "",
        json.dumps({"prompt": "no id", "responses": [{"text": "x"}], "respones": []}),
        "   ",
        "{not json",
        json.dumps(record("ok")),
        json.dumps(record("c", is_gold="yes")),
    ]
    with pytest.raises(ImportRejected) as caught:
        run_import(project, admin_user, "\n".join(lines).encode())

    found = [(e["line"], e["field"]) for e in caught.value.errors]
    assert found == [
        (3, "respones"),
        (3, "external_id"),
        (5, ""),
        (6, "external_id"),
        (7, "is_gold"),
    ]
    assert "already appears at line 1" in caught.value.errors[3]["message"]
    assert caught.value.message.startswith("line 3, respones: Unknown field")


def test_error_list_is_capped_but_counted(project, admin_user):
    content = "\n".join(json.dumps({"external_id": f"x{i}"}) for i in range(1200)).encode()
    with pytest.raises(ImportRejected) as caught:
        run_import(project, admin_user, content)
    assert len(caught.value.errors) == 1000
    assert "1200 errors; the first 1000 are listed" in caught.value.message


def test_invalid_utf8_names_the_line_and_byte(project, admin_user):
    content = jsonl(record("a")) + b'{"external_id": "b\xff"}\n' + jsonl(record("c"))
    with pytest.raises(ImportRejected) as caught:
        run_import(project, admin_user, content)
    (error,) = caught.value.errors
    offset = len(jsonl(record("a"))) + len('{"external_id": "b')
    assert error["line"] == 2
    assert f"byte {offset} of the file" in error["message"]
    assert not Item.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "field"),
    [
        ("x.jsonl", jsonl(record("a", "fine", "bad \x00 text")), "responses[1].text"),
        ("x.json", json.dumps([{**record("a"), "metadata": {"k\x00": 1}}]).encode(), "metadata"),
        ("x.csv", b"external_id,prompt,response_0\na,bad \x00 prompt,r\n", "prompt"),
    ],
)
def test_nul_characters_are_refused_naming_line_and_field(
    project, admin_user, name, content, field
):
    with pytest.raises(ImportRejected) as caught:
        run_import(project, admin_user, content, name=name)
    (error,) = caught.value.errors
    assert (error["line"], error["field"]) == (2 if name == "x.csv" else 1, field)
    assert "NUL" in error["message"]


def test_json_list_errors_give_the_line_and_the_record_position(project, admin_user):
    rows = [record("a"), record("b"), {"external_id": 7, "responses": [{"text": "x"}]}]
    content = ("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n").encode()
    with pytest.raises(ImportRejected) as caught:
        run_import(project, admin_user, content, name="x.json")
    assert caught.value.errors == [
        {
            "line": 4,
            "record": 2,
            "field": "external_id",
            "message": "Must be a string, not a number.",
        }
    ]


def test_deeply_nested_metadata_is_refused(project, admin_user):
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["k"] = {}
        node = node["k"]
    with pytest.raises(ImportRejected) as caught:
        run_import(project, admin_user, jsonl(record("a", metadata=deep)))
    assert "deeper than" in caught.value.errors[0]["message"]


@pytest.mark.parametrize(
    ("header", "field", "message"),
    [
        ("external_id,response_0,response_2", "response_0", "without gaps"),
        ("external_id,prompt,answer", "answer", "Unknown column"),
        ("prompt,response_0", "external_id", "needs an external_id"),
        ("external_id,response_0,model_name_1", "model_name_1", "no response_1"),
    ],
)
def test_csv_header_problems_are_reported(project, admin_user, header, field, message):
    content = f"{header}\n".encode()
    with pytest.raises(ImportRejected) as caught:
        run_import(project, admin_user, content, name="x.csv")
    assert any(e["field"] == field and message in e["message"] for e in caught.value.errors)


def test_csv_row_problems_name_the_row_line(project, admin_user):
    content = (
        b"external_id,response_0,response_1,is_gold\n"
        b'a,"multi\nline answer",,true\n'
        b"b,,second,\n"
        b"c,x,y,maybe\n"
    )
    with pytest.raises(ImportRejected) as caught:
        run_import(project, admin_user, content, name="x.csv")
    assert [(e["line"], e["field"]) for e in caught.value.errors] == [
        (4, "response_0"),
        (5, "is_gold"),
    ]


def test_format_comes_from_the_extension_or_is_refused_listing_the_valid_ones(project, admin_user):
    with pytest.raises(ApplicationError) as caught:
        run_import(project, admin_user, jsonl(record("a")), name="items.txt")
    assert caught.value.field == "format"
    assert "json, jsonl, csv, qa-feedback" in caught.value.message
    with pytest.raises(ApplicationError, match="Unknown format 'xml'"):
        run_import(project, admin_user, jsonl(record("a")), format="xml")
    job = run_import(project, admin_user, jsonl(record("a")), name="items.txt", format="jsonl")
    assert job.status == "succeeded"


def test_upload_over_the_limit_is_refused_naming_it(project, admin_user, settings):
    settings.FINEGRAIN_MAX_UPLOAD = 100
    with pytest.raises(PayloadTooLarge) as caught:
        run_import(project, admin_user, b"x" * 101)
    assert caught.value.status_code == 413
    assert "the limit is 100 bytes" in caught.value.message
    assert not ImportJob.objects.exists()


def test_large_upload_is_queued_on_commit_and_run_once_by_the_worker(
    project, admin_user, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.FINEGRAIN_IMPORT_INLINE_MAX_BYTES = 10
    sent: list[int] = []
    monkeypatch.setattr(import_service.import_job_execute_task, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = run_import(project, admin_user, jsonl(record("a"), record("b")), run_inline=None)

    assert job.status == ImportJob.Status.QUEUED
    assert len(callbacks) == 1
    assert sent == [job.pk]
    assert not Item.objects.exists()

    done = import_job_execute(job_id=job.pk)
    assert (done.status, done.created_count, done.processed) == ("succeeded", 2, 2)
    again = import_job_execute(job_id=job.pk)  # a second delivery finds the job finished
    assert (again.status, again.finished_at) == ("succeeded", done.finished_at)
    assert Item.objects.count() == 2


def test_running_job_is_left_alone_unless_its_heartbeat_is_stale(project, admin_user, settings):
    settings.FINEGRAIN_IMPORT_INLINE_MAX_BYTES = 0
    job = run_import(project, admin_user, jsonl(record("a")), run_inline=False)
    ImportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=timezone.now())

    assert import_job_execute(job_id=job.pk).status == "running"
    assert not Item.objects.exists()

    stale = timezone.now() - timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=stale)
    assert import_job_execute(job_id=job.pk).status == "succeeded"
    assert Item.objects.filter(project=project).count() == 1


def test_a_large_import_refreshes_the_planner_statistics(
    project, admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    """On PostgreSQL an import of ANALYZE_AFTER rows or more enqueues the statistics refresh
    after it commits, which runs ANALYZE on the item and response tables; SQLite keeps no
    statistics (nothing is enqueued, the service does nothing). Small imports never do."""
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    monkeypatch.setattr(import_service, "ANALYZE_AFTER", 3)
    with django_capture_on_commit_callbacks() as small:
        run_import(project, admin_user, jsonl(record("a"), record("b")))
    with django_capture_on_commit_callbacks() as large:
        run_import(project, admin_user, jsonl(record("c"), record("d"), record("e")))
    postgres = connection.vendor == "postgresql"
    assert (len(small), len(large)) == (0, 1 if postgres else 0)
    with CaptureQueriesContext(connection) as queries:
        import_service.item_statistics_refresh()
    analyzed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    assert analyzed == (['ANALYZE "annotator_item", "annotator_response"'] if postgres else [])
