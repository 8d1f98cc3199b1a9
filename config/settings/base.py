"""Settings shared by every deployment; everything that varies comes from the environment.

The embedded default (no environment at all) is a single machine: SQLite in WAL mode and a
Celery broker on the filesystem, both under ``var/``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("FINEGRAIN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def embedded_secret_key() -> str:
    """Generate the secret key once into var/ so that sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env_bool("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY") or embedded_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "core",
    "annotator",
    "rewards",
    "snapshots",
    "judges",
    "quality",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.BodySizeLimitMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_config() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'finegrain.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        config["ENGINE"] = "core.sqlite"  # Django's, with a write queue (core/sqlite/base.py)
        # Persistent connections: opening one and running the PRAGMAs below cost more than
        # a whole save. Each gunicorn sync worker and Celery process keeps its own.
        config["CONN_MAX_AGE"] = None
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy timeout
            # instead of failing with "database is locked" when a read upgrades to a write.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=30000;PRAGMA foreign_keys=ON;"
            ),
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with a health check that needs no round trip (core/postgresql/base.py).
        config["ENGINE"] = "core.postgresql"
        config["CONN_HEALTH_CHECKS"] = True
        # Server-side parameters and prepared statements (psycopg prepares a query the second
        # time a connection runs it): planning took ~1 ms of each query here, a third of a
        # save. Behind PgBouncer in transaction mode set FINEGRAIN_PG_PREPARE=0.
        options = config.setdefault("OPTIONS", {})
        options.setdefault("server_side_binding", True)
        prepare = os.environ.get("FINEGRAIN_PG_PREPARE", "1").strip().lower() not in {
            "0",
            "false",
            "no",
        }
        options.setdefault("prepare_threshold", 2 if prepare else None)
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [p for p in [BASE_DIR / "frontend" / "dist"] if p.exists()]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Body limits: JSON bodies and uploads. core.middleware answers 413 (JSON) above these.
FINEGRAIN_MAX_JSON_BODY = int(os.environ.get("FINEGRAIN_MAX_JSON_BODY", 32 * 1024 * 1024))
FINEGRAIN_MAX_UPLOAD = int(os.environ.get("FINEGRAIN_MAX_UPLOAD", 256 * 1024 * 1024))
FINEGRAIN_MAX_JSON_DEPTH = 32
# Imports bigger than this many lines run as a Celery task; smaller ones in the request.
FINEGRAIN_IMPORT_INLINE_MAX_BYTES = int(
    os.environ.get("FINEGRAIN_IMPORT_INLINE_MAX_BYTES", 2 * 1024 * 1024)
)
DATA_UPLOAD_MAX_MEMORY_SIZE = FINEGRAIN_MAX_UPLOAD
FILE_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotator.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "annotator.api.auth.TokenScopePermission",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.GuardedJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.FastJSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.handlers.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.api.IdCursorPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Finegrain API",
    "DESCRIPTION": (
        "Fine-grained feedback on model outputs: spans, steps, regions, rubric scores and "
        "graded preferences. Span offsets are Unicode code points; regions are normalised."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "MemberRoleEnum": "annotator.models.projects.ProjectMembership.Role",
        "AnnotationStatusEnum": "annotator.models.annotations.Annotation.Status",
        "AnnotationWriteStatusEnum": [("draft", "Draft"), ("submitted", "Submitted")],
        "ReviewDecisionEnum": [("accepted", "Accepted"), ("rejected", "Rejected")],
        "ResponseKindEnum": "annotator.models.items.Response.Kind",
        "VersionStatusEnum": "annotator.models.taxonomy.Taxonomy.Status",
        "ImportJobStatusEnum": "annotator.models.imports.ImportJob.Status",
    },
}

# Celery: the embedded default uses kombu's filesystem transport under var/.
# FINEGRAIN_BROKER_DIR moves that folder; the test settings point it at a private temporary
# folder shared with the worker that the integration tests start.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
BROKER_DIR = Path(os.environ.get("FINEGRAIN_BROKER_DIR") or VAR_DIR / "broker")
if CELERY_BROKER_URL.startswith("filesystem"):
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Exchange bindings; kombu's default is "control" relative to the working directory.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Above the longest allowed task, so a slow task is not delivered twice (STYLE rule 30).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Judges (judges app). Hosts judges may call: host names or IPs, comma-separated. A listed host
# may resolve to private or loopback addresses (a local vLLM); link-local ones only when listed
# as that exact IP. Projects can add hosts through their judge policy (Django admin only).
FINEGRAIN_JUDGE_ALLOWED_HOSTS = env_list("FINEGRAIN_JUDGE_ALLOWED_HOSTS", "")
# Environment variables a judge may name as its API key, besides FINEGRAIN_JUDGE_KEY_*.
FINEGRAIN_JUDGE_API_KEY_ENVS = env_list("FINEGRAIN_JUDGE_API_KEY_ENVS", "")
# Folders transformers judges may load checkpoints from.
FINEGRAIN_JUDGE_MODEL_DIRS = env_list("FINEGRAIN_JUDGE_MODEL_DIRS", str(VAR_DIR / "models"))
FINEGRAIN_JUDGE_MAX_RESPONSE_BYTES = int(
    os.environ.get("FINEGRAIN_JUDGE_MAX_RESPONSE_BYTES", 1024 * 1024)
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] |= {  # type: ignore[operator]
    "JudgeKindEnum": "annotator.models.judges.Judge.Kind",
    "JudgeTaskEnum": "judges.models.JudgeTask",
    "JudgeRunStatusEnum": "judges.models.JudgeRun.Status",
    "JudgeResultStatusEnum": "judges.models.JudgeResult.Status",
}
# httpx logs every request at INFO; a judge run makes thousands.
LOGGING["loggers"]["httpx"] = {"level": "WARNING"}  # type: ignore[index]
