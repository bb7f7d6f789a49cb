"""One backfill run: plan, fetch, write, and say what happened (exit 0, 1, 2 or 3)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any, TextIO

import httpx

from exporter.backfill.estimate import RequestPlan, describe, make_plan, size
from exporter.backfill.fetch import EXIT_FAILED, EXIT_INCOMPLETE, EXIT_OK, Fetcher, Stop
from exporter.backfill.history import families, sample_range, static_history
from exporter.backfill.options import Options, UsageError
from exporter.backfill.writer import OpenMetricsWriter, WriteStats
from exporter.config import Config
from exporter.datasets.history import AlreadyRunning

NO_LABEL = (
    "warning: no --label given; scraped series carry job and instance, so pass the same "
    "ones (--label job=… --label instance=…) or the history will not join them"
)


class Backfill:
    def __init__(
        self,
        cfg: Config,
        api_key: str | None,
        opts: Options,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.cfg, self.opts = cfg, opts
        self._key = api_key
        self._fetch_kw: dict[str, Any] = {"transport": transport, "sleep": sleep}
        self.clock = clock
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def say(self, msg: str) -> None:
        print(f"backfill: {msg}", file=self.err, flush=True)

    def run(self) -> int:
        o = self.opts
        plan = make_plan(self.cfg, o)
        if o.dry_run:
            print("backfill plan (dry run: nothing is sent)", file=self.out)
            print(describe(self.cfg, o, plan, self.clock()), file=self.out, flush=True)
            return EXIT_OK
        if not self._key:
            raise UsageError("no API key: set OPENROUTER_API_KEY or openrouter.api_key_file")
        if not o.labels:
            self.say(NO_LABEL)
        started = time.monotonic()
        self.say(describe(self.cfg, o, plan, self.clock()).replace("\n", "\nbackfill: "))
        fetcher = Fetcher(
            self.cfg, self._key, o, plan.kept, clock=self.clock, err=self.err, **self._fetch_kw
        )
        try:
            stopped = self._fetch(fetcher, plan)
            stats = self._write(plan)
        except Stop as e:
            kept = ""
            if e.code == EXIT_FAILED:
                kept = "".join(
                    f" ({k.what} fetched so far are kept in {k.dir}; "
                    "the next run continues from there)"
                    for k in plan.kept
                    if k.dir.exists()
                )
            self.say(f"stopped: {e.message}{kept}")
            return e.code
        finally:
            fetcher.client.close()
            for k in plan.kept:
                k.unlock()
        took = time.monotonic() - started
        return self._done(plan, stats, fetcher.sent, took, stopped)

    def _fetch(self, fetcher: Fetcher, plan: RequestPlan) -> Stop | None:
        """Each history asked for, in registry order (the newest published day is known
        before a history needs it); a budget stop in a resumable one still writes what there
        is (the next run continues)."""
        for k in plan.kept:
            try:
                k.lock()
            except AlreadyRunning as e:
                raise Stop(str(e), EXIT_FAILED) from None
        if plan.detect_requests:
            detector = next(p.history for p in plan.parts if p.history.detects)
            detector.detect(fetcher, self.opts.last)
        late: set[date] = set()
        for part in plan.asked:
            try:
                late |= part.plan.fetch(fetcher)
            except Stop as e:
                if e.code != EXIT_INCOMPLETE or part.plan.progress is None:
                    raise
                return e
        if late:
            days = ", ".join(map(str, sorted(late)))
            return Stop(f"{days} not published yet; run the same command again later to add it")
        return None

    def _write(self, plan: RequestPlan) -> WriteStats:
        o = self.opts
        assert o.output is not None
        t0, t1 = sample_range(o.first, o.last, self.clock())
        asked = plan.asked
        try:
            writer = OpenMetricsWriter(
                o.output,
                families(p.history for p in asked),
                t0=t0,
                t1=t1,
                step=o.step,
                labels=o.labels,
            )
            try:
                writer.add(static_history(self.cfg, [p.dataset for p in asked], t0, t1))
                for part in asked:
                    for view in part.plan.shown():
                        writer.add(view)
                return writer.close()
            finally:
                writer.abort()
        except OSError as e:
            raise Stop(f"cannot write {o.output}: {e.strerror or e}", EXIT_FAILED) from None

    def _done(
        self, plan: RequestPlan, stats: WriteStats, sent: int, took: float, stopped: Stop | None
    ) -> int:
        o = self.opts
        self.say(
            f"wrote {o.output}: {stats.samples} samples in {stats.series} series, "
            f"{size(stats.bytes)}, {sent} requests, {took:.1f}s"
        )
        self.say(
            f"load it with: promtool tsdb create-blocks-from openmetrics "
            f"--max-block-duration=8760h {o.output} DIR (then move DIR's blocks into "
            f"Prometheus's data directory)"
        )
        if stopped is None:
            return EXIT_OK
        left = ", ".join(
            f"{p.plan.remaining} {p.plan.progress.requests}"
            for p in plan.asked
            if p.plan.progress is not None
        )
        self.say(f"incomplete: {f'{left} left. ' if left else ''}{stopped.message}")
        return stopped.code


def run(cfg: Config, api_key: str | None, opts: Options, **kw: Any) -> int:
    return Backfill(cfg, api_key, opts, **kw).run()
