"""The configuration shape of each judge kind, validated and filled with defaults.

``config_validate(kind, data)`` returns the normalised settings or raises ApplicationError
naming the field (``config.base_url``). It checks shape only; what depends on the database
or the environment (the host allowlist, the checkpoint folder, the taxonomy) is checked by
``judges.services.configs`` when a judge is saved and again when a run starts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings

from annotator.models import Judge
from core.exceptions import ApplicationError
from core.outbound import normalise_host

Kind = Judge.Kind
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
STRUCTURED_OUTPUT = ("json_schema", "json_object", "none")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "bfloat16", "float16")
MAX_RULES = 500
MAX_PATTERN = 500
MAX_WORDS = 2000


def _fail(field: str, message: str) -> ApplicationError:
    return ApplicationError(f"config.{field}: {message}", field=f"config.{field}")


class _Reader:
    def __init__(self, data: Mapping[str, Any], known: set[str]) -> None:
        if not isinstance(data, Mapping):
            raise ApplicationError("config must be an object.", field="config")
        unknown = sorted(set(data) - known)
        if unknown:
            raise _fail(unknown[0], f"Unknown setting; known: {', '.join(sorted(known))}.")
        self.data = data

    def string(self, name: str, default: str | None = None, *, max_length: int = 2000) -> str:
        value = self.data.get(name, default)
        if value is None:
            raise _fail(name, "This setting is required.")
        if not isinstance(value, str) or len(value) > max_length:
            raise _fail(name, f"Must be a string of at most {max_length} characters.")
        return value

    def number(self, name: str, default: float, low: float, high: float) -> float:
        value = self.data.get(name, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise _fail(name, f"Must be a number between {low:g} and {high:g}.")
        return float(value)

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _fail(name, f"Must be an integer between {low} and {high}.")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.data.get(name, default)
        if value not in choices:
            raise _fail(name, f"Must be one of {', '.join(choices)}.")
        return str(value)


def api_key_env_allowed(name: str) -> bool:
    """Only variables meant for judges can be read: a project admin must not be able to send
    the server's own secrets (SECRET_KEY, DATABASE_URL) as a bearer token."""
    return name.startswith("FINEGRAIN_JUDGE_KEY_") or name in settings.FINEGRAIN_JUDGE_API_KEY_ENVS


