"""Runs of an ``openai`` judge against the loopback server answering from recorded responses."""

from __future__ import annotations

import pytest

from annotator.models import Annotation, SpanLabel
from judges.models import JudgeResult, JudgeRun
from judges.services.execution import judge_run_execute
from judges.services.runs import judge_run_create
from tests.judges.conftest import TEXT, case_item, openai_judge

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]


def _run(judge, task="spans", **kwargs):
    run = judge_run_create(judge=judge, task=task, **kwargs)
    return judge_run_execute(run_id=run.pk)


def _result(run, item):
    return JudgeResult.objects.get(run=run, item=item)


def test_valid_output_becomes_a_machine_annotation_with_provenance(
    project, fake_openai, monkeypatch
):
    monkeypatch.setenv("FINEGRAIN_JUDGE_KEY_TEST", "sk-test-123")
    item = case_item(project, "valid")
    judge = openai_judge(project, fake_openai.url, api_key_env="FINEGRAIN_JUDGE_KEY_TEST")

    run = _run(judge)

    assert run.status == JudgeRun.Status.SUCCEEDED, run.error
    assert (run.processed, run.succeeded_count, run.failed_count) == (1, 1, 0)
    assert (run.prompt_tokens, run.completion_tokens, run.requests) == (120, 30, 1)
    result = _result(run, item)
    assert result.status == "succeeded"
    assert result.prompt_version == "spans-v1"
    annotation = Annotation.objects.get(pk=result.annotation_id)
    assert annotation.judge_id == judge.pk
    assert annotation.author_id is None
    spans = [(s.start, s.end, s.error_type.key) for s in annotation.spans.order_by("start")]
    assert spans == [
        (TEXT.index("released in 2019"), TEXT.index("released in 2019") + 16, "wrong-grounding"),
        (TEXT.index("It sold well."), len(TEXT), "irrelevant"),
    ]
    meta = annotation.metadata
    assert meta["judge"] == {"id": judge.pk, "name": "gpt", "kind": "openai", "model": "judge-test"}
    assert meta["prompt_version"] == "spans-v1"
    assert len(meta["prompt_sha256"]) == 64
    assert meta["placement"] == {"exact": 2}
    # The key travels in the header only; structured output is asked for with the schema.
    assert fake_openai.headers[0]["Authorization"] == "Bearer sk-test-123"
    body = fake_openai.requests[0]
    assert body["response_format"]["type"] == "json_schema"
    enum = body["response_format"]["json_schema"]["schema"]["properties"]["errors"]["items"]
    assert enum["properties"]["error_type"]["enum"] == ["irrelevant", "wrong-grounding"]
    assert "<response>\n" + TEXT in body["messages"][1]["content"]


def test_annotators_see_the_run_as_machine_suggestions(
    project, fake_openai, client_for, annotator_user
):
    case_item(project, "valid")
    run = _run(openai_judge(project, fake_openai.url))
    listed = (
        client_for(annotator_user)
        .get(f"/api/v1/projects/{project.pk}/annotations/?source=machine")
        .json()["results"]
    )
    assert [a["judge"]["name"] for a in listed] == ["gpt"]
    assert listed[0]["metadata"]["run"] == run.pk


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("malformed", "not valid JSON"),
        ("missing_quote", "None of the 1 quotes occurs in the text"),
        ("out_of_bounds", "span [500, 516) is outside response 0"),
        ("unknown_type", "'hallucination' is not an error type for spans"),
        ("injected", "'pwned' is not an error type"),
        ("oversized", "the cap is 65536"),
        ("slow", "Timed out"),
        ("error500", "HTTP 500 (after 3 attempts)"),
        ("redirect", "redirects are not followed"),
        ("refusal", "The model refused"),
    ],
)
def test_bad_output_fails_the_item_with_the_reason_and_stores_nothing(
    project, fake_openai, case, reason
):
    item = case_item(project, case)
    judge = openai_judge(project, fake_openai.url, timeout_s=0.3, max_retries=2,
                         max_response_bytes=65536)  # fmt: skip

    run = _run(judge)

    assert run.status == JudgeRun.Status.SUCCEEDED  # the run went through; the item failed
    result = _result(run, item)
    assert result.status == "failed"
    assert reason in result.reason
    assert result.annotation_id is None
    assert not Annotation.objects.filter(judge=judge).exists()
    assert run.failed_count == 1


