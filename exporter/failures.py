"""What a failed refresh does to the schedule: backoff, the holds after a 429 or a rejected
key, and one log line per outage rather than one per view.

- 429: wait for ``Retry-After`` (else capped exponential backoff with jitter), nothing is
  sent before then, and the pace is halved for ``PACE_AFTER_429``.
- 5xx, timeouts, proxy pages, malformed bodies: that view is retried with backoff.
- 401: polling pauses; only the detector asks again, hourly.
- 400: the view is misconfigured and held until its config changes.
"""

from __future__ import annotations

import logging
import random

from exporter.client import (
    ApiError,
    BadRequest,
    RateLimited,
    ServerError,
    TransportError,
    UnexpectedContentType,
)
from exporter.datasets import NEVER, View
from exporter.viewstatus import ViewState

log = logging.getLogger("exporter.scheduler")

BACKOFF_BASE, BACKOFF_CAP = 30.0, 1800.0
UNAUTHORIZED_RETRY = 3600.0  # a bad key rarely fixes itself: ask again hourly
PACE_AFTER_429 = 600.0  # after a 429, send at most half the minute budget for this long
KEY_REJECTED = "API key rejected (401)"


class Failures:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.hold_until = 0.0  # after a 429 or a bad key: nothing is sent before this
        self.pace_until = 0.0
        self.unauthorized = False
        self.outage = False

    def inherit(self, old: Failures) -> None:
        """On a config reload: a 429's hold and lowered pace stay (the API's limits did not
        reload). A rejected key's pause does not: a reload is how a new key arrives."""
        if not old.unauthorized:
            self.hold_until = max(self.hold_until, old.hold_until)
        self.pace_until = max(self.pace_until, old.pace_until)

    def backoff(self, failures: int) -> float:
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, failures - 1))
        return delay * self.rng.uniform(0.8, 1.2)

    def pace_wait(self, now: float, last_sent: float, per_minute: int) -> float:
        """After a 429, the lowered pace: at most half the minute budget."""
        if now >= self.pace_until:
            return 0.0
        return last_sent + 120.0 / max(1, per_minute) - now

    def failed(self, view: View, e: ApiError, now: float) -> None:
        view.failures += 1
        view.status.set(ViewState.FAILING, f"{type(e).__name__}: {e.message}")
        if isinstance(e, RateLimited):
            wait = e.retry_after if e.retry_after is not None else self.backoff(view.failures)
            wait = min(max(wait, 1.0), 86400.0)
            self.hold_until = max(self.hold_until, now + wait)
            self.pace_until = now + max(wait, PACE_AFTER_429)
            view.due = now + wait
            log.warning(
                "rate limited (429) on %s/%s: %s; waiting %.0fs, then half pace",
                *view.key,
                e.message,
                wait,
            )
            return
        view.due = now + self.backoff(view.failures)
        if isinstance(e, TransportError | ServerError | UnexpectedContentType):
            # An outage fails every view alike: say so once, not once per view.
            if not self.outage:
                log.warning(
                    "OpenRouter API unavailable (%s: %s); retrying with backoff, "
                    "serving the last good data",
                    type(e).__name__,
                    e.message,
                )
            self.outage = True
            return
        log.log(
            logging.WARNING if view.failures == 1 else logging.DEBUG,
            "refresh of %s/%s failed (%s: %s); retry in %.0fs",
            *view.key,
            type(e).__name__,
            e.message,
            view.due - now,
        )

    def key_rejected(self, view: View, e: ApiError, now: float, views: list[View]) -> None:
        """Pause polling; the caller has only the detector ask again, at ``hold_until``."""
        if not self.unauthorized:
            log.error(
                "OpenRouter rejected the API key (401: %s); polling paused, serving the "
                "last good data, retrying every %.0f min",
                e.message,
                UNAUTHORIZED_RETRY / 60,
            )
        self.unauthorized = True
        for other in views:
            if other.status.state is not ViewState.MISCONFIGURED:
                other.status.set(ViewState.UNAUTHORIZED, KEY_REJECTED)
        self.hold_until = now + UNAUTHORIZED_RETRY
        view.due = max(view.due, self.hold_until)

    def refused(self, view: View, e: BadRequest) -> None:
        view.status.set(ViewState.MISCONFIGURED, e.message)
        view.due = NEVER
        log.error(
            "view %s/%s is misconfigured, the API answered 400: %s; not retried "
            "until the config changes",
            *view.key,
            e.message,
        )

    def recovered(self, views: list[View]) -> None:
        """A request succeeded: an outage or a key rejection is over."""
        if self.outage:
            log.info("OpenRouter API answers again")
            self.outage = False
        if self.unauthorized:
            log.info("the API key is accepted again; polling resumes")
            self.unauthorized = False
            for v in views:
                if v.status.state is ViewState.UNAUTHORIZED:
                    ok = v.status.last_success is not None
                    v.status.set(ViewState.OK if ok else ViewState.PENDING)
