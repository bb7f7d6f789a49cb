"""A view's identity and where it stands: the scheduler decides, the self-metrics, the
readiness check and the status page read it.

``Key`` is a view's identity everywhere: ``(dataset, view)``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

Key = tuple[str, str]  # (dataset, view)


class ViewState(enum.Enum):
    """Where a view stands, as the scheduler decided it (never parsed back from text)."""

    PENDING = "pending"  # not refreshed yet in this process, no failure either
    OK = "ok"  # the last refresh succeeded
    FAILING = "failing"  # the last refresh failed; retried with backoff
    UNAUTHORIZED = "unauthorized"  # the API rejected the key; polling paused, retried hourly
    MISCONFIGURED = "misconfigured"  # the API answered 400; not retried until the config changes
    NO_KEY = "no key"  # no API key configured: never polled
    TOO_COSTLY = "too costly"  # one refresh needs more requests than the minute budget


@dataclass
class ViewStatus:
    """What the scheduler knows about one view, for the view_* metrics and the pages."""

    dataset: str
    view: str
    state: ViewState = ViewState.PENDING
    message: str | None = None  # why, for every state but OK and PENDING
    last_success: float | None = None
    next_refresh: float | None = None  # +inf: not refreshed until something changes

    def set(self, state: ViewState, message: str | None = None) -> None:
        self.state, self.message = state, message

    @property
    def key(self) -> Key:
        return (self.dataset, self.view)

    @property
    def up(self) -> bool | None:
        """view_up: None before the first try, else whether the view refreshes fine."""
        if self.state is ViewState.PENDING:
            return None
        return self.state is ViewState.OK

    @property
    def error(self) -> str | None:
        """One line for a person: the state and why; None when there is nothing wrong."""
        if self.state in (ViewState.OK, ViewState.PENDING):
            return None
        if self.state is ViewState.FAILING:
            return self.message
        return f"{self.state.value}: {self.message}" if self.message else self.state.value
