"""The read-only admin pages of the rewards app render."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["rewardmodel", "trainingrun", "rewardmodelversion", "scorejob"])
def test_admin_changelists_render(django_user_model: Any, model: str) -> None:
    staff = django_user_model.objects.create_superuser("root", password="pw-root")
    client = Client()
    client.force_login(staff)
    assert client.get(f"/admin/rewards/{model}/").status_code == 200
    assert client.get(f"/admin/rewards/{model}/add/").status_code == 403
