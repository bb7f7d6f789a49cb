"""PromQL building blocks shared by the dashboards, the recording rules and the alerts.

The hard part is done once, by the recording rules (mixin.recording): per view, which
exporters' answers count (``openrouter:data_as_of:newest``, ``openrouter:app_view:newest``),
and for each dataset family ``openrouter:<family>:latest``, the market as the newest data
shows it, with data labels only. Panels and alerts read those series and stay short. App
tokens and requests are the exception: not recorded per app (``Family.recorded_by_rules``),
they are picked from the raw series of the chosen answers where they are read
(``Q.newest``, the expression the other families' rules record).

Rules that hold for every query built here:

- **Targets.** A raw selector carries the mixin's target selector and, on dashboards, the
  ``$job``/``$instance`` variables; nothing else names a job. Recorded series carry no
  target labels: they are the market, whichever exporters served it.
- **De-duplication.** Several exporters (an HA pair, two accounts, a pod that restarted
  with a new address) serve the same global market. Market values are taken with
  ``max by (<data labels>)``, never summed across targets, and rank changes compare data
  labels only, so a new ``instance`` keeps its history.
- **Newest data wins, by the day it covers.** Exporters refresh on their own schedules and
  one that fails keeps serving its last good data, so two exporters can hold different
  days. Per view, only the exporters holding the newest day
  (``openrouter_data_end_date_timestamp_seconds``) count, and among them the most
  recently fetched answer (``openrouter_data_as_of_timestamp_seconds``, the time of the
  request, not of the data): a sum never mixes two days.
- **History.** Rules only run at the present, so a backfilled history (one sample per
  ``backfill --step``, 1h) and a Prometheus without our rules have no recorded series.
  Dashboard queries fall back to the raw series there (``Q.shown``), bridged over the
  step with ``last_over_time``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mixin.config import MixinConfig

# Data labels: what identifies a value of the market, whoever scraped it.
MODEL = ("view", "model", "author", "variant")
APP_VIEW = ("window", "sort", "category", "subcategory")
APP_KEY = (*APP_VIEW, "app_id")
APP = (*APP_KEY, "app")
SESSION = ("app_slug", "app", "model", "turn_range")
TASK = ("window", "macro_category", "task", "task_name")
TASK_MODEL = ("window", "task", "model", "author", "variant")
BENCH_MODEL = ("model", "author", "variant")
VIEW = ("dataset", "view")
TARGET = ("job", "instance")
AS_OF = "openrouter_data_as_of_timestamp_seconds"
END_DATE = "openrouter_data_end_date_timestamp_seconds"
# The dashboards' target variables.
JOB = 'job=~"$job"'
INSTANCE = 'instance=~"$instance"'

# Grafana's "All" for the job/instance variables: matches a series without the label
# too (a backfill written without --label).
ALL = ".*"


def by(labels: Sequence[str]) -> str:
    return ", ".join(labels)


def matchers(*ms: str) -> str:
    return f"{{{', '.join(ms)}}}" if ms else ""


@dataclass(frozen=True)
class Family:
    """A dataset's metric family: its data labels and the labels that name its view."""

    metric: str
    labels: tuple[str, ...]
    view: tuple[str, ...]
    dataset: str
    # False: no ``openrouter:<family>:latest`` rule; readers pick the newest data from the
    # raw series themselves (``Q.newest``). For app tokens and requests: recording 3,700
    # series a minute each at the maximal config cost Prometheus more than every panel
    # that reads them, one view at a time, together.
    recorded_by_rules: bool = True

    @property
    def name(self) -> str:
        return self.metric.removeprefix("openrouter_")

    def recorded(self, op: str = "latest") -> str:
        return f"openrouter:{self.name}:{op}"


