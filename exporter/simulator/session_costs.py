"""Median cost per session by harness (coding agent), model and turn range: which models each
harness uses, each model's price level, and the cells too small to publish. A weekly
snapshot varies a little around those levels."""

from __future__ import annotations

import math
import random
from datetime import date

from exporter.simulator.catalog import HARNESSES, TURN_RANGES
from exporter.simulator.entities import Model, SessionCostCell
from exporter.simulator.series import unit_hash

_AUTHOR_PRICE = {"anthropic": 3.0, "openai": 1.6, "google": 1.2, "x-ai": 0.7}
_TURN_FACTOR = {"1-turn": 0.02, "2-9-turns": 0.12, "10-49-turns": 0.9, "50-plus-turns": 4.5}
_HARNESS_FACTOR = {"claude-code": 1.3, "cline": 1.0, "kilo-code": 0.9, "roo-code": 1.1}


class SessionCosts:
    def __init__(self, seed: int, rng: random.Random, models: list[Model]) -> None:
        self.seed = seed
        self.harnesses: tuple[tuple[str, str], ...] = HARNESSES
        self._models: dict[str, list[str]] = {}
        self._price: dict[str, float] = {}
        self._gaps: set[tuple[str, str, str]] = set()
        by_slug = {m.permaslug: m for m in models}
        token_models = [m.permaslug for m in models if not m.zero_token]
        for slug in token_models:
            model = by_slug[slug]
            price = _AUTHOR_PRICE.get(model.author, 0.35) * math.exp(rng.gauss(0, 0.35))
            self._price[slug] = 0.0 if model.variant == "free" else price
        for app_slug, _ in HARNESSES:
            chosen = sorted(rng.sample(token_models, 40 + rng.randint(0, 3)))
            self._models[app_slug] = chosen
            for model_slug in chosen:
                for turn in TURN_RANGES:
                    if rng.random() < 0.02:  # below the privacy threshold: cell not published
                        self._gaps.add((app_slug, model_slug, turn))

    def cells(self, window_end: date) -> list[SessionCostCell]:
        """Every published cell of the snapshot ending `window_end`, sorted by app_slug,
        model_permaslug, then turn range in enum order (*inferred* order)."""
        cells: list[SessionCostCell] = []
        for app_slug, app_name in self.harnesses:
            for model_slug in self._models[app_slug]:
                for turn in TURN_RANGES:
                    if (app_slug, model_slug, turn) in self._gaps:
                        continue
                    weekly = 0.85 + 0.3 * unit_hash(
                        self.seed, app_slug, model_slug, turn, window_end
                    )
                    cost = (
                        self._price[model_slug]
                        * _TURN_FACTOR[turn]
                        * _HARNESS_FACTOR.get(app_slug, 1.0)
                        * weekly
                    )
                    cells.append(
                        SessionCostCell(app_slug, app_name, model_slug, turn, round(cost, 6))
                    )
        return cells
