"""exporter.httpd's writer: many buffers through a socket that takes a little at a time."""

from __future__ import annotations

import random
import socket
import threading

import pytest

from exporter.httpd import Connection


def test_gathered_send_delivers_every_byte_in_order():
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # forces many partial sends
    rng = random.Random(7)
    parts = [rng.randbytes(rng.randrange(0, 5000)) for _ in range(3000)]  # > IOV_MAX
    received = bytearray()

    def read() -> None:
        while chunk := b.recv(rng.randrange(1, 9000)):
            received.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    Connection(a).send(parts, timeout=30)
    a.close()
    reader.join(30)
    b.close()
    assert bytes(received) == b"".join(parts)


def test_send_gives_up_after_its_timeout():
    a, b = socket.socketpair()  # nobody reads b
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    with pytest.raises(TimeoutError):
        Connection(a).send([b"x" * 100_000] * 50, timeout=0.5)
    a.close()
    b.close()


def test_tls_blocks_keep_every_byte_and_group_small_parts():
    from exporter.httpd import _blocks

    rng = random.Random(3)
    parts = [rng.randbytes(rng.randrange(0, 300)) for _ in range(2000)]
    blocks = list(_blocks(parts, 4096))
    assert b"".join(blocks) == b"".join(parts)
    assert all(len(b) >= 4096 for b in blocks[:-1]) and len(blocks) < len(parts) / 10