MODEL_RANK = Family("openrouter_model_rank", MODEL, ("view",), "rankings-daily")
MODEL_TOKENS = Family("openrouter_model_tokens", MODEL, ("view",), "rankings-daily")
MODEL_SHARE = Family("openrouter_model_share", MODEL, ("view",), "rankings-daily")
APP_RANK = Family("openrouter_app_rank", APP, APP_VIEW, "app-rankings")
APP_TOKENS = Family("openrouter_app_tokens", APP, APP_VIEW, "app-rankings", False)
APP_REQUESTS = Family("openrouter_app_requests", APP, APP_VIEW, "app-rankings", False)
# A view's total (the exporter sums its apps' tokens once per refresh): the share figures'
# denominator, so no rule sums every app series of every view at each evaluation.
APP_VIEW_TOKENS = Family("openrouter_app_view_tokens", APP_VIEW, APP_VIEW, "app-rankings", False)
SESSION_COST = Family("openrouter_session_median_cost_dollars", SESSION, (), "session-cost")
# The view name of a task-classifications view is its window, but the freshness series
# carry it as `view`: matched per exporter only (one window exists), like session cost.
TASK_TOKENS = Family("openrouter_task_token_share", TASK, (), "task-classifications")
TASK_USAGE = Family("openrouter_task_usage_share", TASK, (), "task-classifications")
TASK_MODEL_TOKENS = Family(
    "openrouter_task_model_token_share", TASK_MODEL, (), "task-classifications"
)
# Benchmarks: one series per score whichever view served it (views differ by source).
BENCH_INDEX = Family("openrouter_benchmark_index", ("index", *BENCH_MODEL), (), "benchmarks")
BENCH_SCORE = Family(
    "openrouter_benchmark_score_ratio", ("benchmark", "metric", *BENCH_MODEL), (), "benchmarks"
)
BENCH_ELO = Family(
    "openrouter_benchmark_elo", ("arena", "category", *BENCH_MODEL), (), "benchmarks"
)
FAMILIES = (
    MODEL_RANK,
    MODEL_TOKENS,
    MODEL_SHARE,
    APP_RANK,
    APP_TOKENS,
    APP_REQUESTS,
    SESSION_COST,
    TASK_TOKENS,
    TASK_USAGE,
    TASK_MODEL_TOKENS,
    BENCH_INDEX,
    BENCH_SCORE,
    BENCH_ELO,
)
BY_METRIC = {f.metric: f for f in FAMILIES}
# The app rankings the market alerts watch (the popular sort: by tokens). What only the
# alerts read (a day ago, the best recent rank) is recorded for these alone, and of them
# for the ranks the alerts compare (ALERTED_APP_RANK: the top N and the watched apps).
ALERTED_SORT = ("sort", "popular")
ALERTED_APPS = '{}="{}"'.format(*ALERTED_SORT)
ALERTED_APP_RANK = "openrouter:app_rank:alerted"
ALERTED_APP_TOKENS = "category:openrouter_app_tokens:sum"  # the popular views' only
# The answers that count per view (mixin.recording): the exporters holding the newest day,
# then the newest fetch.
NEWEST = "openrouter:data_as_of:newest"
APP_VIEW_NEWEST = "openrouter:app_view:newest"
# A notification's "as of": the oldest of a dataset's views, one series per dataset (a
# citation reads it per active alert at every evaluation).
DATASET_AS_OF = "dataset:openrouter_data_as_of_timestamp_seconds:min"


