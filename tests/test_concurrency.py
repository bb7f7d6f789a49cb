"""20 scrapers for 30 seconds while every snapshot is replaced again and again: no errors,
every response parses, and each comes from one snapshot set, never a mix of two."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import httpx
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from exporter.configfile import parse_config
from exporter.datasets import ROW_TYPES
from exporter.datasets.apps import AppRow, app_views
from exporter.datasets.models import ModelDayRow
from exporter.exposition import ExpositionCache
from exporter.selfmetrics import SelfMetrics
from exporter.server import Endpoints, start
from exporter.snapshot import Meta, Snapshot
from exporter.store import Store

CFG = parse_config(
    {
        "apps": {
            "windows": ["1d", "7d"],
            "sorts": ["popular", "trending"],
            "filters": ["all", "categories"],
            "depth": 20,
        }
    }
)
BASE = datetime(2026, 5, 12, 2, tzinfo=UTC).timestamp()
SCRAPERS, SECONDS = 20, 30.0


def generation(g: int) -> list[Snapshot]:
    """Every value of generation g carries g, so a response can tell which it came from."""
    meta = Meta(as_of=datetime.fromtimestamp(BASE + g, UTC), end_date=date(2026, 5, 11))
    snaps = [
        Snapshot(
            "app-rankings",
            v.name,
            tuple(AppRow(i, f'App "{i}" \\ 🚀', i, 1, 1000 * i + g) for i in range(1, 21)),
            meta,
            0.0,
        )
        for v in app_views(CFG)
    ]
    snaps.append(
        Snapshot(
            "rankings-daily",
            "daily",
            tuple(ModelDayRow(date(2026, 5, 11), f"a/m{i}", 1000 * i + g) for i in range(1, 30)),
            meta,
            0.0,
        )
    )
    return snaps


def generations_in(body: str, openmetrics: bool) -> set[int]:
    families = parse_openmetrics(body) if openmetrics else parse_text(body)
    seen = set()
    for fam in families:
        for s in fam.samples:
            if s.name == "openrouter_data_as_of_timestamp_seconds":
                seen.add(round(s.value - BASE))
            elif s.name in ("openrouter_app_tokens", "openrouter_model_tokens"):
                seen.add(round(s.value) % 1000)
    return seen


def test_concurrent_scrapes_during_snapshot_replacement():
    store = Store(None, ROW_TYPES)
    cache = ExpositionCache(CFG)
    store.on_change(cache.update)
    store.put_many(generation(0))
    endpoints = Endpoints(
        telemetry_path="/metrics",
        cache=cache,
        self_metrics=SelfMetrics(),
        statuses=list,
        has_data=lambda key: True,
        page=lambda: b"<!doctype html><title>test</title>",
    )
    server = start("127.0.0.1:0", endpoints)
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    stop = threading.Event()
    errors: list[str] = []
    responses = [0] * SCRAPERS
    seen_generations: set[int] = set()
    replaced = [0]

    def replace() -> None:
        g = 1
        while not stop.is_set():
            store.put_many(generation(g % 1000))
            replaced[0] = g
            g += 1
            time.sleep(0.02)

    def scrape(n: int) -> None:
        openmetrics, gz = n % 2 == 0, n % 3 == 0
        headers = {"Accept-Encoding": "gzip" if gz else "identity"}
        if openmetrics:
            headers["Accept"] = "application/openmetrics-text;version=1.0.0"
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    r = client.get(url, headers=headers)
                    if r.status_code != 200:
                        errors.append(f"HTTP {r.status_code}")
                        continue
                    gens = generations_in(r.text, openmetrics)
                    if len(gens) != 1:
                        errors.append(f"torn response: generations {sorted(gens)[:5]}")
                    seen_generations.update(gens)
                    responses[n] += 1
                except Exception as e:  # any failure to fetch or parse is an error
                    errors.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=replace)] + [
        threading.Thread(target=scrape, args=(n,)) for n in range(SCRAPERS)
    ]
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join(30)
    server.shutdown()
    server.server_close()
    assert not errors, errors[:10]
    assert all(n > 0 for n in responses), responses
    assert replaced[0] > 50 and len(seen_generations) > 10
