"""The app-rankings families: rank, tokens and requests per app and view, and one info
series per configured view."""

from __future__ import annotations

from exporter.config import Config
from exporter.datasets.apps.config import AppView, app_views
from exporter.datasets.apps.rows import AppRow
from exporter.metrictext import CACHED, Family, Fragment, escape_label, label_string, sample_line
from exporter.snapshot import Snapshot


def unique_apps(snap: Snapshot) -> list[AppRow]:
    """A view's apps, each once, in the API's order: pages fetched across a data change
    can repeat an app, and the first page's row is the one kept."""
    seen: set[int] = set()
    rows = []
    for r in snap.rows:
        if isinstance(r, AppRow) and r.app_id not in seen:
            seen.add(r.app_id)
            rows.append(r)
    return rows


class AppRankingsCollector:
    """App rankings, one view per window × sort × filter.

    Emits, for example (label sets shortened)::

        # HELP openrouter_app_rank Rank of the app in the window (1 = top). Cached: ...
        # TYPE openrouter_app_rank gauge
        openrouter_app_rank{window="30d",sort="popular",...,app_id="12345",app="Cline"} 1.0
        openrouter_app_tokens{window="30d",...,app_id="12345",app="Cline"} 1.23456789012e+11
        openrouter_app_requests{window="30d",...,app_id="12345",app="Cline"} 4321.0
        openrouter_app_view_tokens{window="30d",sort="popular",...} 4.56789012345e+11
    """

    LABELS = ("window", "sort", "category", "subcategory", "app_id", "app")
    RANK = Family(
        "openrouter_app_rank", f"Rank of the app in the window (1 = top). {CACHED}", LABELS
    )
    TOKENS = Family("openrouter_app_tokens", f"Tokens the app used in the window. {CACHED}", LABELS)
    REQUESTS = Family(
        "openrouter_app_requests", f"Requests the app made in the window. {CACHED}", LABELS
    )
    # A ranking's total, summed here once per refresh: Prometheus would otherwise sum
    # every app series of every view at each rule evaluation for an alert's share figure.
    VIEW_TOKENS = Family(
        "openrouter_app_view_tokens",
        "Tokens of the apps the view ranks: the sum of its openrouter_app_tokens, each app "
        f"once. {CACHED}",
        LABELS[:4],
    )
    families = (RANK, TOKENS, REQUESTS, VIEW_TOKENS)
    VIEW_INFO = Family(
        "openrouter_app_view_info",
        "Each app view's name and its labels on the openrouter_app_* series, to "
        "join per-view freshness and status with the rankings.",
        ("view", "window", "sort", "category", "subcategory"),
    )
    info_families = (VIEW_INFO,)

    def __init__(self, cfg: Config) -> None:
        self.views: dict[str, AppView] = {v.name: v for v in app_views(cfg)}

    def render(self, snap: Snapshot) -> Fragment:
        view = self.views.get(snap.view)
        if view is None:
            return {}
        base = label_string(
            self.LABELS[:4], [view.window, view.sort, view.category_label, view.subcategory_label]
        )
        rank, tokens, requests = [], [], []
        apps = unique_apps(snap)
        for r in apps:
            labels = f'{base},app_id="{r.app_id}",app="{escape_label(r.app_name)}"'
            rank.append(sample_line(self.RANK.name, labels, r.rank))
            tokens.append(sample_line(self.TOKENS.name, labels, float(r.total_tokens)))
            requests.append(sample_line(self.REQUESTS.name, labels, float(r.total_requests)))
        total = float(sum(r.total_tokens for r in apps))
        return {
            self.RANK.name: "".join(rank),
            self.TOKENS.name: "".join(tokens),
            self.REQUESTS.name: "".join(requests),
            self.VIEW_TOKENS.name: sample_line(self.VIEW_TOKENS.name, base, total) if apps else "",
        }

    def info(self) -> Fragment:
        """One line per configured app view, data or not."""
        views = "".join(
            sample_line(
                self.VIEW_INFO.name,
                label_string(
                    self.VIEW_INFO.labels,
                    [v.name, v.window, v.sort, v.category_label, v.subcategory_label],
                ),
                1,
            )
            for v in self.views.values()
        )
        return {self.VIEW_INFO.name: views}
