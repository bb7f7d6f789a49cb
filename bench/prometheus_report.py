"""What `make bench-prometheus` measured, and how it prints: every figure beside its target
and the baseline (the Prometheus without our rules, measured in the same run)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import NamedTuple

from bench import panels as pn
from bench.run import machine

TARGET_CPU_RATIO = 5.0  # Prometheus CPU with our rules ÷ without, at most
TARGET_EVAL_MS = 150.0  # every rule group's median evaluation time, summed, at most
TARGET_INSTANT_MS = 50.0  # slowest panel as an instant query, at most
TARGET_RANGE_MS = 1000.0  # slowest panel as a 1 h range query, at most
TARGET_LENGTH = {"panel": 600, "alert": 600, "recording rule": 1000}  # characters, at most
SLOWEST = 10
SLOWEST_RULES = 12


@dataclass
class Measured:
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # cores, per server
    intervals: dict[str, float] = field(default_factory=dict)  # seconds, per rule group
    evals: dict[str, dict[str, float]] = field(default_factory=dict)  # group → when → seconds
    # (group, position, name) → when → seconds: a rule's share of its group's time
    rule_evals: dict[tuple[str, int, str], dict[str, float]] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)  # 1-minute load average, start and end


@dataclass
class Timed:
    where: str
    seconds: dict[str, float | None]  # per server; None: the query failed
    errors: list[str] = field(default_factory=list)


@dataclass
class Run:
    version: str = ""
    scrape_interval: float = 0.0
    series: int = 0  # the exporter's
    measured: Measured = field(default_factory=Measured)
    head: dict[str, int] = field(default_factory=dict)  # head series, per server
    rss_mb: dict[str, float] = field(default_factory=dict)  # peak, per server
    held_minutes: float = 0.0  # how far back the servers' samples go when queried
    runs: int = 0  # answers per panel query
    history_days: int = 0  # of rank history the servers started with
    history_samples: int = 0
    # pending or firing at the end of the period, with rules: per alert name
    alerts_active: dict[str, int] = field(default_factory=dict)
    instant: list[Timed] = field(default_factory=list)
    ranged: list[Timed] = field(default_factory=list)


class Row(NamedTuple):
    ok: bool
    name: str
    value: str
    target: str
    baseline: str


def ms(seconds: float | None) -> str:
    return "error" if seconds is None else f"{seconds * 1e3:.1f} ms"


def at_most(value: float | None, target: float) -> bool:
    return value is not None and value <= target


def slowest(timed: list[Timed], server: str) -> float | None:
    values = [t.seconds[server] for t in timed]
    return None if None in values else max((v for v in values if v is not None), default=None)


def cpu(m: Measured) -> Row:
    ratio = m.cpu["with"] / m.cpu["without"] if m.cpu["without"] else float("inf")
    print(
        f"\nPrometheus CPU (utime+stime from /proc, over {m.seconds:.0f} s; load average "
        f"{m.load[0]:.2f} at the start, {m.load[-1]:.2f} at the end)"
    )
    print(f"  with rules      {m.cpu['with']:.4f} cores")
    print(f"  baseline        {m.cpu['without']:.4f} cores")
    print(f"  with ÷ baseline {ratio:.2f}x")
    return Row(
        at_most(ratio, TARGET_CPU_RATIO),
        "Prometheus CPU, with rules ÷ baseline",
        f"{ratio:.2f}x",
        f"<= {TARGET_CPU_RATIO:g}x",
        f"{m.cpu['without']:.4f} cores",
    )


def rules(m: Measured, every: float) -> Row:
    print(f"\nRule group evaluation (evaluationTime from /api/v1/rules, sampled every {every:g} s)")
    print(f"  {'group':<34}{'interval':>9}{'evaluations':>13}{'median':>11}{'max':>11}")
    total: float | None = 0.0
    for group, interval in m.intervals.items():
        times = list(m.evals.get(group, {}).values())
        med = statistics.median(times) if times else None
        top = max(times) if times else None
        total = None if total is None or med is None else total + med
        print(f"  {group:<34}{interval:>8g}s{len(times):>13}{ms(med):>11}{ms(top):>11}")
    print(f"  {'all groups (sum of medians)':<67}{ms(total):>11}")
    medians = sorted(
        ((statistics.median(t.values()), key) for key, t in m.rule_evals.items() if t),
        reverse=True,
    )
    print(f"  the slowest rules (median): {len(medians)} rules in all")
    for med, (group, _, name) in medians[:SLOWEST_RULES]:
        print(f"  {ms(med):>11}  {group} › {name}")
    return Row(
        at_most(None if total is None else total * 1e3, TARGET_EVAL_MS),
        "rule evaluation, all groups (sum of medians)",
        ms(total),
        f"<= {TARGET_EVAL_MS:g} ms",
        "no rules",
    )


def queries(timed: list[Timed], kind: str, title: str, target_ms: float) -> Row:
    print(f"\n{title}: the slowest {SLOWEST} of {len(timed)}")
    print(f"  {'with rules':>10}{'baseline':>11}  dashboard › panel › query")
    order = sorted(timed, key=lambda t: -1.0 if t.seconds["with"] is None else -t.seconds["with"])
    for t in order[:SLOWEST]:
        print(f"  {ms(t.seconds['with']):>10}{ms(t.seconds['without']):>11}  {t.where}")
    for t in timed:
        for e in t.errors:
            print(f"  error: {t.where}: {e}")
    worst, base = slowest(timed, "with"), slowest(timed, "without")
    name = order[0].where if order else "no panel queries"
    print(f"  slowest overall: {ms(worst)}, {name} (baseline's slowest: {ms(base)})")
    return Row(
        at_most(None if worst is None else worst * 1e3, target_ms),
        f"slowest panel query, {kind}",
        ms(worst),
        f"<= {target_ms:g} ms",
        ms(base),
    )


def lengths() -> list[Row]:
    print("\nLongest expression (characters, as written in the files)")
    rows = []
    for kind, (length, name) in pn.longest_expressions().items():
        print(f"  {kind:<16}{length:>6}  {name}")
        target = TARGET_LENGTH[kind]
        rows.append(
            Row(length <= target, f"longest {kind} expression", str(length), f"<= {target}", "-")
        )
    return rows


def report(run: Run) -> None:
    print(f"machine: {machine()}")
    print(
        f"{run.version} ×2, each scraping one demo exporter (maximal app config, "
        f"{run.series:,} series) every {run.scrape_interval:g} s:\n  with rules: "
        f"{', '.join(p.name for p in pn.RULE_FILES)}; baseline: without rules"
    )
    if run.history_days:
        print(
            f"both started with {run.history_days} days of hourly rank history "
            f"({run.history_samples:,} samples: the recorded app ranks and the model ranks), "
            "what the rules that look back read after a week"
        )
    else:
        print("no history: the rules that look back find nothing (a fresh server)")
    print(
        f"head series: with rules {run.head['with']:,}, baseline {run.head['without']:,}; "
        f"peak RSS: with rules {run.rss_mb['with']:.0f} MB, baseline {run.rss_mb['without']:.0f} MB"
    )
    rows = [cpu(run.measured), rules(run.measured, run.scrape_interval)]
    active = sorted(run.alerts_active.items(), key=lambda kv: -kv[1])
    print(
        f"  alerts active at the end (pending or firing): {sum(run.alerts_active.values())}"
        f"{' (' + ', '.join(f'{n} {c}' for n, c in active) + ')' if active else ''}; each "
        "expands its annotations, figures queried from Prometheus, at every evaluation"
    )
    print(
        f"\nPanel queries: every target of grafana/dashboards/*.json, variables at their"
        f"\ndefaults, timed client side over loopback (median of {run.runs}) on both servers"
    )
    rows.append(queries(run.instant, "instant", "Instant queries", TARGET_INSTANT_MS))
    title = (
        f"Range queries, the last hour in {pn.RANGE_STEPS} steps "
        f"(the servers hold {run.held_minutes:.0f} min of samples)"
    )
    rows.append(queries(run.ranged, "range", title, TARGET_RANGE_MS))
    rows += lengths()
    print("\nTargets")
    print(f"  {'':<6}{'':<46}{'measured':>12}{'target':>12}{'baseline':>14}")
    for r in rows:
        verdict = "PASS" if r.ok else "MISS"
        print(f"  {verdict:<6}{r.name:<46}{r.value:>12}{r.target:>12}{r.baseline:>14}")
