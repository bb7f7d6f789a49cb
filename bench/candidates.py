"""`make bench`'s other server candidates, serving the very responses ours gave, pre-built
(as bench/limit.py does): what the library costs at least, before any work of ours.

- uvicorn (ASGI, asyncio; h11, the parser a plain `pip install uvicorn` brings).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any


def _split(response: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """A whole response → (the headers an application sets, body)."""
    head, _, body = response.partition(b"\r\n\r\n")
    keep = (b"content-type", b"content-encoding", b"vary", b"x-content-type-options")
    headers = []
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in keep:
            headers.append((name.strip().lower(), value.strip()))
    return headers, body


def serve_uvicorn(port: int, plain: Path, gzip: Path) -> None:
    import uvicorn

    responses = {False: _split(plain.read_bytes()), True: _split(gzip.read_bytes())}

    async def app(scope: dict, receive: Any, send: Any) -> None:
        gz = any(k == b"accept-encoding" and b"gzip" in v for k, v in scope["headers"])
        headers, body = responses[gz]
        start = {"type": "http.response.start", "status": 200}
        await send({**start, "headers": [*headers, (b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})

    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    print('{"ready": true}', flush=True)
    while True:
        time.sleep(3600)
