"""The one guarded outbound client (core.outbound): allowlist, pinning, caps, no redirects."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from core.outbound import (
    BlockedDestination,
    GuardedClient,
    OutboundPolicy,
    OutboundTimeout,
    RedirectRefused,
    ResponseTooLarge,
)
from tests.judges.openai_server import FakeOpenAI, completion


def answer(body, key):
    case = key.partition("#")[0]
    if case == "big":
        return 200, {}, b"x" * 5000
    if case == "redirect":
        return 301, {"Location": "http://example.com/"}, b""
    return 200, {}, completion("hi")


@pytest.fixture
def server():
    fake = FakeOpenAI(answer=answer, slow_s=1.0)
    yield fake
    fake.close()


def post(client, url, case="ok"):
    return client.request("POST", f"{url}/chat/completions",
                          json={"messages": [{"content": f"[[case:{case}]]"}]})  # fmt: skip


def test_listed_loopback_host_is_reached(server):
    with GuardedClient(OutboundPolicy.build(["127.0.0.1"])) as client:
        assert post(client, server.url).status_code == 200


def test_unlisted_host_is_refused_before_any_connection(server):
    client = GuardedClient(OutboundPolicy.build(["api.example.com"]))
    with client, pytest.raises(BlockedDestination, match="not on the allowlist"):
        post(client, server.url)
    assert server.requests == []


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "http://u:p@127.0.0.1/"]
)
def test_other_schemes_and_credentials_are_refused(url):
    client = GuardedClient(OutboundPolicy.build(["127.0.0.1"]))
    with client, pytest.raises(BlockedDestination):
        client.request("GET", url)


def test_private_addresses_need_the_host_listed(server):
    policy = OutboundPolicy.build([], require_allowlist=False)
    client = GuardedClient(policy)
    with client, pytest.raises(BlockedDestination, match="not an allowed address"):
        post(client, server.url)


def test_a_name_is_resolved_once_and_the_connection_pinned(server):
    port = server.server.server_address[1]
    calls = []

    def resolver(host, port, **kwargs):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    with GuardedClient(OutboundPolicy.build(["judge.test"]), resolver=resolver) as client:
        response = client.request("POST", f"http://judge.test:{port}/v1/chat/completions", json={})
    assert response.status_code == 200
    assert calls == ["judge.test"]
    assert server.headers[0]["Host"] == f"judge.test:{port}"


def test_a_listed_name_resolving_to_link_local_is_refused():
    def resolver(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    client = GuardedClient(OutboundPolicy.build(["metadata.test"]), resolver=resolver)
    with client, pytest.raises(BlockedDestination, match=r"169\.254\.169\.254"):
        client.request("GET", "http://metadata.test/latest/")


def test_an_unlisted_name_resolving_to_a_public_address_is_allowed_when_no_allowlist_is_required():
    policy = OutboundPolicy.build([], require_allowlist=False)
    assert policy.address_allowed("example.com", ipaddress.ip_address("93.184.216.34"))
    assert not policy.address_allowed("example.com", ipaddress.ip_address("10.0.0.1"))
    unspecified = ipaddress.ip_address("0.0.0.0")  # noqa: S104 - an address, not a bind
    assert not policy.address_allowed("example.com", unspecified)
    mapped = ipaddress.ip_address("::ffff:127.0.0.1").ipv4_mapped
    assert not policy.address_allowed("example.com", mapped)


def test_redirects_are_not_followed(server):
    client = GuardedClient(OutboundPolicy.build(["127.0.0.1"]))
    with client, pytest.raises(RedirectRefused):
        post(client, server.url, "redirect")


def test_bodies_over_the_cap_are_cut_off(server):
    policy = OutboundPolicy.build(["127.0.0.1"], max_response_bytes=1024)
    with GuardedClient(policy) as client, pytest.raises(ResponseTooLarge):
        post(client, server.url, "big")


def test_slow_servers_time_out(server):
    policy = OutboundPolicy.build(["127.0.0.1"], timeout_s=0.2)
    with GuardedClient(policy) as client, pytest.raises(OutboundTimeout):
        post(client, server.url, "slow")
