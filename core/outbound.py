"""The one guarded outbound HTTP client (DESIGN §9). Every request to a URL that a user or an
admin configured goes through ``GuardedClient``.

What it enforces, per request:

- **scheme** in the policy's allowlist (http and https by default);
- **host allowlist**: with ``require_allowlist`` (the default) the host must be listed;
- **resolve, check, pin**: the host is resolved once; every address it resolves to must be
  allowed, and the connection goes to the first of them (the URL's host is replaced by the
  IP; the ``Host`` header and the TLS server name stay the original host, so certificates are
  still verified against it). A second DNS answer cannot move the connection elsewhere.
- **addresses**: globally routable ones are allowed. Loopback and private addresses only for
  hosts listed explicitly in the allowlist (a vLLM server on 10.0.0.5 or 127.0.0.1). Link-local
  addresses (169.254.0.0/16 and fe80::/10, where cloud metadata services live) only when the
  allowlist names that exact IP. Unspecified, multicast and reserved addresses never.
- **no redirects**: a 3xx answer is an error, never followed.
- **size cap** on the decoded body (so a compressed bomb is cut off too) and **time caps**:
  connect/read/write timeouts and a total deadline per request.
- no proxies from the environment (``trust_env=False``): a proxy would defeat the pinning.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

Resolver = Callable[..., list[tuple[Any, ...]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(Exception):
    """A request could not be made or its answer was refused. ``transient`` errors (time-outs,
    connection failures) may succeed when retried."""

    transient = False


class BlockedDestination(OutboundError):
    """The URL's scheme, host or resolved address is not allowed."""


class RedirectRefused(OutboundError):
    pass


class ResponseTooLarge(OutboundError):
    pass


class OutboundTimeout(OutboundError):
    transient = True


class OutboundConnectionError(OutboundError):
    transient = True


def normalise_host(host: str) -> str:
    """Lower case, no trailing dot, no IPv6 brackets; IDNA-encoded for non-ASCII names."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii") if host else host
    except UnicodeError:
        return host


def _ip(value: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class OutboundPolicy:
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    require_allowlist: bool = True
    schemes: frozenset[str] = frozenset({"http", "https"})
    max_response_bytes: int = 1024 * 1024
    connect_timeout_s: float = 10.0
    timeout_s: float = 60.0

    @classmethod
    def build(cls, allowed_hosts: Iterable[str], **kwargs: Any) -> OutboundPolicy:
        hosts = frozenset(normalise_host(h) for h in allowed_hosts if h and h.strip())
        return cls(allowed_hosts=hosts, **kwargs)

    def check_url(self, url: str | httpx.URL) -> tuple[str, str, int]:
        """Return (scheme, host, port) or raise BlockedDestination. No DNS look-up."""
        parsed = httpx.URL(url) if isinstance(url, str) else url
        scheme = parsed.scheme.lower()
        if scheme not in self.schemes:
            raise BlockedDestination(f"Scheme {scheme or '(none)'!r} is not allowed.")
        if parsed.userinfo:
            raise BlockedDestination("URLs with credentials in them are not allowed.")
        host = normalise_host(parsed.host)
        if not host:
            raise BlockedDestination("The URL has no host.")
        if self.require_allowlist and host not in self.allowed_hosts:
            raise BlockedDestination(f"Host {host!r} is not on the allowlist.")
        port = parsed.port or (443 if scheme == "https" else 80)
        return scheme, host, port

    def address_allowed(self, host: str, address: IPAddress) -> bool:
        listed = host in self.allowed_hosts
        if address.is_unspecified or address.is_multicast or address.is_reserved:
            return False
        if address.is_link_local:
            return str(address) in self.allowed_hosts
        if address.is_global:
            return True
        return listed


def resolve(host: str, port: int, resolver: Resolver = socket.getaddrinfo) -> list[IPAddress]:
    literal = _ip(host)
    if literal is not None:
        return [literal]
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundConnectionError(f"Cannot resolve {host!r}: {exc}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = _ip(str(info[4][0]))
        if address is not None and address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundConnectionError(f"{host!r} resolves to no address.")
    return addresses


class _PinnedTransport(httpx.HTTPTransport):
    """Checks and pins every request at the last moment before the connection is made."""

    def __init__(self, policy: OutboundPolicy, resolver: Resolver, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy
        self.resolver = resolver

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        scheme, host, port = self.policy.check_url(request.url)
        addresses = resolve(host, port, self.resolver)
        blocked = [a for a in addresses if not self.policy.address_allowed(host, a)]
        if blocked:
            raise BlockedDestination(
                f"{host!r} resolves to {blocked[0]}, which is not an allowed address "
                "(only globally routable addresses, unless the host is allowlisted)."
            )
        pinned = addresses[0]
        request.url = request.url.copy_with(host=str(pinned))
        if scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return super().handle_request(request)


@dataclass(frozen=True)
class OutboundResponse:
    status_code: int
    headers: Mapping[str, str]
    content: bytes
    elapsed_s: float


class GuardedClient:
    """A thread-safe client (one connection pool) bound to one policy."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        max_connections: int = 16,
        resolver: Resolver = socket.getaddrinfo,
    ) -> None:
        self.policy = policy
        transport = _PinnedTransport(
            policy,
            resolver,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            retries=0,
        )
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(policy.timeout_s, connect=policy.connect_timeout_s),
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GuardedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> OutboundResponse:
        """Send one request; raise OutboundError subclasses for everything the policy refuses
        and for transport failures. Any status code other than 3xx is returned."""
        self.policy.check_url(url)
        started = time.monotonic()
        deadline = started + self.policy.timeout_s
        limit = self.policy.max_response_bytes
        try:
            with self._client.stream(
                method, url, json=json, content=content, headers=headers
            ) as response:
                if response.is_redirect or 300 <= response.status_code < 400:
                    raise RedirectRefused(
                        f"The server answered {response.status_code} (a redirect); redirects "
                        "are not followed."
                    )
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise ResponseTooLarge(f"The response is {declared} bytes; the cap is {limit}.")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise ResponseTooLarge(f"The response is over the cap of {limit} bytes.")
                    if time.monotonic() > deadline:
                        raise OutboundTimeout(
                            f"The response took over {self.policy.timeout_s:g} s in total."
                        )
                return OutboundResponse(
                    status_code=response.status_code,
                    headers=dict(response.headers),
                    content=bytes(body),
                    elapsed_s=time.monotonic() - started,
                )
        except httpx.TimeoutException as exc:
            raise OutboundTimeout(f"Timed out ({type(exc).__name__}).") from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise OutboundConnectionError(f"{type(exc).__name__}: {exc}") from exc
