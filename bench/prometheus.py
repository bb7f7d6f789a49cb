"""`make bench-prometheus`: what our recording rules, alerts and dashboards cost Prometheus.

One demo exporter at the maximal app config (testsupport/maximal.py), scraped every 15 s by two
real Prometheus servers (Debian's 2.42) side by side: one with our rule files, one without
(the baseline), both started with nine days of rank history (bench/prometheus_history.py:
what the rules that look back read on a server that has run for a week; `--history-days 0`
for a fresh one). Measured in the same run, after every rule group's first evaluation:
Prometheus CPU of each (/proc utime+stime), each rule group's evaluation time
(/api/v1/rules), then every dashboard panel's query as an instant and as a range query on
both, and the longest expression of each kind. Every figure is printed beside its target.

    python -m bench.prometheus [--seconds 300 | --quick] [--history-days 9]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench import panels as pn
from bench import prometheus_history as ph
from bench.prometheus_report import Measured, Run, Timed, report
from bench.run import cpu_seconds, free_port, peak_rss_mb
from testsupport.maximal import MAXIMAL_CONFIG

SCRAPE_INTERVAL = 15
DEFAULT_SECONDS = 300
QUICK_SECONDS = 90
# A week of rank history and the day before it: what the rules that look back read (the
# best recent rank looks 8 days back).
HISTORY_DAYS = 9
APP_SERIES = "openrouter_app_rank{"
# Loaded before any fork: a child only calls into it (PR_SET_PDEATHSIG) before its exec.
_LIBC = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    # A bench killed with SIGKILL gets no chance to stop its children: the kernel does it.
    _LIBC.prctl(1, signal.SIGTERM)


class Processes:
    """Every process the bench starts, each logging to its own file in the temp dir; all
    stopped (SIGTERM, then kill) and the dir removed on close, whatever ended the run."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="openrouter-bench-prom-"))
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> int:
        with open(self.tmp / f"{name}.log", "wb") as log:
            # A session of its own: Ctrl-C reaches the bench only, which stops them in order.
            self.procs[name] = subprocess.Popen(
                cmd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # the bench starts no threads
            )
        return self.procs[name].pid

    def check(self, name: str) -> None:
        if self.procs[name].poll() is not None:
            tail = (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} exited ({self.procs[name].returncode}):\n{tail}")

    def close(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait(check: Callable[[], Any], what: str, timeout: float, procs: Processes) -> Any:
    """Poll ``check`` until it is truthy; fail early if any process has exited."""
    deadline = time.monotonic() + timeout
    last: object = "nothing yet"
    while time.monotonic() < deadline:
        for name in procs.procs:
            procs.check(name)
        try:
            if result := check():
                return result
        except (httpx.HTTPError, OSError, ValueError, KeyError, pn.QueryError) as e:
            last = e
        time.sleep(0.5)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last})")


def epoch(rfc3339: str) -> float:
    # Go writes up to 9 fractional digits, Python reads at most 6.
    head, _, frac = rfc3339.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00").timestamp()


def start_exporter(procs: Processes, client: httpx.Client, address: str) -> str:
    """The demo exporter at the maximal app config, once it serves every view; what it
    serves."""
    config = procs.tmp / "exporter.yaml"
    config.write_text(yaml.safe_dump(MAXIMAL_CONFIG))
    script = Path(sys.executable).parent / "openrouter-exporter"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "exporter"]
    # The demo keeps its state in TMPDIR: ours, so it goes with the temp dir.
    env = {**os.environ, "TMPDIR": str(procs.tmp)}
    env.pop("OPENROUTER_API_KEY", None)
    cmd += ["demo", f"--config.file={config}", f"--web.listen-address={address}"]
    procs.spawn("exporter", cmd, env)
    url = f"http://{address}"
    # The demo asks its simulator at 120 requests a minute: 124 views take about a minute.
    wait(lambda: client.get(f"{url}/readyz").text == "ready\n", "exporter /readyz", 300, procs)

    def exposition() -> str | None:
        text = client.get(f"{url}/metrics").text
        return text if APP_SERIES in text else None

    return str(wait(exposition, "app series on /metrics", 60, procs))


