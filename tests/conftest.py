from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import make_item, make_project, make_user


@pytest.fixture
def admin_user(db: Any) -> Any:
    return make_user("alice")


@pytest.fixture
def annotator_user(db: Any) -> Any:
    return make_user("anna")


@pytest.fixture
def reviewer_user(db: Any) -> Any:
    return make_user("rita")


@pytest.fixture
def researcher_user(db: Any) -> Any:
    return make_user("rob")


@pytest.fixture
def outsider(db: Any) -> Any:
    return make_user("oscar")


@pytest.fixture
def project(admin_user: Any, annotator_user: Any, reviewer_user: Any, researcher_user: Any) -> Any:
    return make_project(admin=admin_user, anna="annotator", rita="reviewer", rob="researcher")


@pytest.fixture
def item(project: Any) -> Any:
    return make_item(project)


@pytest.fixture
def client_for() -> Any:
    def build(user: Any) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return build
