"""PromQL building blocks shared by the dashboards, the recording rules and the alerts.

Three rules hold for every query built here:

- **Targets.** A selector carries the mixin's target selector and, on dashboards, the
  ``$job``/``$instance`` variables; nothing else names a job.
- **De-duplication.** Several exporters (an HA pair, two accounts, a pod that restarted
  with a new address) serve the same global market. Market values are taken with
  ``max by (<data labels>)``, never summed across targets, and rank changes compare data
  labels only, so a new ``instance`` keeps its history.
- **Newest data wins.** Exporters refresh on their own schedules, and one that fails
  keeps serving its last good data: for a while two exporters can hold different days.
  Per view, only the targets whose data is the most recently fetched
  (``openrouter_data_as_of_timestamp_seconds``) count, so a sum never mixes two days (a
  view no target has an as_of for counts every target).
- **Bridging.** A backfilled history has one sample per ``--step`` (1h), while a plain
  selector looks back only 5 minutes. ``latest()`` returns the live series where a view
  has fresh samples and the newest sample within the bridge window elsewhere, so charts
  are continuous over backfilled days and rows that left a live ranking do not linger.
"""

from __future__ import annotations

from collections.abc import Sequence

from mixin.config import MixinConfig

# Data labels: what identifies a value of the market, whoever scraped it.
MODEL = ("view", "model", "author", "variant")
APP_VIEW = ("window", "sort", "category", "subcategory")
APP_KEY = (*APP_VIEW, "app_id")
APP = (*APP_KEY, "app")
SESSION = ("app_slug", "app", "model", "turn_range")
VIEW = ("dataset", "view")
AS_OF = "openrouter_data_as_of_timestamp_seconds"
# The dashboards' target variables.
JOB = 'job=~"$job"'
INSTANCE = 'instance=~"$instance"'

# Grafana's "All" for the job/instance variables: matches a series without the label
# too (a backfill written without --label).
ALL = ".*"


def by(labels: Sequence[str]) -> str:
    return ", ".join(labels)


class Q:
    """Query builder for one context (dashboards with variables, or rules without)."""

    def __init__(self, cfg: MixinConfig, *, variables: bool) -> None:
        self.cfg = cfg
        self.bridge = cfg.bridge
        self.target = [cfg.selector] if cfg.selector else []
        if variables:
            self.target += [JOB, INSTANCE]

    def __call__(self, metric: str, *matchers: str) -> str:
        """``metric{matchers, target selector}``."""
        inner = ", ".join([*matchers, *self.target])
        return f"{metric}{{{inner}}}" if inner else metric

    def exporters(self) -> str:
        """Our targets, whatever their job: those that exported build_info in the last
        day, and those OpenRouterExporterDown is about, so a target down for over a day
        (no build_info left in the window) is still ours and its alert keeps firing."""
        info = self("openrouter_exporter_build_info")
        down = self("ALERTS", 'alertname="OpenRouterExporterDown"')
        return f"(last_over_time({info}[1d]) or on (job, instance) {down})"

    def budget_ratio(self, *matchers: str) -> str:
        """Requests sent ÷ the limit the exporter keeps, per exporter and window."""
        used = self("openrouter_exporter_budget_used_requests", *matchers)
        limit = self("openrouter_exporter_budget_limit_requests", *matchers)
        return f"{used}\n/ on (job, instance, window)\n{limit}"

    def latest(self, metric: str, view: Sequence[str], *matchers: str) -> str:
        """The live series of each view that has them, else its newest sample within the
        bridge window (backfilled history, scrape gaps)."""
        s = self(metric, *matchers)
        return f"({s} or (last_over_time({s}[{self.bridge}]) unless on ({by(view)}) {s}))"

    def newest(self, metric: str, view: Sequence[str], dataset: str, *m: str) -> str:
        """``latest()`` of the targets holding each view's most recently fetched data."""
        series = self.latest(metric, view, *m)
        as_of = self.latest(AS_OF, VIEW, f'dataset="{dataset}"')
        newest = f"({as_of} == on (view) group_left () max by (view) ({as_of}))"
        if dataset == "app-rankings":  # app series carry the view's parts, not its name
            info = self.latest("openrouter_app_view_info", ("view",))
            newest = f"({info} and on (job, instance, view) {newest})"
            as_of = f"({info} and on (job, instance, view) {as_of})"
        return (
            f"(({series} and on ({by(('job', 'instance', *view))}) {newest}) "
            f"or ({series} unless on ({by(view)}) {as_of}))"
        )

    def market(
        self, metric: str, labels: Sequence[str], view: Sequence[str], dataset: str, *m: str
    ) -> str:
        """One series per data label set, whichever exporters serve it."""
        return f"max by ({by(labels)}) ({self.newest(metric, view, dataset, *m)})"

    def ago(self, metric: str, labels: Sequence[str], offset: str, *matchers: str) -> str:
        """The value ``offset`` ago, tolerating gaps, matched on data labels only."""
        s = self(metric, *matchers)
        return f"max by ({by(labels)}) (last_over_time({s}[{self.bridge}] offset {offset}))"

    # --- the market series --------------------------------------------------------

    def model(self, metric: str, *matchers: str) -> str:
        return self.market(metric, MODEL, ("view",), "rankings-daily", *matchers)

    def app(self, metric: str, *matchers: str) -> str:
        return self.market(metric, APP, APP_VIEW, "app-rankings", *matchers)

    def session(self, *matchers: str) -> str:
        metric = "openrouter_session_median_cost_dollars"
        return self.market(metric, SESSION, (), "session-cost", *matchers)

    def meta(self, metric: str, *matchers: str, agg: str = "max") -> str:
        """Per-view freshness facts (as_of, end date) across exporters."""
        return f"{agg} by ({by(VIEW)}) ({self.latest(metric, VIEW, *matchers)})"

    # --- rank changes: previous rank - current rank, so positive = moved up ---------

    def model_rank_change(self, offset: str, *matchers: str) -> str:
        now = self.model("openrouter_model_rank", *matchers)
        old = self.ago("openrouter_model_rank", MODEL, offset, *matchers)
        # No history yet (fresh install, a model new in the ranking): 0, not nothing.
        return f"({old} - {now}) or ({now} * 0)"

    def app_rank_change(self, offset: str, *matchers: str) -> str:
        now = self.app("openrouter_app_rank", *matchers)
        # Matched on app_id (stable), carrying today's name.
        old = self.ago("openrouter_app_rank", APP_KEY, offset, *matchers)
        return f"({old} - on ({by(APP_KEY)}) group_right () {now}) or ({now} * 0)"
