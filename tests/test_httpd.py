"""Writing a response: many buffers to a client that takes a little at a time arrive whole
and in order; a client that stops reading is cut off after the write timeout, and does not
hold up a shutdown."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from conftest import wait_until

from exporter.configfile import parse_config
from exporter.exposition import ExpositionCache
from exporter.selfmetrics import SelfMetrics
from exporter.server import Endpoints, Server, start

BODY = random.Random(7).randbytes(6_000_000)


@pytest.fixture
def serving() -> Iterator[Server]:
    endpoints = Endpoints(
        telemetry_path="/metrics",
        cache=ExpositionCache(parse_config({})),
        self_metrics=SelfMetrics(),
        statuses=list,
        has_data=lambda key: True,
        page=lambda: BODY,  # a page stub: the bytes under test
    )
    server = start("127.0.0.1:0", endpoints)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _connect(server: Server) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # forces many partial sends
    s.connect(server.server_address)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    return s


def test_a_slow_reader_gets_every_byte_in_order(serving):
    rng = random.Random(3)
    received = bytearray()
    with _connect(serving) as s:
        s.settimeout(10)
        while chunk := s.recv(rng.randrange(1, 9000)):
            received.extend(chunk)
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and body == BODY


def test_a_client_that_stops_reading_is_cut_off(serving):
    serving.write_timeout = 1.0
    with _connect(serving) as s:
        wait_until(lambda: serving.active == 1, "the response to start", 5)
        started = time.monotonic()
        # Nobody reads: the server's send blocks until the write deadline shuts it down.
        wait_until(lambda: serving.active == 0, "the stalled response to be cut off", 5)
        assert 0.5 < time.monotonic() - started < 3
        s.settimeout(5)
        received = 0
        try:
            while chunk := s.recv(65536):
                received += len(chunk)
        except ConnectionResetError:
            pass
        assert received < len(BODY)  # the connection ended before the body did
    url = f"http://127.0.0.1:{serving.server_address[1]}/healthz"
    assert httpx.get(url).status_code == 200  # and the server goes on


def test_shutdown_does_not_wait_for_a_client_that_stops_reading(serving):
    # SIGTERM must end the exporter within 5 s; a stalled response must not hold it.
    with _connect(serving):
        wait_until(lambda: serving.active == 1, "the response to start", 5)
        started = time.monotonic()
        serving.shutdown()
        assert time.monotonic() - started < 3
