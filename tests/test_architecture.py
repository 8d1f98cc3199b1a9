"""Import rules (STYLE rules 7 and 34): training is Django-free, web code never imports torch.

Imports are checked in a fresh interpreter (a subprocess), because this test process has
already loaded Django and whatever other tests imported.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def absolute_imports(package: str) -> list[tuple[str, str]]:
    """``(file:line, module)`` for every absolute import under ``package``."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            found += [(f"{path.relative_to(ROOT)}:{node.lineno}", module) for module in modules]
    return found


def test_training_package_imports_without_django() -> None:
    """rewards.training runs in a worker without Django (STYLE rule 7)."""
    result = run_python(
        """
        import sys
        import rewards.training
        loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
        assert not loaded, loaded
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


TRAINING_MODULES = sorted(
    path.stem for path in (ROOT / "rewards" / "training").glob("*.py") if path.stem != "__init__"
)


@pytest.mark.parametrize("module", TRAINING_MODULES)
def test_each_training_module_imports_without_django(module: str) -> None:
    """Every module of rewards.training loads in a worker without Django (STYLE rule 7);
    config.py, which the API validates against, loads without torch too (rule 34)."""
    result = run_python(
        f"""
        import sys
        import rewards.training.{module}
        loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
        assert not loaded, loaded
        if "{module}" == "config":
            torch = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers"))
            assert not torch, torch
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_training_code_imports_only_torch_side_modules() -> None:
    """rewards/training imports no Django, app or Celery code; of core only core.records and
    core.segments."""

    def allowed(module: str) -> bool:
        top = module.split(".")[0]
        if top in ("django", "rest_framework", "celery", "config", "annotator"):
            return False
        if top == "rewards":
            return module == "rewards.training" or module.startswith("rewards.training.")
        if top == "core":
            # core.segments: the dependency-free segmenter shared with the dense export format.
            return module in ("core.records", "core.segments")
        return True

    offending = [
        f"{where}: {module}"
        for where, module in absolute_imports("rewards/training")
        if not allowed(module)
    ]
    assert offending == []


def test_web_urls_load_without_torch() -> None:
    """The web process (every URLconf and view) never imports torch (STYLE rule 34)."""
    result = run_python(
        """
        import sys
        import django
        django.setup()
        import config.urls
        from django.urls import get_resolver
        get_resolver().url_patterns  # resolve every include()
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers"))
        assert not loaded, loaded
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_task_modules_load_without_torch() -> None:
    """Beat and the web image import every tasks module; torch stays inside task bodies."""
    result = run_python(
        """
        import sys
        import django
        django.setup()
        from config.celery import app
        app.loader.import_default_modules()
        assert any(not name.startswith("celery.") for name in app.tasks), sorted(app.tasks)
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers"))
        assert not loaded, loaded
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def local_apps() -> tuple[str, ...]:
    """Top-level packages that are Django apps of this project (they have an apps.py)."""
    return tuple(sorted(path.parent.name for path in ROOT.glob("*/apps.py")))


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("core", tuple(app for app in local_apps() if app != "core")),
        ("annotator", ("rewards", "judges", "quality", "snapshots")),
        ("rewards", ("judges", "quality")),
        ("snapshots", ("judges", "quality", "rewards")),
    ],
)
def test_app_dependencies_point_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    """The shared kernel (core) imports no app; annotator imports no other app (STYLE rule 7);
    rewards builds on annotator and snapshots, and judges on rewards, never the other way."""
    assert "annotator" in local_apps()
    offending = [
        f"{where}: {module}"
        for where, module in absolute_imports(package)
        if module.split(".")[0] in forbidden
    ]
    assert offending == []
