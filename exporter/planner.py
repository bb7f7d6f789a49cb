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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from exporter.config import Config
from exporter.datasets import REGISTRY, Cadence, PlannedView

SETTLE_DELAYS = (2 * 3600.0, 6 * 3600.0)  # re-polls after a new day while D-1 settles
DETECT_MIN, DETECT_MAX = 300.0, 6 * 3600.0  # polling faster than the API's cache gains nothing


@dataclass(frozen=True)
class Plan:
    views: tuple[PlannedView, ...]  # the detector first
    budget_per_day: int
    budget_per_minute: int
    detect_every: float
    detector_per_day: int
    scheduled_per_day: int  # views on a cadence of their own (checked about daily)
    round_cost: int  # all views that follow published days, except the detector, once
    rounds: int  # refresh rounds per published day (1 + settling re-polls)
    rotation_days: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def cadence(self) -> Cadence:
        """The pace the datasets receive: they never see the plan itself."""
        return Cadence(self.detect_every, self.rounds, self.rotation_days)

    @property
    def requests_per_day(self) -> int:
        per_round = (
            self.round_cost
            if self.rotation_days == 1
            else math.ceil(self.round_cost / self.rotation_days)
        )
        return self.detector_per_day + self.scheduled_per_day + per_round * max(self.rounds, 1)

    def describe(self) -> str:
        """The plan as `check-config` prints it."""
        lines = [
            f"budget: {self.budget_per_day} requests/day, {self.budget_per_minute}/minute "
            "(after the reserve)",
            f"{'dataset':<20} {'view':<32} {'requests':>8}  refresh",
        ]
        for v in self.views:
            when = REGISTRY[v.dataset].when(v, self.cadence)
            lines.append(f"{v.dataset:<20} {v.view:<32} {v.requests:>8}  {when}")
        used = self.requests_per_day
        views = used - self.detector_per_day - self.scheduled_per_day
        lines.append(
            f"at most {used} requests/day: detector {self.detector_per_day}, fixed cadence "
            f"{self.scheduled_per_day}, views {views}"
            f" — {100 * used / self.budget_per_day:.0f}% of the budget"
        )
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def _detection(per_day: int) -> tuple[float, int]:
    """How often the detector polls and how many requests a day that costs: up to 15% of
    the day's budget, and at least one poll."""
    polls = max(1, min(per_day * 15 // 100, int(86400 / DETECT_MIN)))
    every = min(DETECT_MAX, max(DETECT_MIN, 86400 / polls))
    return every, math.ceil(86400 / every)


def _rotation(views: Sequence[PlannedView], available: int) -> tuple[int, int]:
    """Rounds per published day and the rotation (published days per turn) that fit."""
    following = [v for v in views if REGISTRY[v.dataset].follows_days and not v.detector]
    round_cost = sum(v.requests for v in following)
    most = 1 + len(SETTLE_DELAYS)
    if round_cost == 0:
        return most, 1
    if available >= round_cost:
        return min(most, available // round_cost), 1
    fixed = sum(v.requests for v in following if not REGISTRY[v.dataset].rotates)
    spare = max(1, available - fixed)
    return 1, max(1, math.ceil((round_cost - fixed) / spare))


def plan(cfg: Config) -> Plan:
    per_day = cfg.budget.effective_per_day
    per_minute = cfg.budget.effective_per_minute
    views = [v for dataset in REGISTRY.values() for v in dataset.planned(cfg)]
    scheduled = sum(REGISTRY[v.dataset].per_day(v) for v in views)
    detect_every, detector_per_day = _detection(per_day)
    available = per_day - detector_per_day - scheduled
    rounds, rotation = _rotation(views, available)
    following = [v for v in views if REGISTRY[v.dataset].follows_days and not v.detector]
    round_cost = sum(v.requests for v in following)
    warnings: list[str] = []
    if rotation > 1:
        warnings.append(
            f"the views cost {round_cost} requests a round but only {max(available, 0)} of "
            f"{per_day}/day are left after detection and fixed-cadence views: app views are "
            f"stretched to one refresh every {rotation} published days. Lower apps.depth, "
            "or use fewer windows, sorts or filters, to refresh daily."
        )
        turns = iter(range(len(views)))
        views = [
            replace(v, group=next(turns) % rotation) if REGISTRY[v.dataset].rotates else v
            for v in views
        ]
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
        scheduled,
        round_cost,
        rounds,
        rotation,
        tuple(warnings),
    )
