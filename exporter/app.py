"""Wires config → budget → client → scheduler → store → collector → server, and runs it."""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from exporter.budget import Budget
from exporter.client import Client
from exporter.config import Config
from exporter.datasets import ROW_TYPES
from exporter.exposition import ExpositionCache
from exporter.planner import Plan
from exporter.scheduler import Scheduler
from exporter.selfmetrics import SelfMetrics
from exporter.server import Endpoints, Server, start
from exporter.snapshot import Snapshot
from exporter.statuspage import StatusPage
from exporter.store import Store
from exporter.viewstatus import Key, ViewStatus
from exporter.webconfig import WebSecurity

log = logging.getLogger(__name__)
SHUTDOWN_GRACE = 3.0  # seconds the poll thread gets to finish; the whole exit stays under 5


@dataclass
class Exporter:
    cfg: Config
    budget: Budget
    store: Store
    cache: ExpositionCache
    self_metrics: SelfMetrics
    client: Client
    scheduler: Scheduler
    demo: bool = False  # serving the built-in simulator: the status page says so

    @property
    def has_key(self) -> bool:
        return not self.scheduler.no_key

    # --- what the status page reads (exporter.statuspage.PageSource) -----------------

    @property
    def plan(self) -> Plan:
        return self.scheduler.plan

    @property
    def hold_until(self) -> float:
        return self.scheduler.hold_until

    @property
    def unauthorized(self) -> bool:
        return self.scheduler.unauthorized

    @property
    def outage(self) -> bool:
        return self.scheduler.outage

    def now(self) -> float:
        return self.scheduler.clock()

    def snapshots(self) -> Mapping[Key, Snapshot]:
        return self.store.snapshots()

    def statuses(self) -> Iterable[ViewStatus]:
        return self.scheduler.statuses()

    def budget_wait(self, requests: int) -> float:
        return self.budget.wait_time(requests)

    def budget_figures(self) -> tuple[dict[str, int], dict[str, int]]:
        limits = {"1m": self.budget.per_minute, "24h": self.budget.per_day}
        return limits, self.budget.used()

    def endpoints(self) -> Endpoints:
        return Endpoints(
            telemetry_path=self.cfg.web.telemetry_path,
            cache=self.cache,
            self_metrics=self.self_metrics,
            statuses=lambda: list(self.scheduler.statuses()),
            has_data=lambda key: key in self.store.snapshots(),
            page=StatusPage(self),
        )


def build(
    cfg: Config,
    api_key: str | None,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.time,
    state_dir: Path | None = None,
    rng: random.Random | None = None,
) -> Exporter:
    state = state_dir if state_dir is not None else Path(cfg.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    budget = Budget(
        cfg.budget.effective_per_minute,
        cfg.budget.effective_per_day,
        state / "requests.log",
        clock=clock,
    )
    store = Store(state, ROW_TYPES)
    cache = ExpositionCache(cfg)
    store.on_change(cache.update)
    self_metrics = SelfMetrics()
    client = Client(
        cfg,
        api_key,
        spend=budget.spend,
        observe=self_metrics.observe,
        transport=transport,
        clock=clock,
    )
    scheduler = Scheduler(
        cfg, client, budget, store, clock=clock, state_dir=state, rng=rng, polling=bool(api_key)
    )
    exporter = Exporter(cfg, budget, store, cache, self_metrics, client, scheduler)
    self_metrics.views = scheduler.statuses
    self_metrics.budget = exporter.budget_figures
    return exporter


def serve_forever(
    exporter: Exporter,
    listen: str,
    *,
    on_ready: Callable[[str], None] | None = None,
    reload: Callable[[], Exporter] | None = None,
    web: WebSecurity | None = None,
    no_reload: str = "nothing to reload",
) -> int:
    """Serve and poll until SIGTERM/SIGINT; exits 0 within 5 seconds of the signal.

    SIGHUP re-reads the config through ``reload``: a bad config is logged and the running
    one kept, so a typo never takes the exporter down. Without ``reload`` it is logged and
    ignored (``no_reload`` says why), never the default of dying on the spot.
    """
    stop = threading.Event()
    reload_requested = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    def _hup(_signum: int, _frame: object) -> None:
        if reload is None:
            log.info("received SIGHUP: %s; ignored", no_reload)
        else:
            reload_requested.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, _hup)
    try:
        server: Server = start(listen, exporter.endpoints(), web)
    except OSError as e:
        log.error("cannot listen on %s: %s", listen, e.strerror or e)
        return 1
    url = _announce(server, exporter, web)
    if on_ready:
        on_ready(url)
    poller = Poller(exporter)
    while not stop.wait(0.5):
        if reload is not None and reload_requested.is_set():
            reload_requested.clear()
            poller = _reload(poller, reload, server)
    # The request in flight, if any, is abandoned: its budget entry is already on disk and
    # every snapshot write is atomic, so there is nothing else to flush.
    poller.stop()
    server.shutdown()
    server.server_close()
    return 0


def _reload(poller: Poller, reload: Callable[[], Exporter], server: Server) -> Poller:
    try:
        fresh = reload()
    except Exception as e:  # a bad file, an unwritable new state_dir: never fatal
        log.error("config reload failed, keeping the running config: %s", e)
        return poller
    handover(poller.exporter, fresh)
    poller.stop()
    server.endpoints = fresh.endpoints()
    log.info("config reloaded: %d views", len(list(fresh.scheduler.statuses())))
    return Poller(fresh)


def handover(old: Exporter, fresh: Exporter) -> None:
    """What a reloaded exporter keeps from the one it replaces (beyond what is on disk)."""
    fresh.scheduler.failures.inherit(old.scheduler.failures)


def _announce(server: Server, exporter: Exporter, web: WebSecurity | None) -> str:
    """Log where the exporter listens; returns the URL of its landing page."""
    host, port = server.server_address[:2]
    scheme = web.scheme if web else "http"
    url = f"{scheme}://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}/"
    log.info(
        "listening on %s (metrics at %s; %s)",
        url,
        exporter.cfg.web.telemetry_path,
        (web or WebSecurity()).describe(),
    )
    return url


class Poller:
    """The poll loop of one exporter, in its own thread."""

    def __init__(self, exporter: Exporter) -> None:
        self.exporter = exporter
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=exporter.scheduler.run, args=(self._stop,), name="poller", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(SHUTDOWN_GRACE)
        self.exporter.client.close()
