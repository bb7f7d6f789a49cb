"""The physical limit for `make bench`: the very bytes our exporter answered with, served
pre-built by the least a server can do in Python (read a request head, one sendall of a
prepared response, one thread per connection). Whatever our scrape costs beyond this is
ours to explain."""

from __future__ import annotations

import socket
import threading
from pathlib import Path


def serve(port: int, plain: Path, gzip: Path) -> None:
    """``plain`` and ``gzip`` hold whole responses of ours: status line, headers, body."""
    responses = {False: plain.read_bytes(), True: gzip.read_bytes()}
    listener = socket.create_server(("127.0.0.1", port), backlog=128)
    print('{"ready": true}', flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_connection, args=(conn, responses), daemon=True).start()


def _connection(conn: socket.socket, responses: dict[bool, bytes]) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pending = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in pending:
                data = conn.recv(65536)
                if not data:
                    return
                pending += data
            head, _, pending = pending.partition(b"\r\n\r\n")
            conn.sendall(responses[b"gzip" in head.lower()])
