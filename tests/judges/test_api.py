"""Thin API tests per endpoint: success, another project's id (404), a validation error."""

from __future__ import annotations

import pytest
from django.contrib import admin

from annotator.models import Judge
from annotator.services.projects import project_create
from judges.models import JudgeRun, ProjectJudgePolicy
from judges.services.configs import judge_create
from rewards.services.runs import reward_model_create
from rewards.services.scoring import reward_model_judge
from tests.factories import make_item, make_project, make_user

pytestmark = pytest.mark.django_db
OPENAI = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "FINEGRAIN_JUDGE_KEY_X"}


def base(project):
    return f"/api/v1/projects/{project.pk}/judges/"


@pytest.fixture
def other(outsider):
    return project_create(name="Other", created_by=outsider)


@pytest.fixture
def judge(project, allow_loopback):
    return judge_create(project=project, name="gpt", kind="openai", config=OPENAI)


def test_create_judge_never_returns_a_secret(
    project, admin_user, client_for, allow_loopback, monkeypatch
):
    monkeypatch.setenv("FINEGRAIN_JUDGE_KEY_X", "sk-very-secret")
    response = client_for(admin_user).post(
        base(project), {"name": "gpt", "kind": "openai", "config": OPENAI}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["config"]["api_key_env"] == "FINEGRAIN_JUDGE_KEY_X"
    assert body["config"]["max_concurrency"] == 4
    assert body["api_key_env_set"] is True
    assert body["model_name"] == "m"
    assert "sk-very-secret" not in response.content.decode()
    listed = client_for(admin_user).get(base(project)).json()
    assert [j["name"] for j in listed] == ["gpt"]


def test_a_host_off_the_allowlist_is_a_400_naming_the_field(project, admin_user, client_for):
    response = client_for(admin_user).post(
        base(project), {"name": "gpt", "kind": "openai", "config": OPENAI}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "config.base_url"
    ProjectJudgePolicy.objects.create(project=project, allowed_hosts=["127.0.0.1"])
    response = client_for(admin_user).post(
        base(project), {"name": "gpt", "kind": "openai", "config": OPENAI}, format="json"
    )
    assert response.status_code == 201


def test_only_admins_configure_and_outsiders_get_404(
    project, other, judge, annotator_user, admin_user, client_for
):
    response = client_for(annotator_user).patch(
        f"{base(project)}{judge.pk}/", {"name": "x"}, format="json"
    )
    assert response.status_code == 403
    assert client_for(annotator_user).get(f"{base(project)}{judge.pk}/").status_code == 200
    assert client_for(admin_user).get(f"{base(other)}").status_code == 404
    assert client_for(admin_user).get(f"{base(other)}{judge.pk}/").status_code == 404


def test_patch_replaces_the_config(project, judge, admin_user, client_for):
    response = client_for(admin_user).patch(
        f"{base(project)}{judge.pk}/", {"config": OPENAI | {"model": "m2", "temperature": 0.5}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    assert (response.json()["model_name"], response.json()["config"]["temperature"]) == ("m2", 0.5)


def test_start_a_run_enqueues_it_on_commit(
    project, judge, admin_user, client_for, django_capture_on_commit_callbacks
):
    make_item(project)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(admin_user).post(
            f"{base(project)}{judge.pk}/runs/",
            {"task": "spans", "filters": {"limit": 5}, "options": {"responses": [0]}},
            format="json",
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["status"], body["total"], body["prompt_version"]) == ("queued", 1, "spans-v1")
    assert len(callbacks) == 1
    run_url = f"{base(project)}{judge.pk}/runs/{body['id']}/"
    assert client_for(admin_user).get(run_url).json()["id"] == body["id"]
    assert client_for(admin_user).get(f"{run_url}results/").json()["results"] == []
    assert (
        client_for(admin_user).get(f"{base(project)}runs/").json()["results"][0]["id"] == body["id"]
    )
    cancelled = client_for(admin_user).post(f"{run_url}cancel/").json()
    assert cancelled["status"] == "cancelled"


def test_run_validation_errors(project, judge, admin_user, client_for):
    client = client_for(admin_user)
    url = f"{base(project)}{judge.pk}/runs/"
    response = client.post(url, {"task": "spans", "prompt_template": "rubric-v1"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "prompt_template"
    response = client.post(
        url, {"task": "rubric", "options": {"criteria": ["nope"]}}, format="json"
    )
    assert response.json()["errors"][0]["field"] == "options.criteria"
    response = client.post(url, {"task": "dance"}, format="json")
    assert response.json()["errors"][0]["field"] == "task"


def test_an_external_judge_cannot_run(project, admin_user, client_for):
    judge = judge_create(project=project, name="ext")
    response = client_for(admin_user).post(
        f"{base(project)}{judge.pk}/runs/", {"task": "spans"}, format="json"
    )
    assert response.status_code == 400
    assert "cannot run" in response.json()["detail"]


def test_a_reward_model_of_another_project_is_a_400_naming_the_field(
    project, outsider, admin_user, client_for, allow_backbones
):
    theirs = reward_model_create(project=make_project(admin=outsider), created_by=outsider,
                                 name="rm", kind="span", backbone=str(allow_backbones))  # fmt: skip
    body = {"name": "rm", "kind": "reward_model", "config": {"reward_model": theirs.pk}}
    response = client_for(admin_user).post(base(project), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "config.reward_model"
    assert not Judge.objects.filter(project=project).exists()


def test_a_run_of_a_reward_model_without_an_active_version_is_a_400(
    project, admin_user, client_for, allow_backbones
):
    mine = reward_model_create(project=project, created_by=admin_user, name="rm", kind="span",
                               backbone=str(allow_backbones))  # fmt: skip
    body = {"name": "rm", "kind": "reward_model", "config": {"reward_model": mine.pk}}
    response = client_for(admin_user).post(base(project), body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["model_name"], response.json()["tasks"]) == ("rm", ["spans"])
    runs = f"{base(project)}{response.json()['id']}/runs/"
    response = client_for(admin_user).post(runs, {"task": "spans"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "config.reward_model"
    assert "no active version" in response.json()["detail"]
    assert not JudgeRun.objects.exists()


def test_calibration_get_404_until_computed(project, judge, admin_user, annotator_user, client_for):
    url = f"{base(project)}{judge.pk}/calibration/"
    assert client_for(admin_user).get(url).status_code == 404
    assert client_for(annotator_user).post(url, {}, format="json").status_code == 403
    response = client_for(admin_user).post(url, {"span_responses": [0]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["report"]["items_compared"] == 0
    assert client_for(admin_user).get(url).json()["id"] == response.json()["id"]
    bad = client_for(admin_user).post(url, {"span_responses": ["x"]}, format="json")
    assert bad.status_code == 400


def test_prompt_templates_list_and_versions(project, other, admin_user, client_for):
    url = f"{base(project)}prompt-templates/"
    shipped = client_for(admin_user).get(url).json()
    assert {"spans-v1", "steps-v1", "rubric-v1", "pairwise-v1", "pairwise_graded-v1"} <= {
        t["version"] for t in shipped
    }
    body = {"name": "terse", "task": "spans", "user": "Find errors in:\n$response"}
    first = client_for(admin_user).post(url, body, format="json").json()
    second = client_for(admin_user).post(url, body, format="json").json()
    assert (first["version"], second["version"]) == ("project/terse-v1", "project/terse-v2")
    bad = client_for(admin_user).post(url, body | {"task": "steps"}, format="json")
    assert bad.status_code == 400
    assert client_for(admin_user).get(f"{base(other)}prompt-templates/").status_code == 404


def test_allowed_hosts_lists_both_sources(project, admin_user, client_for, settings):
    settings.FINEGRAIN_JUDGE_ALLOWED_HOSTS = ["api.example.com"]
    ProjectJudgePolicy.objects.create(project=project, allowed_hosts=["vLLM.internal"])
    body = client_for(admin_user).get(f"{base(project)}allowed-hosts/").json()
    assert body["hosts"] == ["api.example.com", "vllm.internal"]


def test_admin_pages_render_for_every_judges_model(client, project, judge):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    registered = [m for m in admin.site._registry if m._meta.app_label == "judges"]
    assert len(registered) == 6
    for model in registered:
        response = client.get(f"/admin/judges/{model._meta.model_name}/")
        assert response.status_code == 200, model._meta.model_name
    assert client.get("/admin/judges/judgeconfiguration/add/").status_code == 200
    assert client.get(f"/admin/judges/judgeconfiguration/{judge.pk}/change/").status_code == 200


def test_the_list_shows_each_judges_last_run_and_whether_it_can_be_configured(
    project, judge, admin_user, client_for, allow_backbones, django_assert_max_num_queries
):
    make_item(project)
    external = judge_create(project=project, name="ext")
    first = client_for(admin_user).post(f"{base(project)}{judge.pk}/runs/", {"task": "spans"},
                                        format="json").json()  # fmt: skip
    second = client_for(admin_user).post(f"{base(project)}{judge.pk}/runs/", {"task": "spans"},
                                         format="json").json()  # fmt: skip
    model = reward_model_create(project=project, created_by=admin_user, name="rm", kind="span",
                                backbone=str(allow_backbones))  # fmt: skip
    carrier = reward_model_judge(model)
    client = client_for(admin_user)
    with django_assert_max_num_queries(12):  # the runs of every judge in one query
        listed = {j["name"]: j for j in client.get(base(project)).json()}
    assert first["id"] < second["id"]
    assert listed["gpt"]["last_run"]["id"] == second["id"]
    assert listed["gpt"]["last_run"]["status"] == "queued"
    assert (listed["gpt"]["configurable"], listed["gpt"]["suggestions_of_reward_model"]) == (
        True, None)  # fmt: skip
    assert (listed["ext"]["last_run"], listed["ext"]["configurable"]) == (None, False)
    shown = listed[carrier.name]
    assert (shown["configurable"], shown["suggestions_of_reward_model"]) == (False, model.pk)
    assert shown["config"] is None
    one = client.get(f"{base(project)}{judge.pk}/").json()
    assert one["last_run"]["id"] == second["id"]
    assert client.get(f"{base(project)}{external.pk}/").json()["last_run"] is None


def test_a_field_error_message_does_not_repeat_the_field(project, admin_user, client_for):
    body = {"name": "r", "kind": "rules", "config": {"rules": [{"error_type": "irrelevant",
                                                                "pattern": "("}]}}  # fmt: skip
    response = client_for(admin_user).post(base(project), body, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "config.rules[0].pattern"
    assert not error["message"].startswith("config.")
    assert response.json()["detail"] == f"{error['field']}: {error['message']}"
