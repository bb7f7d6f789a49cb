"""What the configured views cost, and how often the budget lets them refresh.

Data changes once a day (a new UTC day is published a few hours after it closes), so the
plan is in rounds per published day, not fixed intervals:

- a detector (one rankings-daily request) polls for the next day only while one can be
  due, at ``detect_every``;
- each new day refreshes every view once, then ``rounds - 1`` more times while the day
  that just closed settles;
- when even one round does not fit, app views rotate: each refreshes every
  ``rotation_days`` published days. The config is stretched, never overspent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from exporter import taxonomy as tx
from exporter.config import Config

SETTLE_DELAYS = (2 * 3600.0, 6 * 3600.0)  # re-polls after a new day while D-1 settles
SESSION_COST_EVERY = 86400.0  # weekly data: one check a day finds a new week within a day
SESSION_COST_PAGES = 2  # ~650 cells at 500 a page
DETECT_MIN, DETECT_MAX = 300.0, 6 * 3600.0  # polling faster than the API's cache gains nothing


@dataclass(frozen=True)
class PlannedView:
    dataset: str
    view: str
    requests: int  # per refresh, pages included
    priority: int
    group: int = 0  # rotation group when stretched


@dataclass(frozen=True)
class Plan:
    views: tuple[PlannedView, ...]
    budget_per_day: int
    budget_per_minute: int
    detect_every: float
    detector_per_day: int
    session_cost_per_day: int
    round_cost: int  # all views except the detector, once
    rounds: int  # refresh rounds per published day (1 + settling re-polls); 0 when rotated
    rotation_days: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def requests_per_day(self) -> int:
        per_round = (
            self.round_cost
            if self.rotation_days == 1
            else math.ceil(self.round_cost / self.rotation_days)
        )
        return self.detector_per_day + self.session_cost_per_day + per_round * max(self.rounds, 1)

    @property
    def stretched(self) -> bool:
        return bool(self.warnings)

    def describe(self) -> str:
        """The plan as `check-config` prints it."""
        lines = [
            f"budget: {self.budget_per_day} requests/day, {self.budget_per_minute}/minute "
            "(after the reserve)",
            f"{'dataset':<15} {'view':<32} {'requests':>8}  refresh",
        ]
        detector = self.views[0] if self.views else None
        for v in self.views:
            if v is detector:
                when = f"detects a new day: every {self.detect_every / 60:.0f} min while one is due"
            elif v.dataset == tx.DATASET_SESSION_COST:
                when = "about daily, until a new weekly window appears"
            elif self.rotation_days > 1 and v.dataset == tx.DATASET_APPS:
                when = (
                    f"every {self.rotation_days} published days (group "
                    f"{v.group + 1}/{self.rotation_days})"
                )
            else:
                when = (
                    "each new day"
                    if self.rounds <= 1
                    else f"each new day, then {self.rounds - 1} re-poll(s) while it settles"
                )
            lines.append(f"{v.dataset:<15} {v.view:<32} {v.requests:>8}  {when}")
        used = self.requests_per_day
        views = used - self.detector_per_day - self.session_cost_per_day
        lines.append(
            f"at most {used} requests/day: detector {self.detector_per_day}, session cost "
            f"{self.session_cost_per_day}, views {views}"
            f" — {100 * used / self.budget_per_day:.0f}% of the budget"
        )
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def detector_view(cfg: Config) -> str:
    """The model view whose end_date reveals a new day: a plain daily view if configured."""
    for v in cfg.model_views:
        if v.period == "day" and not any(
            (v.modality, v.context_bucket, v.category, v.language_type)
        ):
            return v.name
    return "_detector"  # internal: fetched, never exported


def plan(cfg: Config) -> Plan:
    per_day = cfg.budget.effective_per_day
    per_minute = cfg.budget.effective_per_minute
    detector = detector_view(cfg)
    views: list[PlannedView] = [PlannedView(tx.DATASET_MODELS, detector, 1, 0)]
    for v in cfg.model_views:
        if v.name != detector:
            views.append(PlannedView(tx.DATASET_MODELS, v.name, 1, 1))
    apps_sorted = sorted(
        enumerate(cfg.app_views),
        # Wide views first: "all" before categories before subcategories, popular first.
        key=lambda iv: (
            iv[1].filter != "all",
            iv[1].subcategory_param is not None,
            iv[1].sort != "popular",
            iv[0],
        ),
    )
    for _, v in apps_sorted:
        views.append(PlannedView(tx.DATASET_APPS, v.name, v.pages, 2))
    if cfg.session_cost:
        views.append(PlannedView(tx.DATASET_SESSION_COST, "default", SESSION_COST_PAGES, 1))

    warnings: list[str] = []
    session_per_day = SESSION_COST_PAGES if cfg.session_cost else 0
    # The detector gets up to 15% of the day, and at least one poll.
    detector_per_day = max(1, min(per_day * 15 // 100, int(86400 / DETECT_MIN)))
    detect_every = min(DETECT_MAX, max(DETECT_MIN, 86400 / detector_per_day))
    detector_per_day = math.ceil(86400 / detect_every)
    available = per_day - detector_per_day - session_per_day
    round_cost = sum(v.requests for v in views[1:] if v.dataset != tx.DATASET_SESSION_COST)
    rotation = 1
    if round_cost == 0:
        rounds = 1 + len(SETTLE_DELAYS)
    elif available >= round_cost:
        rounds = min(1 + len(SETTLE_DELAYS), available // round_cost)
    else:
        rounds = 1
        model_cost = sum(v.requests for v in views[1:] if v.dataset == tx.DATASET_MODELS)
        app_cost = round_cost - model_cost
        spare = max(1, available - model_cost)
        rotation = max(1, math.ceil(app_cost / spare))
        warnings.append(
            f"the views cost {round_cost} requests a round but only {max(available, 0)} of "
            f"{per_day}/day are left after detection and session cost: app views are "
            f"stretched to one refresh every {rotation} published days. Lower apps.depth, "
            "or use fewer windows, sorts or filters, to refresh daily."
        )
    if rotation > 1:
        apps = [i for i, v in enumerate(views) if v.dataset == tx.DATASET_APPS]
        for n, i in enumerate(apps):
            v = views[i]
            views[i] = PlannedView(v.dataset, v.view, v.requests, v.priority, n % rotation)
    if any(v.requests > per_minute for v in views):
        warnings.append(
            f"a view needs more requests than the {per_minute}/minute budget "
            "allows at once; it will never refresh"
        )
    return Plan(
        tuple(views),
        per_day,
        per_minute,
        detect_every,
        detector_per_day,
        session_per_day,
        round_cost,
        rounds,
        rotation,
        tuple(warnings),
    )