def test_one_bad_item_does_not_spoil_the_others(project, fake_openai):
    good = case_item(project, "valid", external_id="good")
    bad = case_item(project, "unknown_type", external_id="bad")
    run = _run(openai_judge(project, fake_openai.url))
    assert (run.succeeded_count, run.failed_count) == (1, 1)
    assert _result(run, good).annotation_id is not None
    assert _result(run, bad).annotation_id is None


def test_429_is_retried_then_succeeds(project, fake_openai):
    item = case_item(project, "rate_limited")
    run = _run(openai_judge(project, fake_openai.url))
    result = _result(run, item)
    assert result.status == "succeeded", result.reason
    assert result.requests == 2
    assert len(fake_openai.requests) == 2


def test_5xx_is_retried_up_to_max_retries_only(project, fake_openai):
    case_item(project, "error500")
    _run(openai_judge(project, fake_openai.url, max_retries=1))
    assert len(fake_openai.requests) == 2


def test_quotes_that_cannot_be_placed_are_reported_and_the_rest_stored(project, fake_openai):
    item = case_item(project, "partial")
    run = _run(openai_judge(project, fake_openai.url))
    result = _result(run, item)
    assert result.status == "succeeded"
    assert [u["quote"] for u in result.unplaced] == ["topped the charts in Peru"]
    assert run.unplaced_quotes == 1
    assert SpanLabel.objects.filter(annotation_id=result.annotation_id).count() == 1
    annotation = Annotation.objects.get(pk=result.annotation_id)
    assert annotation.metadata["unplaced_quotes"][0]["quote"] == "topped the charts in Peru"


def test_prose_around_fenced_json_and_case_whitespace_differences_are_handled(project, fake_openai):
    item = case_item(project, "fenced")
    run = _run(openai_judge(project, fake_openai.url, structured_output="none"))
    result = _result(run, item)
    assert result.status == "succeeded", result.reason
    span = SpanLabel.objects.get(annotation_id=result.annotation_id)
    assert TEXT[span.start : span.end] == "released in 2019"
    assert "response_format" not in fake_openai.requests[0]


def test_a_quote_with_a_typo_is_placed_by_the_fuzzy_rule(project, fake_openai):
    item = case_item(project, "fuzzy")
    run = _run(openai_judge(project, fake_openai.url))
    annotation = Annotation.objects.get(pk=_result(run, item).annotation_id)
    span = annotation.spans.get()
    assert TEXT[span.start : span.end] == "Bloom was released in 2019 by Troye Sivan."
    assert annotation.metadata["placement"] == {"fuzzy": 1}


def test_unauthorised_endpoint_fails_the_run(project, fake_openai):
    case_item(project, "unauthorised", external_id="a")
    case_item(project, "valid", external_id="b")
    run = _run(openai_judge(project, fake_openai.url, max_concurrency=1))
    assert run.status == JudgeRun.Status.FAILED
    assert "HTTP 401" in run.error
    assert run.processed >= 1


def test_missing_api_key_variable_fails_the_run_before_any_request(project, fake_openai):
    case_item(project, "valid")
    judge = openai_judge(project, fake_openai.url, api_key_env="FINEGRAIN_JUDGE_KEY_ABSENT")
    run = _run(judge)
    assert run.status == JudgeRun.Status.FAILED
    assert "FINEGRAIN_JUDGE_KEY_ABSENT is not set" in run.error
    assert fake_openai.requests == []


def test_a_host_removed_from_the_allowlist_fails_the_run(project, fake_openai, settings):
    case_item(project, "valid")
    judge = openai_judge(project, fake_openai.url)
    settings.FINEGRAIN_JUDGE_ALLOWED_HOSTS = []
    run = _run(judge)
    assert run.status == JudgeRun.Status.FAILED
    assert "not on the allowlist" in run.error
    assert fake_openai.requests == []


def test_rate_limit_spaces_requests(project, fake_openai):
    for i in range(3):
        case_item(project, "no_errors", external_id=f"r{i}")
    run = _run(openai_judge(project, fake_openai.url, rate_limit_per_minute=600))  # 0.1 s apart
    assert run.succeeded_count == 3
    assert (run.finished_at - run.started_at).total_seconds() >= 0.2


