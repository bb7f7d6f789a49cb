"""The HTTP port faces an untrusted network: methods, bounded request line and headers,
slow clients, a bounded number of connections, and a burst of 200 clients."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import wait_until

from exporter import httpd
from exporter import server as srv
from exporter.app import build
from exporter.configfile import parse_config
from exporter.server import Server, start


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    exporter = build(parse_config({}), None, state_dir=tmp_path / "state")
    server = start("127.0.0.1:0", exporter.endpoints())
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def raw(server: Server, data: bytes, timeout: float = 5) -> bytes:
    """Send bytes, read until the server closes (or the timeout)."""
    with socket.create_connection(server.server_address[:2], timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def one_response(s: socket.socket) -> bytes:
    """One whole response off a kept-alive connection (its head and body may arrive in
    separate segments): the head, then Content-Length bytes of body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head = data.split(b"\r\n\r\n", 1)[0]
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)[1])  # type: ignore[index]
    while len(data) < len(head) + 4 + length:
        data += s.recv(65536)
    return data


def status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def request(path: str = "/metrics", method: str = "GET", headers: list[str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: x", "Connection: close", *(headers or [])]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --- methods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "FOO"]
)
def test_only_get_and_head(running, method):
    server, _url = running
    r = raw(server, request("/metrics", method))
    assert status(r) == 405, r[:200]
    head = r.split(b"\r\n\r\n")[0].decode()
    assert "Allow: GET, HEAD" in head and "Connection: close" in head
    assert b"openrouter_" not in r


def test_get_and_head(running):
    _server, url = running
    assert httpx.get(f"{url}/metrics").status_code == 200
    head = httpx.head(f"{url}/metrics")
    assert head.status_code == 200 and head.content == b""


def test_a_body_on_get_is_never_read_as_the_next_request(running):
    server, _ = running
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    data = (
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: "
        + str(len(smuggled)).encode()
        + b"\r\n\r\n"
        + smuggled
    )
    r = raw(server, data)
    assert r.count(b"HTTP/1.1 ") == 1 and status(r) == 200
    assert b"Connection: close" in r.split(b"\r\n\r\n")[0]


# --- bounded request line and headers -------------------------------------------------------


def test_request_line_is_bounded(running):
    server, _ = running
    assert httpd.MAX_REQUEST_LINE <= 8192
    assert status(raw(server, request("/" + "a" * 8000))) == 404  # long, but allowed
    assert status(raw(server, request("/" + "a" * 9000))) == 414
    assert status(raw(server, request("/" + "a" * 70_000))) == 414


def test_headers_are_bounded(running):
    server, _ = running
    assert status(raw(server, request(headers=[f"X-A: {'a' * 8000}"]))) == 200
    assert status(raw(server, request(headers=[f"X-A: {'a' * 9000}"]))) == 431
    assert status(raw(server, request(headers=[f"X-A: {'a' * 60_000}"]))) == 431
    # 48 headers besides Host and Connection: 50 in all.
    assert status(raw(server, request(headers=[f"X-{i}: v" for i in range(48)]))) == 200
    assert status(raw(server, request(headers=[f"X-{i}: v" for i in range(49)]))) == 431
    assert status(raw(server, request(headers=[f"X-{i}: v" for i in range(99)]))) == 431


# --- slow clients -------------------------------------------------------------------------


def test_default_timeouts_are_short():
    assert srv.READ_TIMEOUT <= 10 and srv.HANDSHAKE_TIMEOUT <= 10
    assert srv.Server.read_timeout == srv.READ_TIMEOUT


def test_slow_clients_time_out_without_blocking_others(running):
    server, url = running
    server.read_timeout = 2.0
    addr = server.server_address[:2]
    silent = socket.create_connection(addr)
    silent.sendall(b"GET /metr")  # half a request line, then nothing
    trickle = socket.create_connection(addr)
    trickle.settimeout(0.05)
    closed: dict[str, float] = {}
    started = time.monotonic()

    def closed_by_server(s: socket.socket) -> bool:
        try:
            return s.recv(4096) == b""
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True

    silent.settimeout(0.05)
    request_bytes = iter(b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200)
    try:
        while time.monotonic() - started < 8 and len(closed) < 2:
            t0 = time.monotonic()
            r = httpx.get(f"{url}/metrics", timeout=5)  # other clients are served at once
            assert r.status_code == 200 and time.monotonic() - t0 < 1
            if "trickle" not in closed:
                try:  # one byte at a time: each recv is quick, the whole head is not
                    trickle.sendall(bytes([next(request_bytes)]))
                except OSError:
                    closed["trickle"] = time.monotonic() - started
                if closed_by_server(trickle):
                    closed["trickle"] = time.monotonic() - started
            if "silent" not in closed and closed_by_server(silent):
                closed["silent"] = time.monotonic() - started
            time.sleep(0.2)
    finally:
        silent.close()
        trickle.close()
    assert set(closed) == {"silent", "trickle"}, closed
    assert all(1.5 < t < 4 for t in closed.values()), closed


# --- connection count and bursts ------------------------------------------------------------


def test_connections_are_bounded(running):
    server, url = running
    server.read_timeout = 2.0
    assert srv.MAX_CONNECTIONS == server.max_connections <= 64
    idle = [socket.create_connection(server.server_address[:2]) for _ in range(100)]
    try:
        peak = 0
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            peak = max(peak, server.active)
            time.sleep(0.02)
        assert 50 <= peak <= server.max_connections, peak
        # The 101st client waits in the backlog until the stalled ones time out, then is
        # served; it is never refused.
        started = time.monotonic()
        r = httpx.get(f"{url}/metrics", timeout=20)
        assert r.status_code == 200
        assert time.monotonic() - started < 10
    finally:
        for s in idle:
            s.close()


def test_a_crowded_server_does_not_keep_connections_alive(running):
    server, url = running
    server.read_timeout = 2.0
    with httpx.Client() as c:
        assert "close" not in c.get(f"{url}/healthz").headers.get("connection", "")
    idle = [
        socket.create_connection(server.server_address[:2])
        for _ in range(server.max_connections // 2)
    ]
    try:
        wait_until(lambda: server.crowded, "the server to be crowded", 2)
        with httpx.Client() as c:
            assert c.get(f"{url}/healthz").headers.get("connection") == "close"
    finally:
        for s in idle:
            s.close()


def test_a_burst_of_200_clients_leaves_metrics_answering(running):
    server, url = running
    results: list[int | str] = []
    lock = threading.Lock()
    go = threading.Event()
    peak = [0]

    def client() -> None:
        with httpx.Client(timeout=30) as c:  # its own connection, kept alive
            go.wait()
            try:
                code: int | str = c.get(f"{url}/metrics").status_code
            except httpx.HTTPError as e:
                code = type(e).__name__
        with lock:
            results.append(code)

    threads = [threading.Thread(target=client) for _ in range(200)]
    for t in threads:
        t.start()
    time.sleep(2)  # every client ready: the 200 requests start together
    started = time.monotonic()
    go.set()
    while any(t.is_alive() for t in threads) and time.monotonic() - started < 60:
        peak[0] = max(peak[0], server.active)
        time.sleep(0.01)
    for t in threads:
        t.join(5)
    elapsed = time.monotonic() - started
    assert results.count(200) == 200, {r for r in results if r != 200}
    assert peak[0] <= server.max_connections
    t0 = time.monotonic()
    after = httpx.get(f"{url}/metrics", timeout=5)
    assert after.status_code == 200 and "openrouter_exporter_build_info" in after.text
    assert time.monotonic() - t0 < 1
    print(f"200 clients served in {elapsed:.2f}s, peak {peak[0]} connections")


def test_keep_alive_scrapes_are_not_delayed(running):
    """Headers and body are two writes; without TCP_NODELAY every keep-alive response
    waits ~40 ms for the client's delayed ACK."""
    _, url = running
    with httpx.Client() as c:
        c.get(f"{url}/metrics")
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            assert c.get(f"{url}/metrics").status_code == 200
            times.append(time.perf_counter() - t0)
    times.sort()
    assert times[len(times) // 2] < 0.02, times


# --- a strict request head --------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "code"),
    [
        (b"GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", 400),  # space before the colon
        (b"GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),  # obsolete folding
        (b"GET /metrics HTTP/1.1\r\nno colon\r\n\r\n", 400),
        (b"GET /metrics HTTP/2.0\r\n\r\n", 505),
        (b"GET /metrics HTTP/1.1 extra\r\n\r\n", 400),
        (b"GET /metrics\r\n\r\n", 400),  # HTTP/0.9 is not served
        (b"G(T /metrics HTTP/1.1\r\n\r\n", 400),
        (b"GET /met\x01rics HTTP/1.1\r\n\r\n", 400),  # a control character in the target
        (b"GET /metrics HTTP/1.1\r\nX-A: a\rb\r\n\r\n", 400),  # a bare CR in a value
        (b"GET /metrics HTTP/1.1\r\nX-A: a\x00b\r\n\r\n", 400),
    ],
)
def test_malformed_heads_are_refused_and_closed(running, head, code):
    server, _ = running
    r = raw(server, head)
    assert status(r) == code and r.count(b"HTTP/1.1 ") == 1, r[:200]
    assert b"Connection: close" in r.split(b"\r\n\r\n")[0]
    assert b"openrouter_" not in r


def test_an_overlong_line_is_refused_before_it_ends(running):
    server, _ = running
    started = time.monotonic()
    assert status(raw(server, b"GET /" + b"a" * 9000)) == 414  # no line end ever sent
    assert status(raw(server, b"GET / HTTP/1.1\r\nX-A: " + b"a" * 9000)) == 431
    assert time.monotonic() - started < 2  # not after the read timeout


def test_pipelined_requests_are_answered_in_order(running):
    server, _ = running
    r = raw(
        server,
        b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"  # an empty line first is tolerated
        b"HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET http://x/readyz?a=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    # The absolute-form target is /readyz (ready, but no data yet: said in the body).
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", r) == [b"200", b"404", b"200"]
    assert b"no data yet for" in r
    assert b"ok\n" in r and b"not found" not in r  # HEAD: headers only


def test_http_10_closes_unless_kept_alive(running):
    server, _ = running
    r = raw(server, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert status(r) == 200 and b"Connection: close" in r
    with socket.create_connection(server.server_address[:2], timeout=5) as s:
        for _ in range(2):  # the connection stays open for a second request
            s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            reply = one_response(s)
            assert status(reply) == 200 and b"Connection: close" not in reply


def test_a_failing_page_answers_500_and_the_server_goes_on(running, caplog):
    server, url = running

    def broken() -> bytes:
        raise RuntimeError("a bug in the page")

    server.endpoints.page = broken
    r = httpx.get(f"{url}/")
    assert r.status_code == 500 and "a bug" not in r.text  # no internals in the answer
    assert "a bug in the page" in caplog.text  # the traceback is logged
    assert httpx.get(f"{url}/metrics").status_code == 200
