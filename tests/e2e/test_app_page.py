"""The Django side of the browser app: login required, assets from the Vite manifest, CSP."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from frontend.views import _assets_from

pytestmark = pytest.mark.django_db


def test_assets_come_from_the_manifest_entry_and_its_imports() -> None:
    manifest = {
        "src/main.tsx": {
            "file": "assets/main-abc.js",
            "css": ["assets/main-abc.css"],
            "imports": ["_vendor.js"],
            "isEntry": True,
        },
        "_vendor.js": {"file": "assets/vendor-def.js", "css": ["assets/vendor-def.css"]},
    }
    assert _assets_from(manifest) == {
        "scripts": ["/static/assets/main-abc.js"],
        "css": ["/static/assets/main-abc.css", "/static/assets/vendor-def.css"],
        "preload": ["/static/assets/vendor-def.js"],
    }


def test_app_needs_login_and_has_no_inline_script(annotator_user: Any, frontend_dist: Any) -> None:
    client = Client()
    response = client.get("/projects/1/annotate")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(annotator_user)
    page = client.get("/projects/1/annotate")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<script type="module" src="/static/assets/' in html
    assert "<script>" not in html
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "csrftoken" in page.cookies
