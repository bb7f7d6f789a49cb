"""Real HTTP for the simulator: a threaded server on a daemon thread, and the fake-api command."""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType

import httpx

from exporter.simulator.api import Simulator
from exporter.simulator.catalog import API_PREFIX
from exporter.simulator.replay import Replay, ReplayError

# Hop-by-hop or framing headers the server writes itself.
_SKIP_HEADERS = frozenset({"content-length", "connection", "transfer-encoding", "keep-alive"})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:  # type: ignore[override]
        # A client that gave up (timeout during a latency fault) is expected, not an error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def drop_connections(self) -> None:
        # Idle keep-alive connections would otherwise keep handler threads blocked in read.
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _HTTPServerV6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    def _dispatch(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        host, port = self.server.server_address[:2]
        authority = f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
        request = httpx.Request(
            self.command,
            f"http://{authority}{self.path}",
            headers=[(k, v) for k, v in self.headers.items() if k.lower() != "host"],
            content=body,
        )
        response = self.server.simulator.handle(request)
        incomplete = response.extensions.get("simulator_incomplete_body")
        if incomplete is not None:
            payload, declared = incomplete
        else:
            payload = response.read()
            declared = len(payload)
        self.send_response(response.status_code)
        for name, value in response.headers.multi_items():
            if name.lower() not in _SKIP_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(declared))
        if incomplete is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        # Requests are in Simulator.log; stderr noise would drown test output.
        pass


class SimulatorServer:
    """A running HTTP server for a Simulator. Use `url` as the client's base URL."""

    def __init__(self, httpd: _HTTPServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        self.simulator = httpd.simulator
        address = httpd.server_address
        self.host: str = str(address[0])
        self.port: int = int(address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{API_PREFIX}"

    def shutdown(self) -> None:
        """Stop serving, drop open connections and release the port. Idempotent."""
        if not self._thread.is_alive():
            return
        self._httpd.shutdown()
        self._httpd.drop_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()


def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    """Serve `sim` over HTTP on a daemon thread; port 0 picks a free port."""
    server_class = _HTTPServerV6 if ":" in host else _HTTPServer
    httpd = server_class((host, port), sim)
    thread = threading.Thread(
        target=httpd.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"fake-openrouter-{httpd.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return SimulatorServer(httpd, thread)


def parse_listen(listen: str) -> tuple[str, int]:
    """ "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces) -> (host, port).

    The exporter parses its own --web.listen-address the same way; this is a copy on
    purpose: the simulator imports nothing of the exporter it stands in front of.
    """
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {listen!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or "0.0.0.0", int(port)


def main_fake_api(
    listen: str,
    seed: int,
    requests_per_minute: int,
    requests_per_day: int,
    replay: str | None = None,
) -> int:
    """Serve a simulator on `listen` until SIGINT/SIGTERM; the `fake-api` subcommand.
    ``replay``: a rankings-daily CSV served instead of the synthetic model rows."""
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        print(f"fake-api: invalid listen address: {exc}", file=sys.stderr)
        return 2
    try:
        history = Replay.load(replay) if replay is not None else None
    except ReplayError as exc:
        print(f"fake-api: --replay: {exc}", file=sys.stderr)
        return 2
    sim = Simulator(
        seed=seed,
        requests_per_minute=requests_per_minute,
        requests_per_day=requests_per_day,
        replay=history,
    )
    try:
        server = serve(sim, host, port)
    except OSError as exc:
        print(f"fake-api: cannot listen on {listen}: {exc}", file=sys.stderr)
        return 1
    print(f"fake OpenRouter Data API on {server.url}", file=sys.stderr, flush=True)
    if history is not None:
        print(
            f"fake-api: replaying {history.source}: rankings-daily {history.first} to "
            f"{history.last} (the newest published day); other datasets simulated",
            file=sys.stderr,
            flush=True,
        )
    try:
        _wait_for_signal()
    finally:
        server.shutdown()
    return 0


def _wait_for_signal() -> None:
    """Until SIGINT or SIGTERM (or Ctrl-C); SIGHUP is logged and ignored."""
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    def _on_hup(signum: int, frame: FrameType | None) -> None:
        print("fake-api: received SIGHUP: nothing to reload; ignored", file=sys.stderr, flush=True)

    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _on_signal)
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, _on_hup)
    try:
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
