"""The admin renders every quality model."""

import pytest
from django.contrib import admin

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_quality_admin_pages_render(client):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    models = [m for m in admin.site._registry if m._meta.app_label == "quality"]
    assert len(models) == 6
    for model in models:
        response = client.get(f"/admin/quality/{model._meta.model_name}/")
        assert response.status_code == 200, model._meta.model_name
