"""Test settings: fast hashing; tasks are never run eagerly (integration tests start a worker).

The test database and the filesystem broker are files a second process can open, so that the
Celery worker started by ``tests/integration/conftest.py`` sees the same rows and messages.
"""

import atexit
import os
import shutil
import sys
import tempfile

# The filesystem broker of a test run is a private temporary folder, never var/broker: a
# message enqueued by a test must not reach the worker of a running `make run`. Set before
# base is imported because base creates the folders; subprocesses (the test worker) inherit
# the variable and share the folder. Only the process that created the folder removes it.
if not os.environ.get("FINEGRAIN_BROKER_DIR"):
    _broker_dir = tempfile.mkdtemp(prefix="finegrain-test-broker-")
    os.environ["FINEGRAIN_BROKER_DIR"] = _broker_dir
    atexit.register(shutil.rmtree, _broker_dir, ignore_errors=True)

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "core.postgresql":
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("FINEGRAIN_TEST_DB", "finegrain_test")}
elif DATABASES["default"]["ENGINE"] == "core.sqlite":
    # A file, not Django's in-memory default, so the test worker can open it. One per test
    # process (pid), so that concurrent runs in one checkout do not delete each other's; Django
    # deletes it at the end. With --reuse-db the name must stay the same from run to run.
    _reuse = "--reuse-db" in sys.argv
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("FINEGRAIN_TEST_DB")
        or str(VAR_DIR / ("test.sqlite3" if _reuse else f"test-{os.getpid()}.sqlite3"))
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
