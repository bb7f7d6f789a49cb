"""`make bench`: the scrape cost of our cached exposition, against the physical limit and a
naive prometheus_client exporter, and the HTTP server candidates side by side.

Every server serves the same maximal series set (testsupport/maximal.py), each in its own process
so its memory is its own; this process scrapes them over real HTTP in the same run:
- ours (cheroot): the exporter's server, with self-metrics for every view (as a running
  exporter has);
- today's: the same endpoints on the server it replaced (bench/previous/);
- uvicorn*: uvicorn sending the very bytes ours answered with, pre-built (bench/candidates.py);
- limit: the same pre-built bytes behind a minimal server (bench/limit.py);
- ours, fresh tail: rendering the self-metrics on every scrape (max age 0), which is what each
  scrape of a single Prometheus (every 15 s or more) pays;
- baseline: Gauge children set from the rows, rendered by generate_latest on every scrape.
All but the baseline are scraped in interleaved rounds, so a noisy neighbour hits them
alike; the spread of the per-round medians is printed with the medians. Then, with the
servers gone, the figures timed in this process (bench/inprocess.py): the status page's
render and the simulator's market.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bench import inprocess

if TYPE_CHECKING:
    from exporter.exposition import ExpositionCache

ROOT = Path(__file__).resolve().parent.parent
ENCODINGS = {"plain": "identity", "gzip": "gzip"}
TARGET_LIMIT_RATIO = 1.5  # gzip p50 at most this many times the limit's
TARGET_BASELINE_RATIO = 500  # gzip p50 at least this many times faster than the baseline
TARGET_RSS_MB = 70  # peak resident memory of ours


def load(state: Path) -> dict:
    """The snapshots as a restarted exporter has them: read from its state directory (so
    the simulator that made them is not in the measured process)."""
    from exporter.datasets import ROW_TYPES
    from exporter.store import Store

    store = Store(state, ROW_TYPES)
    store.load()
    return dict(store.snapshots())


def apply_times(cache: ExpositionCache, snaps: dict) -> tuple[float, float]:
    """Seconds to apply every snapshot at once, and (median) one refreshed view."""
    from dataclasses import replace

    from exporter.datasets import ROW_TYPES
    from exporter.datasets.apps import AppRow
    from exporter.store import Store

    store = Store(None, ROW_TYPES)
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
    return apply_all, statistics.median(apply_one)


def serve_ours(port: int, state: Path, max_age: float | None, previous: bool = False) -> None:
    """The exporter's endpoints on its server (cheroot), or with ``previous`` on the one it
    had before (bench/previous/: socketserver and our own HTTP/1.1 code)."""
    from exporter.exposition import ExpositionCache
    from exporter.selfmetrics import MAX_AGE, SelfMetrics
    from exporter.server import Endpoints, start
    from exporter.viewstatus import ViewState, ViewStatus
    from testsupport.maximal import maximal_config

    if previous:
        from bench.previous.server import start  # type: ignore[no-redef]

    cache = ExpositionCache(maximal_config())
    snaps = load(state)
    apply_all, apply_one = apply_times(cache, snaps)
    keys = sorted(snaps)
    del snaps  # the cache keeps what it serves, as in a running exporter
    now = time.time()
    statuses = [  # every view refreshed, as in a running exporter
        ViewStatus(d, v, ViewState.OK, last_success=now - 600, next_refresh=now + 3000)
        for d, v in keys
    ]
    budget = ({"1m": 24, "24h": 400}, {"1m": 1, "24h": 187})
    self_metrics = SelfMetrics(
        lambda: statuses, lambda: budget, MAX_AGE if max_age is None else max_age
    )
    endpoints = Endpoints(
        telemetry_path="/metrics",
        cache=cache,
        self_metrics=self_metrics,
        statuses=lambda: statuses,
        has_data=lambda key: True,
        page=lambda: b"<!doctype html><title>bench</title>",  # the bench scrapes /metrics
    )
    start(f"127.0.0.1:{port}", endpoints)
    chunks = cache.current.chunks  # not .text: joining them would add 10 MB to the peak
    info = {
        "apply_all_s": apply_all,
        "apply_one_s": apply_one,
        "series": sum(c.count(b"\n") for c in chunks if not c.startswith(b"#")),
        "bytes": sum(len(c) for c in chunks),
    }
    print(json.dumps(info), flush=True)
    while True:
        time.sleep(3600)


def serve_baseline(port: int, state: Path) -> None:
    """What most API exporters do: Gauge children set from the rows, rendered per scrape."""
    from prometheus_client import CollectorRegistry, Gauge, start_http_server

    from exporter.datasets.apps import app_views
    from exporter.datasets.models import model_labels, model_period, model_views
    from testsupport.maximal import maximal_config

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
    views = {v.name: v for v in app_views(cfg)}
    mviews = {v.name: v for v in model_views(cfg)}
    for snap in load(state).values():
        if snap.dataset == "app-rankings":
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
        elif snap.dataset == "rankings-daily":
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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(kind: str, *args: str) -> tuple[subprocess.Popen[str], int, dict]:
    port = free_port()
    p = subprocess.Popen(
        [sys.executable, "-m", "bench.run", "--serve", kind, "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert p.stdout is not None
    info = json.loads(p.stdout.readline())
    return p, port, info


def capture(port: int, encoding: str) -> bytes:
    """One whole response of ours (status line, headers, body) as it came off the wire."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(
            f"GET /metrics HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: {encoding}\r\n\r\n".encode()
        )
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head = data.split(b"\r\n\r\n", 1)[0]
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(data) < len(head) + 4 + length:
            data += s.recv(1 << 20)
    return data


