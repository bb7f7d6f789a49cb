"""`make bench`: scrape cost of our cached exposition vs a naive prometheus_client exporter.

Both serve the same maximal series set (bench/maximal.py), each in its own process so
their memory is their own; this process scrapes both over real HTTP in the same run and
prints medians and ratios. Figures, not pass/fail: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PLAIN = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}


def load(state: Path) -> dict:
    """The snapshots as a restarted exporter has them: read from its state directory (so
    the simulator that made them is not in the measured process)."""
    from exporter.store import Store

    store = Store(state)
    store.load()
    return dict(store.snapshots())


def serve_ours(port: int, state: Path) -> None:
    from dataclasses import replace

    from bench.maximal import maximal_config
    from exporter.collector import ExpositionCache
    from exporter.selfmetrics import SelfMetrics
    from exporter.server import Endpoints, start
    from exporter.snapshot import AppRow
    from exporter.store import Store

    cfg = maximal_config()
    snaps = load(state)
    store = Store(None)
    cache = ExpositionCache(cfg)
    store.on_change(cache.update)
    t0 = time.perf_counter()
    store.put_many(snaps.values())
    apply_all = time.perf_counter() - t0
    # A refreshed view: one snapshot replaced (new values), everything else kept.
    apps = [s for s in snaps.values() if s.rows and isinstance(s.rows[0], AppRow)][:9]
    apply_one = []
    for old in apps:
        snap = replace(
            old, rows=tuple(replace(r, total_tokens=r.total_tokens + 1) for r in old.rows)
        )
        t0 = time.perf_counter()
        store.put(snap)
        cache.current.gz  # noqa: B018 - the first gzip scrape pays this; count it here
        apply_one.append(time.perf_counter() - t0)
    endpoints = Endpoints(
        telemetry_path="/metrics",
        cache=cache,
        self_metrics=SelfMetrics(),
        statuses=list,
        has_data=lambda key: True,
        plan_text=str,
        budget=lambda: ({}, {}),
        upstream="bench",
    )
    start(f"127.0.0.1:{port}", endpoints)
    series = sum(1 for line in cache.current.text.splitlines() if not line.startswith(b"#"))
    print(
        json.dumps(
            {
                "apply_all_s": apply_all,
                "apply_one_s": statistics.median(apply_one),
                "series": series,
                "bytes": len(cache.current.text),
            }
        ),
        flush=True,
    )
    while True:
        time.sleep(3600)


def serve_baseline(port: int, state: Path) -> None:
    """What most API exporters do: Gauge children set from the rows, rendered per scrape."""
    from prometheus_client import CollectorRegistry, Gauge, start_http_server

    from bench.maximal import maximal_config
    from exporter import taxonomy as tx
    from exporter.collector import model_labels, model_period

    cfg = maximal_config()
    registry = CollectorRegistry()
    app_labels = ["window", "sort", "category", "subcategory", "app_id", "app"]
    rank = Gauge("openrouter_app_rank", "rank", app_labels, registry=registry)
    tokens = Gauge("openrouter_app_tokens", "tokens", app_labels, registry=registry)
    requests = Gauge("openrouter_app_requests", "requests", app_labels, registry=registry)
    m_labels = ["view", "model", "author", "variant"]
    m_tokens = Gauge("openrouter_model_tokens", "tokens", m_labels, registry=registry)
    cost = Gauge(
        "openrouter_session_median_cost_dollars",
        "usd",
        ["app_slug", "app", "model", "turn_range"],
        registry=registry,
    )
    views = {v.name: v for v in cfg.app_views}
    mviews = {v.name: v for v in cfg.model_views}
    for snap in load(state).values():
        if snap.dataset == tx.DATASET_APPS:
            v = views[snap.view]
            for r in snap.rows:
                labels = (
                    v.window,
                    v.sort,
                    v.category_label,
                    v.subcategory_label,
                    str(r.app_id),
                    r.app_name,
                )
                rank.labels(*labels).set(r.rank)
                tokens.labels(*labels).set(r.total_tokens)
                requests.labels(*labels).set(r.total_requests)
        elif snap.dataset == tx.DATASET_MODELS:
            period = model_period(snap, mviews[snap.view].period)
            for model, toks in period.rows if period else []:
                m_tokens.labels(*model_labels(snap.view, model)).set(toks)
        else:
            for r in snap.rows:
                cost.labels(r.app_slug, r.app_name, r.model, r.turn_range).set(r.median_cost_usd)
    start_http_server(port, addr="127.0.0.1", registry=registry)
    print(json.dumps({"ready": True}), flush=True)
    while True:
        time.sleep(3600)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(kind: str, state: Path) -> tuple[subprocess.Popen[str], int, dict]:
    port = free_port()
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--serve",
            kind,
            "--port",
            str(port),
            "--state",
            str(state),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert p.stdout is not None
    info = json.loads(p.stdout.readline())
    return p, port, info


def scrape_times(port: int, headers: dict[str, str], n: int) -> list[float]:
    """Seconds to the last byte received (raw, not decompressed)."""
    times = []
    with httpx.Client(timeout=60) as c:
        for _ in range(n):
            t0 = time.perf_counter()
            with c.stream("GET", f"http://127.0.0.1:{port}/metrics", headers=headers) as r:
                for _chunk in r.iter_raw():
                    pass
                assert r.status_code == 200
            times.append(time.perf_counter() - t0)
    return times


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    return f"{cpu}, {os.cpu_count()} cores, {mem} GiB, Python {platform.python_version()}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", choices=["ours", "baseline"])
    ap.add_argument("--port", type=int)
    ap.add_argument("--state", type=Path)
    ap.add_argument("--ours-scrapes", type=int, default=300)
    ap.add_argument("--baseline-scrapes", type=int, default=15)
    args = ap.parse_args()
    if args.serve == "ours":
        serve_ours(args.port, args.state)
    elif args.serve == "baseline":
        serve_baseline(args.port, args.state)
    from bench.maximal import maximal_config, maximal_snapshots
    from exporter.store import Store

    state = Path(tempfile.mkdtemp(prefix="openrouter-bench-"))
    Store(state).put_many(maximal_snapshots(maximal_config()))
    ours, ours_port, info = spawn("ours", state)
    base, base_port, _ = spawn("baseline", state)
    try:
        results = {}
        for name, port, n in (
            ("ours", ours_port, args.ours_scrapes),
            ("baseline", base_port, args.baseline_scrapes),
        ):
            scrape_times(port, GZIP, 2)  # warm up
            results[name] = {
                "plain": scrape_times(port, PLAIN, n),
                "gzip": scrape_times(port, GZIP, n),
            }
        rss = {"ours": peak_rss_mb(ours.pid), "baseline": peak_rss_mb(base.pid)}
    finally:
        for proc in (ours, base):
            proc.kill()
            proc.wait()
        shutil.rmtree(state, ignore_errors=True)
    print(f"machine: {machine()}")
    print(f"series: {info['series']:,} ({info['bytes'] / 1e6:.1f} MB of text)")
    print(f"{'':<22}{'ours':>12}{'baseline':>12}{'ratio':>10}")
    for enc in ("plain", "gzip"):
        for q in (50, 99):
            a, b = p(results["ours"][enc], q), p(results["baseline"][enc], q)
            print(f"{f'scrape {enc} p{q}':<22}{a * 1000:>10.2f}ms{b * 1000:>10.0f}ms{b / a:>9.0f}x")
    print(
        f"{'peak RSS':<22}{rss['ours']:>10.0f}MB{rss['baseline']:>10.0f}MB"
        f"{rss['baseline'] / rss['ours']:>9.1f}x"
    )
    print(
        f"apply a refreshed snapshot (one view, incl. gzip): "
        f"{info['apply_one_s'] * 1000:.0f} ms; all {info['series']:,} series at once: "
        f"{info['apply_all_s'] * 1000:.0f} ms"
    )
    ratio = p(results["baseline"]["gzip"], 50) / p(results["ours"]["gzip"], 50)
    print(
        f"target p50 gzip >= 200x baseline: {ratio:.0f}x "
        f"{'met' if ratio >= 200 else 'NOT met'}; peak RSS <= 100 MB: "
        f"{'met' if rss['ours'] <= 100 else 'NOT met'}; apply <= 1 s: "
        f"{'met' if info['apply_one_s'] <= 1 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
