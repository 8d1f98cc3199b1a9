"""Downloads load with Hugging Face ``datasets.load_dataset`` ("json" and "parquet").

The loader runs in a subprocess started outside the tree, with a plain environment, as a
researcher's script would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.snapshots.test_snapshots_api import body, create_and_build, url

pytestmark = pytest.mark.django_db

LOADER = """
import json, sys
import datasets
kind, path, cache = sys.argv[1:4]
ds = datasets.load_dataset(kind, data_files=path, split="train", cache_dir=cache)
print(json.dumps({"columns": ds.column_names, "rows": ds.to_list()}))
"""


def load(kind: str, path: Path, tmp_path: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    env |= {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    out = subprocess.run(
        [sys.executable, "-c", LOADER, kind, str(path), str(tmp_path / "cache")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    ("query", "columns"),
    [
        ({"format": "preference", "style": "conversational"}, ["prompt", "chosen", "rejected"]),
        ({"format": "stepwise", "neutral": "false"}, ["prompt", "completions", "labels"]),
        ({"format": "unpaired"}, ["prompt", "completion", "label"]),
        ({"format": "spans"}, ["prompt", "completion", "spans"]),
        ({"format": "dense"}, ["prompt", "completion", "sentences", "rewards"]),
    ],
)
@pytest.mark.parametrize("file_type", ["jsonl", "parquet"])
def test_downloads_load_with_load_dataset(project, admin_user, client_for, labelled, tmp_path,
                                          query, columns, file_type):  # fmt: skip
    client = client_for(admin_user)
    snap = create_and_build(client, project)
    response = client.get(url(project, f"{snap['id']}/export/"), {**query, "file_type": file_type})
    assert response.status_code == 200
    data = body(response)
    path = tmp_path / f"export.{file_type}"
    path.write_bytes(data)
    loaded = load("json" if file_type == "jsonl" else "parquet", path, tmp_path)
    assert set(columns) <= set(loaded["columns"])
    if file_type == "jsonl":
        expected = [json.loads(line) for line in data.decode().splitlines()]
        assert loaded["rows"] == expected
    assert len(loaded["rows"]) > 0
