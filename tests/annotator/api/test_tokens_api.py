"""API tokens: hashed at rest, scoped by method and project, revocable."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from annotator.models import ApiToken
from annotator.services.tokens import api_token_create, token_hash
from tests.factories import make_item, make_project

pytestmark = pytest.mark.django_db


def token_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_session_user_creates_token_shown_once_and_stored_hashed(admin_user, project, client_for):
    response = client_for(admin_user).post(
        "/api/v1/tokens/", {"name": "laptop", "scopes": ["read"]}, format="json"
    )
    assert response.status_code == 201
    secret = response.json()["token"]
    stored = ApiToken.objects.get()
    assert stored.key_hash == token_hash(secret)
    assert secret not in (stored.key_hash, stored.prefix)
    listed = client_for(admin_user).get("/api/v1/tokens/").json()
    assert "token" not in listed[0]


def test_read_token_reads_but_cannot_write(annotator_user, project, item):
    _, secret = api_token_create(user=annotator_user, name="r", scopes=["read"])
    client = token_client(secret)
    assert client.get(f"/api/v1/projects/{project.pk}/items/").status_code == 200
    response = client.post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/",
        {"client_id": "8a1f5a8e-7c33-4a8e-9d6f-3d2b7c1e0f11"},
        format="json",
    )
    assert response.status_code == 403
    assert "write" in response.json()["detail"]


def test_write_token_can_annotate(annotator_user, project, item):
    _, secret = api_token_create(user=annotator_user, name="w", scopes=["read", "write"])
    response = token_client(secret).post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/",
        {"client_id": "8a1f5a8e-7c33-4a8e-9d6f-3d2b7c1e0f11"},
        format="json",
    )
    assert response.status_code == 201


def test_project_scoped_token_sees_404_elsewhere(admin_user, project):
    other = make_project(admin=admin_user)
    make_item(other)
    _, secret = api_token_create(user=admin_user, name="p", scopes=["read"], projects=[project])
    client = token_client(secret)
    assert client.get(f"/api/v1/projects/{project.pk}/items/").status_code == 200
    assert client.get(f"/api/v1/projects/{other.pk}/items/").status_code == 404
    assert client.get(f"/api/v1/projects/{other.pk}/").status_code == 404
    ids = [p["id"] for p in client.get("/api/v1/projects/").json()["results"]]
    assert ids == [project.pk]


def test_revoked_token_is_401(admin_user, project, client_for):
    token, secret = api_token_create(user=admin_user, name="x", scopes=["read"])
    assert token_client(secret).get("/api/v1/me/").status_code == 200
    response = client_for(admin_user).post(f"/api/v1/tokens/{token.pk}/revoke/")
    assert response.status_code == 200
    assert token_client(secret).get("/api/v1/me/").status_code == 401


def test_token_cannot_mint_tokens(admin_user):
    _, secret = api_token_create(user=admin_user, name="w", scopes=["read", "write"])
    response = token_client(secret).post(
        "/api/v1/tokens/", {"name": "y", "scopes": ["read"]}, format="json"
    )
    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_unknown_scope_is_400(admin_user, client_for):
    response = client_for(admin_user).post(
        "/api/v1/tokens/", {"name": "z", "scopes": ["root"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "scopes[0]"


def test_session_writes_need_csrf(annotator_user, project, item):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="anna", password="pw-anna")
    response = client.post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/",
        {"client_id": "8a1f5a8e-7c33-4a8e-9d6f-3d2b7c1e0f11"},
        format="json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_anonymous_is_401_or_403_as_json(project: Any):
    response = APIClient().get(f"/api/v1/projects/{project.pk}/items/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()
