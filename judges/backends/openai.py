"""``openai`` judges: any OpenAI-compatible ``POST {base_url}/chat/completions``.

Every request goes through the guarded client (core.outbound). Transient failures — HTTP
429, 408 and 5xx, time-outs, connection errors — are retried up to ``max_retries`` times with
exponential backoff (``retry_backoff_s · 2^attempt``, ±50% jitter, capped at 30 s; a
``Retry-After`` in seconds is honoured up to 60 s). Everything else fails the item at once;
401/403/404 and blocked destinations fail the run, since every item would fail the same way.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from core.outbound import (
    BlockedDestination,
    GuardedClient,
    OutboundError,
    OutboundPolicy,
    OutboundResponse,
)
from judges.judging import Completion, ItemFailure
from judges.prompting import Prompt

BACKOFF_CAP_S = 30.0
RETRY_AFTER_CAP_S = 60.0
FATAL_STATUS = {401: "unauthorised (check the API key)", 403: "forbidden", 404: "not found"}


class RateLimiter:
    """Spaces requests ``60 / per_minute`` seconds apart across threads (0 = no limit)."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0
        self.lock = threading.Lock()

    def acquire(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            slot = max(now, self.next_at)
            self.next_at = slot + self.interval
        if slot > now:
            self.sleep(slot - now)


def _transient_status(status: int) -> bool:
    return status in (408, 429) or 500 <= status <= 599


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after", "").strip()
    try:
        return min(float(value), RETRY_AFTER_CAP_S) if value else None
    except ValueError:
        return None


def _usage_int(usage: Mapping[str, Any], name: str) -> int:
    value = usage.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


class OpenAIBackend:
    def __init__(
        self,
        config: Mapping[str, Any],
        policy: OutboundPolicy,
        *,
        api_key: str = "",
        sleep: Callable[[float], None] = time.sleep,
        client: GuardedClient | None = None,
    ) -> None:
        self.config = config
        self.url = f"{config['base_url']}/chat/completions"
        self.client = client or GuardedClient(policy, max_connections=config["max_concurrency"])
        self.headers = {"Content-Type": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.limiter = RateLimiter(config["rate_limit_per_minute"], sleep=sleep)
        self.sleep = sleep

    def close(self) -> None:
        self.client.close()

    def body(self, prompt: Prompt) -> dict[str, Any]:
        messages = [{"role": "user", "content": prompt.user}]
        if prompt.system:
            messages.insert(0, {"role": "system", "content": prompt.system})
        body: dict[str, Any] = {
            "model": self.config["model"],
            "messages": messages,
            "temperature": self.config["temperature"],
            "max_tokens": self.config["max_tokens"],
        }
        mode = self.config["structured_output"]
        if mode == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": prompt.schema_name,
                    "strict": True,
                    "schema": prompt.schema,
                },
            }
        elif mode == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        base = self.config["retry_backoff_s"] * (2**attempt) * (0.5 + random.random())  # noqa: S311 - jitter
        return max(min(base, BACKOFF_CAP_S), retry_after or 0.0)

    def complete(self, prompt: Prompt) -> Completion:
        body = json.dumps(self.body(prompt)).encode()
        retries = self.config["max_retries"]
        reason = ""
        for attempt in range(retries + 1):
            self.limiter.acquire()
            try:
                response = self.client.request("POST", self.url, content=body, headers=self.headers)
            except BlockedDestination as exc:
                raise ItemFailure(f"Blocked: {exc}", fatal=True) from None
            except OutboundError as exc:
                if not exc.transient:
                    raise ItemFailure(str(exc)) from None
                reason = str(exc)
                if attempt < retries:
                    self.sleep(self._backoff(attempt, None))
                continue
            if _transient_status(response.status_code):
                reason = f"HTTP {response.status_code}"
                if attempt < retries:
                    self.sleep(self._backoff(attempt, _retry_after(response.headers)))
                continue
            return self._completion(response, attempt + 1)
        raise ItemFailure(f"{reason} (after {retries + 1} attempts).")

    def _completion(self, response: OutboundResponse, attempts: int) -> Completion:
        status = response.status_code
        if status in FATAL_STATUS:
            raise ItemFailure(
                f"HTTP {status}: the endpoint says {FATAL_STATUS[status]}.", fatal=True
            )
        if status != 200:
            snippet = response.content[:300].decode("utf-8", "replace")
            raise ItemFailure(f"HTTP {status}: {snippet}")
        try:
            data = json.loads(response.content)
            choice = data["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ItemFailure("The endpoint's answer is not a chat completion.") from None
        if not isinstance(message, dict):
            raise ItemFailure("The endpoint's answer is not a chat completion.")
        if message.get("refusal"):
            raise ItemFailure(f"The model refused: {str(message['refusal'])[:300]}")
        content = message.get("content")
        if not isinstance(content, str):
            raise ItemFailure("The completion has no text content.")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return Completion(
            text=content,
            prompt_tokens=_usage_int(usage, "prompt_tokens"),
            completion_tokens=_usage_int(usage, "completion_tokens"),
            attempts=attempts,
        )
