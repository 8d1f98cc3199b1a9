"""The web side of judges never imports torch (STYLE rule 34)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
django.setup()
import judges.api.urls, judges.admin, judges.services.runs, judges.services.calibration
import judges.tasks
bad = [m for m in ("torch", "transformers", "judges.services.execution") if m in sys.modules]
print(",".join(bad))
"""


def test_the_api_does_not_import_torch_or_the_execution_service():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