def scrape_times(port: int, encoding: str, n: int) -> list[float]:
    """Seconds to the last byte received (raw, not decompressed), over one keep-alive."""
    times = []
    with httpx.Client(timeout=60) as c:
        for _ in range(n):
            t0 = time.perf_counter()
            with c.stream(
                "GET", f"http://127.0.0.1:{port}/metrics", headers={"Accept-Encoding": encoding}
            ) as r:
                for _chunk in r.iter_raw():
                    pass
                assert r.status_code == 200
            times.append(time.perf_counter() - t0)
    return times


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used (all its threads, live or ended): a figure that load
    from other processes disturbs less than wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


# Scraped in interleaved rounds, in this order: the chosen server (cheroot), the one it
# replaced, the other candidate, the limit, and the chosen one with a fresh tail.
SERVERS = {
    "ours": "cheroot",
    "previous": "today's",
    "uvicorn": "uvicorn*",
    "limit": "limit",
    "fresh": "fresh tail",
}


def measure(args: argparse.Namespace, state: Path) -> tuple[dict, dict, dict]:
    """Per server and encoding: every scrape time, and the p50 of each round."""
    procs: dict[str, subprocess.Popen[str]] = {}
    ports: dict[str, int] = {}
    procs["ours"], ports["ours"], info = spawn("ours", "--state", str(state))
    procs["previous"], ports["previous"], _ = spawn("ours", "--state", str(state), "--previous")
    procs["fresh"], ports["fresh"], _ = spawn("ours", "--state", str(state), "--max-age", "0")
    for enc, accept in ENCODINGS.items():
        (state / f"{enc}.response").write_bytes(capture(ports["ours"], accept))
    responses = ("--plain", str(state / "plain.response"), "--gzip", str(state / "gzip.response"))
    procs["uvicorn"], ports["uvicorn"], _ = spawn("uvicorn", *responses)
    procs["limit"], ports["limit"], _ = spawn("limit", *responses)
    base, base_port, _ = spawn("baseline", "--state", str(state))
    names = list(SERVERS)
    times: dict = {name: {enc: [] for enc in ENCODINGS} for name in [*names, "baseline"]}
    rounds: dict = {name: {enc: [] for enc in ENCODINGS} for name in names}
    cpu: dict = {name: dict.fromkeys(ENCODINGS, 0.0) for name in names}
    try:
        for port in [*ports.values(), base_port]:
            scrape_times(port, "gzip", 3)  # warm up
        per_round = max(1, args.scrapes // args.rounds)
        for _ in range(args.rounds):
            for name in names:
                for enc, accept in ENCODINGS.items():
                    before = cpu_seconds(procs[name].pid)
                    t = scrape_times(ports[name], accept, per_round)
                    cpu[name][enc] += cpu_seconds(procs[name].pid) - before
                    times[name][enc] += t
                    rounds[name][enc].append(statistics.median(t))
        for enc, accept in ENCODINGS.items():
            times["baseline"][enc] = scrape_times(base_port, accept, args.baseline_scrapes)
        rss = {name: peak_rss_mb(procs[name].pid) for name in ("ours", "previous", "uvicorn")}
        rss["baseline"] = peak_rss_mb(base.pid)
    finally:
        for proc in [*procs.values(), base]:
            proc.kill()
            proc.wait()
    per_scrape = {
        name: {enc: cpu[name][enc] / len(times[name][enc]) for enc in ENCODINGS} for name in cpu
    }
    return times, rounds, {**info, "rss": rss, "cpu": per_scrape}


def ratio_spread(rounds: dict, name: str, enc: str) -> str:
    """name÷limit of each round's medians: median (min-max)."""
    r = [a / b for a, b in zip(rounds[name][enc], rounds["limit"][enc], strict=True)]
    return f"{statistics.median(r):.2f} ({min(r):.1f}-{max(r):.1f})"


def report(times: dict, rounds: dict, info: dict, figures: inprocess.Figures) -> None:
    print(f"machine: {machine()}")
    print(f"series: {info['series']:,} ({info['bytes'] / 1e6:.1f} MB of text)")
    print(
        "cheroot: the exporter's server; today's: the one it replaces (socketserver and our "
        "own HTTP/1.1 code);\nuvicorn*: uvicorn (h11) sending the same responses pre-built, "
        "no work of ours; limit: the same, by the least a Python server can do"
    )
    print(f"{'':<18}" + "".join(f"{label:>12}" for label in SERVERS.values()) + f"{'baseline':>10}")
    for enc in ENCODINGS:
        for q in (50, 99):
            cells = "".join(f"{p(times[n][enc], q) * 1e3:>10.2f}ms" for n in SERVERS)
            base = p(times["baseline"][enc], q)
            print(f"{f'scrape {enc} p{q}':<18}{cells}{base * 1e3:>8.0f}ms")
        print(
            f"{'  ÷ limit, p50':<18}"
            + "".join(
                f"{p(times[n][enc], 50) / p(times['limit'][enc], 50):>11.2f}x" for n in SERVERS
            )
            + f"{p(times['baseline'][enc], 50) / p(times['limit'][enc], 50):>9.0f}x"
        )
        print(
            f"{'  per round':<18}"
            + "".join(f"{ratio_spread(rounds, n, enc):>22}" for n in ("ours", "previous"))
        )
    cpu = info["cpu"]
    for enc in ENCODINGS:
        cells = "".join(f"{cpu[n][enc] * 1e3:>10.2f}ms" for n in SERVERS)
        print(f"{f'CPU/scrape {enc}':<18}{cells}")
    rss = info["rss"]
    print(
        f"peak RSS: cheroot {rss['ours']:.0f} MB, today's {rss['previous']:.0f} MB, "
        f"uvicorn* {rss['uvicorn']:.0f} MB (no exporter data in it), "
        f"baseline {rss['baseline']:.0f} MB"
    )
    print(
        f"apply a refreshed snapshot (one view, incl. gzip): "
        f"{info['apply_one_s'] * 1000:.0f} ms; all {info['series']:,} series at once: "
        f"{info['apply_all_s'] * 1000:.0f} ms"
    )
    inprocess.report(figures)
    targets(times, rss, figures)


def targets(times: dict, rss: dict, figures: inprocess.Figures) -> None:
    gz = p(times["ours"]["gzip"], 50)
    to_limit = gz / p(times["limit"]["gzip"], 50)
    to_base = p(times["baseline"]["gzip"], 50) / gz
    checks = [
        (
            f"gzip p50 <= {TARGET_LIMIT_RATIO}x the limit",
            f"{to_limit:.2f}x",
            to_limit <= TARGET_LIMIT_RATIO,
        ),
        (
            f"gzip p50 >= {TARGET_BASELINE_RATIO}x faster than the baseline",
            f"{to_base:.0f}x",
            to_base >= TARGET_BASELINE_RATIO,
        ),
        (f"peak RSS <= {TARGET_RSS_MB} MB", f"{rss['ours']:.0f} MB", rss["ours"] <= TARGET_RSS_MB),
    ]
    inprocess.print_targets(checks + inprocess.checks(figures))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", choices=["ours", "baseline", "limit", "uvicorn"])
    ap.add_argument("--port", type=int)
    ap.add_argument("--state", type=Path)
    ap.add_argument("--max-age", type=float, help="ours: self-metrics max age (s)")
    ap.add_argument("--previous", action="store_true", help="ours: on the server it replaced")
    ap.add_argument("--plain", type=Path)
    ap.add_argument("--gzip", type=Path)
    ap.add_argument("--scrapes", type=int, default=400, help="per server and encoding")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--baseline-scrapes", type=int, default=15, help="per encoding")
    args = ap.parse_args()
    if args.serve == "ours":
        serve_ours(args.port, args.state, args.max_age, args.previous)
    elif args.serve == "baseline":
        serve_baseline(args.port, args.state)
    elif args.serve == "limit":
        from bench.limit import serve

        serve(args.port, args.plain, args.gzip)
    elif args.serve == "uvicorn":
        from bench.candidates import serve_uvicorn

        serve_uvicorn(args.port, args.plain, args.gzip)
    from exporter.datasets import ROW_TYPES
    from exporter.store import Store
    from testsupport.maximal import maximal_config, maximal_snapshots

    state = Path(tempfile.mkdtemp(prefix="openrouter-bench-"))
    try:
        Store(state, ROW_TYPES).put_many(maximal_snapshots(maximal_config()))
        times, rounds, info = measure(args, state)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    # Timed here once the servers are gone, so they do not compete for the cores.
    figures = inprocess.measure()
    report(times, rounds, info, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