def start_prometheus(procs: Processes, name: str, target: str, rules: list[Path]) -> str:
    config = procs.tmp / f"{name}.yml"
    every = f"{SCRAPE_INTERVAL}s"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": every, "evaluation_interval": every},
                "rule_files": [str(p) for p in rules],
                "scrape_configs": [
                    {"job_name": "openrouter", "static_configs": [{"targets": [target]}]}
                ],
            }
        )
    )
    port = free_port()
    binary = shutil.which("prometheus")
    if not binary:
        raise RuntimeError("prometheus not found: `make prometheus-tools` installs it")
    procs.spawn(
        name,
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={procs.tmp / f'{name}-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
    )
    return f"http://127.0.0.1:{port}"


def full_scrape(client: httpx.Client, url: str, since: float) -> float | None:
    """When the server last scraped the exporter, if that was after ``since`` and went well."""
    targets = pn.api(client, url, "targets")["activeTargets"]
    t = targets[0] if targets else None
    if t and t["health"] == "up" and epoch(t["lastScrape"]) > since:
        return epoch(t["lastScrape"])
    return None


def evaluated_since(client: httpx.Client, url: str, since: float) -> bool:
    groups = pn.api(client, url, "rules")["groups"]
    return bool(groups) and all(epoch(g["lastEvaluation"]) > since for g in groups)


def measure(
    client: httpx.Client, urls: dict[str, str], pids: dict[str, int], seconds: float, since: float
) -> Measured:
    """CPU of each server over ``seconds``, sampling the rule groups every scrape interval;
    each evaluation that started after ``since`` counted once."""
    m = Measured()

    def sample() -> None:
        for name, url in urls.items():  # both asked alike: the answer costs them alike
            for g in pn.api(client, url, "rules")["groups"]:
                m.intervals[g["name"]] = g["interval"]
                if epoch(g["lastEvaluation"]) > since:
                    m.evals.setdefault(g["name"], {})[g["lastEvaluation"]] = g["evaluationTime"]
                for i, r in enumerate(g["rules"]):
                    if epoch(r["lastEvaluation"]) > since:
                        key = (g["name"], i, r["name"])
                        m.rule_evals.setdefault(key, {})[r["lastEvaluation"]] = r["evaluationTime"]
            if name == "with" and not m.intervals:
                raise RuntimeError("the Prometheus with rules has no rule groups")

    m.load = [os.getloadavg()[0]]
    cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
    t0 = time.monotonic()
    sample()
    end = t0 + seconds
    # Past the period only while a group has no evaluation yet (a short --seconds).
    cap = end + 2 * max(m.intervals.values())
    while (now := time.monotonic()) < end or (now < cap and set(m.intervals) - set(m.evals)):
        time.sleep(min(SCRAPE_INTERVAL, end - now) if now < end else 1.0)
        sample()
    m.seconds = time.monotonic() - t0
    m.cpu = {name: (cpu_seconds(pid) - cpu0[name]) / m.seconds for name, pid in pids.items()}
    m.load.append(os.getloadavg()[0])
    return m


def time_panels(
    client: httpx.Client, urls: dict[str, str], runs: int, *, ranged: bool
) -> list[Timed]:
    end = time.time()
    out = []
    for q in pn.dashboard_queries(client, urls["with"]):
        timed = Timed(q.where, {})
        for name, url in urls.items():
            try:
                timed.seconds[name] = pn.time_query(client, url, q.expr, runs, end, ranged=ranged)
            except pn.QueryError as e:
                timed.seconds[name] = None
                timed.errors.append(f"{name}: {e}")
        out.append(timed)
    return out


def bench(procs: Processes, seconds: float, runs: int, history_days: int) -> Run:
    run = Run(scrape_interval=SCRAPE_INTERVAL, runs=runs, history_days=history_days)
    out = subprocess.run(["prometheus", "--version"], capture_output=True, text=True)
    version = re.search(r"version (\S+)", out.stdout + out.stderr)
    run.version = f"Prometheus {version.group(1) if version else '(version unknown)'}"
    with httpx.Client(timeout=30) as client:
        # The exporter first: the history written for the servers is that of its series.
        target = f"127.0.0.1:{free_port()}"
        text = start_exporter(procs, client, target)
        run.series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
        if history_days:
            history = ph.openmetrics(text, "openrouter", target, history_days, time.time())
            data = [procs.tmp / f"{name}-data" for name in ("with", "without")]
            run.history_samples = ph.write_blocks(history, procs.tmp, data)
        started = time.time()
        urls = {
            "with": start_prometheus(procs, "with", target, pn.RULE_FILES),
            "without": start_prometheus(procs, "without", target, []),
        }
        ready_at = time.time()
        full = {}
        for name, url in urls.items():
            scraped = functools.partial(full_scrape, client, url, ready_at)
            full[name] = wait(scraped, f"{name}: a scrape of every view", 60, procs)
        # The first evaluation over every series creates the recorded series: not the
        # steady state, so the clock starts after it.
        first = functools.partial(evaluated_since, client, urls["with"], full["with"])
        wait(first, "every rule group's first evaluation of every view", 180, procs)
        pids = {name: procs.procs[name].pid for name in urls}
        run.measured = measure(client, urls, pids, seconds, time.time())
        # Every active alert expands its annotations at each evaluation, and ours query
        # Prometheus for their figures: part of the alert groups' time.
        for a in pn.api(client, urls["with"], "alerts")["alerts"]:
            name = a["labels"]["alertname"]
            run.alerts_active[name] = run.alerts_active.get(name, 0) + 1
        for name, url in urls.items():
            run.head[name] = pn.api(client, url, "status/tsdb")["headStats"]["numSeries"]
            run.rss_mb[name] = peak_rss_mb(pids[name])
        run.held_minutes = (time.time() - started) / 60
        run.instant = time_panels(client, urls, runs, ranged=False)
        run.ranged = time_panels(client, urls, runs, ranged=True)
    return run


@contextlib.contextmanager
def stopped_on_sigterm() -> Iterator[None]:
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so every finally runs.
    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.prometheus", description=__doc__)
    ap.add_argument("--seconds", type=float, help=f"measured period (default {DEFAULT_SECONDS})")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS} s, one run per query")
    ap.add_argument("--runs", type=int, help="answers per panel query (median; default 3)")
    ap.add_argument(
        "--history-days",
        type=int,
        default=HISTORY_DAYS,
        help=f"days of rank history the servers start with (default {HISTORY_DAYS}; 0: none)",
    )
    args = ap.parse_args(argv)
    seconds = args.seconds or (QUICK_SECONDS if args.quick else DEFAULT_SECONDS)
    runs = args.runs or (1 if args.quick else 3)
    procs = Processes()
    try:
        with stopped_on_sigterm():
            run = bench(procs, seconds, runs, args.history_days)
    except KeyboardInterrupt:
        print("interrupted: every process stopped, temp dir removed", file=sys.stderr)
        return 130
    finally:
        procs.close()
    report(run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