def test_rubric_in_prometheus_absolute_format(project, fake_openai):
    item = case_item(project, "rubric_text")
    judge = openai_judge(project, fake_openai.url, structured_output="none")
    run = _run(judge, task="rubric", options={"criteria": ["factuality"]})
    result = _result(run, item)
    assert result.status == "succeeded", result.reason
    score = Annotation.objects.get(pk=result.annotation_id).rubric_scores.get()
    assert (score.criterion.key, score.score) == ("factuality", 4)
    assert score.rationale.startswith("The response gives the right year")
    user = fake_openai.requests[0]["messages"][1]["content"]
    assert "[RESULT] (an integer number between 1 and 5)" in user
    assert "Score 3: L3 — level 3" in user


def test_rubric_json_mode_and_out_of_range_scores(project, fake_openai):
    good = case_item(project, "rubric_json", external_id="good")
    bad = case_item(project, "rubric_out_of_range", external_id="bad")
    run = _run(
        openai_judge(project, fake_openai.url), task="rubric", options={"criteria": ["factuality"]}
    )
    assert _result(run, good).status == "succeeded"
    assert "Score 9 is outside the levels of 'factuality'" in _result(run, bad).reason
    schema = fake_openai.requests[0]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["result"]["enum"] == [1, 2, 3, 4, 5]


def test_pairwise_relative_and_graded(project, fake_openai):
    relative = case_item(
        project, "pairwise_b", external_id="rel", second="Released 31 August 2018."
    )
    graded = case_item(project, "pairwise_graded", external_id="gr", second="Bloom.")
    out = case_item(project, "pairwise_graded_out_of_range", external_id="out", second="x")
    judge = openai_judge(project, fake_openai.url, structured_output="none")
    run = _run(judge, task="pairwise", filters={"item_ids": [relative.pk]})
    preference = Annotation.objects.get(pk=_result(run, relative).annotation_id).preferences.get()
    assert preference.value == 2
    run = _run(judge, task="pairwise_graded", filters={"item_ids": [graded.pk, out.pk]})
    preference = Annotation.objects.get(pk=_result(run, graded).annotation_id).preferences.get()
    assert (preference.value, preference.rationale) == (-3, "A is much better: B adds nothing.")
    assert "outside -3…+3" in _result(run, out).reason


def test_steps_prm800k_and_out_of_bounds_steps(project, fake_openai):
    steps = ["a = 1", "b = 2", "a + b = 4"]
    good = case_item(project, "steps_valid", external_id="good", steps=steps)
    bad = case_item(project, "steps_out_of_bounds", external_id="bad", steps=steps)
    run = _run(openai_judge(project, fake_openai.url), task="steps")
    labels = Annotation.objects.get(pk=_result(run, good).annotation_id).steps.order_by(
        "step_index"
    )
    assert [(s.step_index, s.rating) for s in labels] == [(0, 1), (1, 1), (2, -1)]
    assert labels[2].error_type.key == "irrelevant"
    assert "step_index 7 is outside the 3 steps" in _result(run, bad).reason


def test_a_second_delivery_of_a_finished_run_changes_nothing(project, fake_openai):
    case_item(project, "valid")
    run = _run(openai_judge(project, fake_openai.url))
    again = judge_run_execute(run_id=run.pk)
    assert again.status == JudgeRun.Status.SUCCEEDED
    assert len(fake_openai.requests) == 1
    assert Annotation.objects.count() == 1


def test_a_resumed_run_skips_items_with_results(project, fake_openai):
    first = case_item(project, "valid", external_id="first")
    case_item(project, "no_errors", external_id="second")
    judge = openai_judge(project, fake_openai.url)
    run = judge_run_create(judge=judge, task="spans")
    JudgeResult.objects.create(run=run, item=first, status="failed", reason="done before")
    JudgeRun.objects.filter(pk=run.pk).update(status="running", heartbeat_at=None)
    run = judge_run_execute(run_id=run.pk)
    assert run.status == JudgeRun.Status.SUCCEEDED
    assert len(fake_openai.requests) == 1
    assert run.attempts == 1


@pytest.mark.parametrize(("limit", "judged"), [(2, 2), (10, 3), (None, 3)])
def test_limit_takes_the_first_items_by_id(project, fake_openai, limit, judged):
    for i in range(3):
        case_item(project, "no_errors", external_id=f"l{i}")
    filters = {"limit": limit} if limit else {}
    run = _run(openai_judge(project, fake_openai.url), filters=filters)
    assert (run.total, run.processed, run.succeeded_count) == (judged, judged, judged)
