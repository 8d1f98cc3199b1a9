"""An OpenAI-compatible ``/v1/chat/completions`` server on 127.0.0.1, for tests and benchmarks.

It answers from recorded responses (``recorded/<case>.json``, chat-completion bodies as
vLLM or the OpenAI API return them). The case is chosen by a ``[[case:NAME]]`` marker in the
request's messages (default ``valid``), so one run can mix good and bad items. Some cases
are behaviours rather than bodies: ``slow`` sleeps past the client's timeout, ``rate_limited``
answers 429 once per marker then the ``valid`` body, ``error500`` always 500, ``redirect``
302, ``oversized`` a 2 MB body.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).resolve().parent / "recorded"
CASE = re.compile(r"\[\[case:([a-z0-9_]+)\]\]")


def recorded(case: str) -> dict[str, Any]:
    return json.loads((RECORDED / f"{case}.json").read_text(encoding="utf-8"))


def completion(content: str, prompt_tokens: int = 120, completion_tokens: int = 30) -> bytes:
    return json.dumps({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }).encode()  # fmt: skip


Answer = tuple[int, dict[str, str], bytes]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (time-outs, size caps) are part of the tests; stay quiet."""


class FakeOpenAI:
    """Start with ``FakeOpenAI()``; ``url`` is the base URL (…/v1); ``close()`` stops it."""

    def __init__(
        self, answer: Callable[[dict[str, Any], str], Answer] | None = None, slow_s: float = 2.0
    ) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.seen: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.slow_s = slow_s
        self.answer = answer or self.recorded_answer
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                text = json.dumps(body.get("messages", []))
                found = CASE.search(text)
                case = found.group(1) if found else "valid"
                with server.lock:
                    server.requests.append(body)
                    server.headers.append(dict(self.headers))
                    server.seen[case] += 1
                    count = server.seen[case]
                if case == "slow" and server.answer != server.recorded_answer:
                    status, headers, payload = 0, {}, b""
                else:
                    status, headers, payload = server.answer(body, f"{case}#{count}")
                if status == 0:  # slow: answer after the client gave up
                    time.sleep(server.slow_s)
                    status, headers, payload = 200, {}, completion("{}")
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def recorded_answer(self, body: dict[str, Any], key: str) -> Answer:
        case, _, count = key.partition("#")
        if case == "slow":
            return 0, {}, b""
        if case == "rate_limited":
            if count == "1":
                return 429, {"Retry-After": "0"}, b'{"error": {"message": "rate limited"}}'
            case = "valid"
        if case == "error500":
            return 500, {}, b'{"error": {"message": "internal error"}}'
        if case == "redirect":
            return 302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""
        if case == "unauthorised":
            return 401, {}, b'{"error": {"message": "bad key"}}'
        if case == "oversized":
            return 200, {}, completion("x" * 2_000_000)
        return 200, {}, json.dumps(recorded(case)).encode()
