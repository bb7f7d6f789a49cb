"""One backfill run: plan, fetch, write, and say what happened (exit 0, 1, 2 or 3)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import httpx

from exporter.backfill.estimate import RequestPlan, describe, make_plan, size
from exporter.backfill.fetch import (
    EXIT_FAILED,
    EXIT_INCOMPLETE,
    EXIT_OK,
    Fetcher,
    ModelHistory,
    Stop,
)
from exporter.backfill.history import families, sample_range, static_history
from exporter.backfill.options import Options, UsageError
from exporter.backfill.writer import OpenMetricsWriter, WriteStats
from exporter.config import Config
from exporter.datasets.apps import AppRankings
from exporter.datasets.apps.history import app_history
from exporter.datasets.apps.progress import AlreadyRunning, AppProgress
from exporter.datasets.models import ModelRankings
from exporter.datasets.models.history import model_history

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
        self.progress = AppProgress(Path(cfg.state_dir))

    def say(self, msg: str) -> None:
        print(f"backfill: {msg}", file=self.err, flush=True)

    def run(self) -> int:
        o = self.opts
        plan = make_plan(self.cfg, o, self.progress if o.apps else None)
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
            self.cfg, self._key, o, self.progress, clock=self.clock, err=self.err, **self._fetch_kw
        )
        try:
            models, stopped = self._fetch(fetcher, plan)
            stats = self._write(models)
        except Stop as e:
            kept = ""
            if o.apps and e.code == EXIT_FAILED and self.progress.dir.exists():
                kept = (
                    f" (app rankings fetched so far are kept in {self.progress.dir}; "
                    "the next run continues from there)"
                )
            self.say(f"stopped: {e.message}{kept}")
            return e.code
        finally:
            fetcher.client.close()
            self.progress.unlock()
        took = time.monotonic() - started
        return self._done(stats, fetcher.sent, took, stopped)

    def _fetch(self, fetcher: Fetcher, plan: RequestPlan) -> tuple[ModelHistory, Stop | None]:
        """Model history, then app history if asked; a budget stop during the apps still
        writes what there is (the next run continues)."""
        if self.opts.apps:
            try:
                self.progress.lock()
            except AlreadyRunning as e:
                raise Stop(str(e), EXIT_FAILED) from None
        models = fetcher.models(plan)
        if not (self.opts.apps and plan.app_views):
            return models, None
        try:
            late = fetcher.apps(plan)
        except Stop as e:
            if e.code != EXIT_INCOMPLETE:
                raise
            return models, e
        if late:
            days = ", ".join(map(str, sorted(late)))
            return models, Stop(
                f"{days} not published yet; run the same command again later to add it"
            )
        return models, None

    def _write(self, models: ModelHistory) -> WriteStats:
        o = self.opts
        assert o.output is not None
        t0, t1 = sample_range(o, self.clock())
        datasets = [ModelRankings.name, *([AppRankings.name] if o.apps else [])]
        try:
            writer = OpenMetricsWriter(
                o.output, families(o.apps), t0=t0, t1=t1, step=o.step, labels=o.labels
            )
            try:
                writer.add(static_history(self.cfg, datasets, t0, t1))
                for view in self.cfg.model_views:
                    writer.add(model_history(self.cfg, view, models[view.name]))
                for app_view in self.cfg.app_views if o.apps else ():
                    days = {
                        d: r
                        for d, r in self.progress.load(app_view).items()
                        if o.first <= d <= o.last
                    }
                    writer.add(app_history(self.cfg, app_view, days))
                return writer.close()
            finally:
                writer.abort()
        except OSError as e:
            raise Stop(f"cannot write {o.output}: {e.strerror or e}", EXIT_FAILED) from None

    def _done(self, stats: WriteStats, sent: int, took: float, stopped: Stop | None) -> int:
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
        left = make_plan(self.cfg, o, self.progress).app_remaining
        self.say(f"incomplete: {left} app requests left. {stopped.message}")
        return stopped.code


def run(cfg: Config, api_key: str | None, opts: Options, **kw: Any) -> int:
    return Backfill(cfg, api_key, opts, **kw).run()