class Q:
    """Query builder for one context (dashboards with variables, or rules without)."""

    def __init__(self, cfg: MixinConfig, *, variables: bool) -> None:
        self.cfg = cfg
        self.bridge = cfg.bridge
        self.target = [cfg.selector] if cfg.selector else []
        self.ours = tuple(self.target)  # without the dashboards' job/instance variables
        if variables:
            self.target += [JOB, INSTANCE]

    def __call__(self, metric: str, *ms: str) -> str:
        """``metric{matchers, target selector}``: a raw series of our exporters."""
        return metric + matchers(*ms, *self.target)

    def exporters(self) -> str:
        """Our targets, whatever their job: those that exported build_info in the last
        day, and those OpenRouterExporterDown is about, so a target down for over a day
        (no build_info left in the window) is still ours and its alert keeps firing."""
        info = self("openrouter_exporter_build_info")
        down = self("ALERTS", 'alertname="OpenRouterExporterDown"')
        return f"(last_over_time({info}[1d]) or on (job, instance) {down})"

    def budget_ratio(self, *ms: str) -> str:
        """Requests sent ÷ the limit the exporter keeps, per exporter and window."""
        used = self("openrouter_exporter_budget_used_requests", *ms)
        limit = self("openrouter_exporter_budget_limit_requests", *ms)
        return f"{used}\n/ on (job, instance, window)\n{limit}"

    def gapless(self, metric: str, *ms: str) -> str:
        """A raw series bridged over short scrape gaps (a failed scrape, a restart)."""
        return f"last_over_time({self(metric, *ms)}[{self.cfg.gap}])"

    def ago(self, f: Family, offset: str, labels: Sequence[str] | None = None) -> str:
        """The value ``offset`` ago, from the raw series (so a backfilled history counts),
        bridged over its step, on data labels only (so a new instance keeps it)."""
        s = f"last_over_time({self(f.metric)}[{self.bridge}] offset {offset})"
        return f"max by ({by(labels or f.labels)}) ({s})"

    def newest(self, f: Family, *ms: str, offset: str = "", of_view: Sequence[str] = ()) -> str:
        """The market as the newest data shows it, from the raw series: the answers of the
        exporters the rules chose per view (newest day, then newest fetch), one series per
        data label set. What ``openrouter:<family>:latest`` records, so like it this
        ignores the dashboards' job/instance variables: the rules chose the exporters.
        With ``offset``, as it was then (the rules' choice then, too). ``of_view``: the
        matchers of the one view ``ms`` select, narrowing the chosen answers to it (the same
        result, a fraction of the series read: for a figure an alert reads at every
        evaluation)."""
        ago = f" offset {offset}" if offset else ""
        raw = f"last_over_time({f.metric}{matchers(*ms, *self.ours)}[{self.cfg.gap}]{ago})"
        if f.dataset == "app-rankings":
            view = matchers(*of_view)
            chosen = f"and on ({by((*TARGET, *APP_VIEW))}) {APP_VIEW_NEWEST}{view}{ago}"
        else:
            chosen = f'and on ({by((*TARGET, *f.view))}) {NEWEST}{{dataset="{f.dataset}"}}{ago}'
        return f"max by ({by(f.labels)}) (\n  {raw}\n  {chosen}\n)"

    def latest(self, f: Family, *ms: str) -> str:
        """The newest data: the recorded series, or for a family the rules do not record
        the same, picked from the raw series."""
        return f"{f.recorded()}{matchers(*ms)}" if f.recorded_by_rules else self.newest(f, *ms)

    # --- dashboards: the recorded series, else the raw ones ------------------------

    def shown(self, f: Family, *ms: str) -> str:
        """What a panel shows: the newest data; where the rules have not run (backfilled
        history, a Prometheus without our rules) the raw series of the chosen exporters,
        de-duplicated and bridged over the backfill's step."""
        raw = f"max without (job, instance) (last_over_time({self(f.metric, *ms)}[{self.bridge}]))"
        return f"({self.latest(f, *ms)}\nor {raw}\n  unless on ({by(f.view)}) {covered(f)})"

    def model(self, metric: str, *ms: str) -> str:
        return self.shown(BY_METRIC[metric], *ms)

    app = model

    def session(self, *ms: str) -> str:
        return self.shown(SESSION_COST, *ms)

    # Rank changes compare two moments of the market, which only the rules record: a
    # panel of them needs the rules loaded. An entry without that history shows 0.
    def model_rank_change(self, offset: str, *ms: str) -> str:
        sel = matchers(*ms)
        return f"({model_change_record(offset)}{sel}\nor {MODEL_RANK.recorded()}{sel} * 0)"

    def app_rank_change(self, offset: str, *ms: str) -> str:
        """Computed for the view a panel shows, not recorded: recording it for every app
        view read every app series a day and a week back at each rule evaluation. Matched
        on app_id (stable), carrying today's name."""
        now, key = f"{APP_RANK.recorded()}{matchers(*ms)}", by(APP_KEY)
        past = f"max by ({key}) (last_over_time({now}[{self.bridge}] offset {offset}))"
        return f"({past}\n- on ({key}) group_right () {now}\nor {now} * 0)"

    def as_of(self, dataset: str | None, *ms: str) -> str:
        """as_of per view of the answers that count (rules), else of the chosen exporters."""
        sel = (*([f'dataset="{dataset}"'] if dataset else []), *ms)
        raw = f"max by (dataset, view) (last_over_time({self(AS_OF, *sel)}[{self.bridge}]))"
        rec = f"openrouter:data_as_of:latest{matchers(*sel)}"
        return f"({rec}\nor {raw}\n  unless on (dataset, view) openrouter:data_as_of:latest)"


def covered(f: Family) -> str:
    """A small recorded series that exists for every view the market rules have run on:
    where it is absent, a panel falls back to the raw series."""
    if f.dataset == "app-rankings":
        return APP_VIEW_NEWEST
    return f'openrouter:data_as_of:latest{{dataset="{f.dataset}"}}'


def model_change_record(offset: str) -> str:
    """The recorded model rank change (the name kept from earlier releases: users' queries)."""
    return f"model:{MODEL_RANK.metric}:change{offset}"