def _openai(data: Mapping[str, Any]) -> dict[str, Any]:
    r = _Reader(data, {
        "base_url", "model", "api_key_env", "temperature", "max_tokens", "max_concurrency",
        "rate_limit_per_minute", "timeout_s", "max_retries", "retry_backoff_s",
        "structured_output", "max_response_bytes",
    })  # fmt: skip
    base_url = r.string("base_url").strip()
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise _fail("base_url", f"Not a URL: {exc}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise _fail("base_url", "Must be an http(s) URL such as https://api.example.com/v1.")
    if url.userinfo or url.query or url.fragment:
        raise _fail("base_url", "Must not carry credentials, a query or a fragment.")
    api_key_env = r.string("api_key_env", "", max_length=128)
    if api_key_env and not ENV_NAME.match(api_key_env):
        raise _fail("api_key_env", "Must be an environment variable name (A-Z, 0-9, _).")
    if api_key_env and not api_key_env_allowed(api_key_env):
        raise _fail(
            "api_key_env",
            "Must start with FINEGRAIN_JUDGE_KEY_ or be listed in FINEGRAIN_JUDGE_API_KEY_ENVS.",
        )
    cap = settings.FINEGRAIN_JUDGE_MAX_RESPONSE_BYTES
    return {
        "base_url": base_url.rstrip("/"),
        "model": r.string("model", max_length=200),
        "api_key_env": api_key_env,
        "temperature": r.number("temperature", 0.0, 0.0, 2.0),
        "max_tokens": r.integer("max_tokens", 1024, 1, 32768),
        "max_concurrency": r.integer("max_concurrency", 4, 1, 64),
        "rate_limit_per_minute": r.integer("rate_limit_per_minute", 0, 0, 100_000),
        "timeout_s": r.number("timeout_s", 60.0, 0.05, 600.0),
        "max_retries": r.integer("max_retries", 3, 0, 10),
        "retry_backoff_s": r.number("retry_backoff_s", 1.0, 0.0, 60.0),
        "structured_output": r.choice("structured_output", "json_schema", STRUCTURED_OUTPUT),
        "max_response_bytes": r.integer("max_response_bytes", cap, 1024, cap),
    }


def _transformers(data: Mapping[str, Any]) -> dict[str, Any]:
    r = _Reader(
        data,
        {"checkpoint_path", "device", "dtype", "max_new_tokens", "temperature", "max_input_tokens"},
    )
    path = r.string("checkpoint_path", max_length=1000)
    if not Path(path).is_absolute():
        raise _fail("checkpoint_path", "Must be an absolute path.")
    return {
        "checkpoint_path": path,
        "device": r.choice("device", "auto", DEVICES),
        "dtype": r.choice("dtype", "auto", DTYPES),
        "max_new_tokens": r.integer("max_new_tokens", 512, 1, 8192),
        "temperature": r.number("temperature", 0.0, 0.0, 2.0),
        "max_input_tokens": r.integer("max_input_tokens", 4096, 16, 131_072),
    }


def _reward_model(data: Mapping[str, Any]) -> dict[str, Any]:
    r = _Reader(data, {"reward_model", "threshold"})
    return {
        "reward_model": r.integer("reward_model", 0, 1, 2**62),
        # None: the model's own decision thresholds (its config's, or the per-category ones
        # tuned on held-out data when it was trained).
        "threshold": (
            None if data.get("threshold") is None else r.number("threshold", 0.5, 0.0, 1.0)
        ),
    }


def _rule(index: int, rule: Any) -> dict[str, Any]:
    where = f"rules[{index}]"
    if not isinstance(rule, Mapping):
        raise _fail(where, "Must be an object.")
    unknown = sorted(set(rule) - {"error_type", "pattern", "words", "ignore_case", "comment"})
    if unknown:
        raise _fail(f"{where}.{unknown[0]}", "Unknown field.")
    error_type = rule.get("error_type")
    if not isinstance(error_type, str) or not error_type:
        raise _fail(f"{where}.error_type", "An error type key is required.")
    pattern, words = rule.get("pattern"), rule.get("words")
    if (pattern is None) == (words is None):
        raise _fail(where, "Give exactly one of pattern (a regular expression) or words.")
    ignore_case = rule.get("ignore_case", True)
    if not isinstance(ignore_case, bool):
        raise _fail(f"{where}.ignore_case", "Must be true or false.")
    if words is not None:
        if (
            not isinstance(words, list)
            or not 1 <= len(words) <= MAX_WORDS
            or not all(isinstance(w, str) and w.strip() and len(w) <= 200 for w in words)
        ):
            raise _fail(f"{where}.words", f"Must be a list of 1 to {MAX_WORDS} non-empty words.")
        words = [w.strip() for w in words]
    else:
        if not isinstance(pattern, str) or not pattern or len(pattern) > MAX_PATTERN:
            raise _fail(f"{where}.pattern", f"Must be a regex of at most {MAX_PATTERN} chars.")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _fail(f"{where}.pattern", f"Not a valid regular expression: {exc}.") from exc
    comment = rule.get("comment", "")
    if not isinstance(comment, str) or len(comment) > 2000:
        raise _fail(f"{where}.comment", "Must be a string of at most 2000 characters.")
    return {
        "error_type": error_type,
        "pattern": pattern,
        "words": words,
        "ignore_case": ignore_case,
        "comment": comment,
    }


def _rules(data: Mapping[str, Any]) -> dict[str, Any]:
    _Reader(data, {"rules"})
    rules = data.get("rules")
    if not isinstance(rules, list) or not 1 <= len(rules) <= MAX_RULES:
        raise _fail("rules", f"Must be a list of 1 to {MAX_RULES} rules.")
    return {"rules": [_rule(i, rule) for i, rule in enumerate(rules)]}


VALIDATORS = {
    Kind.OPENAI: _openai,
    Kind.TRANSFORMERS: _transformers,
    Kind.REWARD_MODEL: _reward_model,
    Kind.RULES: _rules,
}


def config_validate(kind: str, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Normalised settings for ``kind``; ``external`` judges (bulk API) take none."""
    if kind == Kind.EXTERNAL:
        if data:
            raise ApplicationError("External judges have no configuration.", field="config")
        return {}
    return VALIDATORS[Kind(kind)](data or {})


def allowed_hosts(project_hosts: list[str] | None) -> frozenset[str]:
    """The judge host allowlist: FINEGRAIN_JUDGE_ALLOWED_HOSTS plus the project's policy."""
    hosts = [*settings.FINEGRAIN_JUDGE_ALLOWED_HOSTS, *(project_hosts or [])]
    return frozenset(normalise_host(h) for h in hosts if isinstance(h, str) and h.strip())


def checkpoint_allowed(path: str) -> bool:
    """Checkpoints load only from folders the operator listed (FINEGRAIN_JUDGE_MODEL_DIRS)."""
    resolved = Path(os.path.realpath(path))
    return any(
        resolved == Path(os.path.realpath(root)) or Path(os.path.realpath(root)) in resolved.parents
        for root in settings.FINEGRAIN_JUDGE_MODEL_DIRS
    )
