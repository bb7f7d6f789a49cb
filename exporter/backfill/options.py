"""The backfill's flags: argparse, each value checked by its ``type=`` callable, the
relations between flags by ``parser.error``; messages name the flag (``--to: …``)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import NoReturn

from exporter.config import ConfigError, parse_duration
from exporter.datasets.apps import AppRankingsCollector
from exporter.datasets.models import ModelRankingsCollector
from exporter.flags import add_common_flags
from exporter.periods import DAY_SECONDS

FLOOR = date(2025, 1, 1)  # the first day the Data API has
TARGET_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
RESERVED_LABELS = frozenset(ModelRankingsCollector.LABELS + AppRankingsCollector.LABELS)


class UsageError(ValueError):
    """A bad flag value or a missing key: exit status 2; the message names the flag."""


@dataclass(frozen=True)
class Options:
    first: date  # first data day
    last: date  # last data day
    output: Path | None
    labels: tuple[tuple[str, str], ...] = ()
    step: int = 3600
    apps: bool = False
    dry_run: bool = False
    wait: bool = False


# --- one flag value each ------------------------------------------------------------------


def day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2025-01-01") from None


def step(value: str) -> int:
    """``90s``, ``5m``, ``1h``, ``1d`` → seconds, from 1 minute to 1 day."""
    try:
        seconds = parse_duration(value, "--step", at_least=60, at_most=DAY_SECONDS)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("--step: ")) from None
    if not seconds.is_integer():
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of seconds")
    return int(seconds)


def label(value: str) -> tuple[str, str]:
    name, sep, label_value = value.partition("=")
    name = name.strip()
    if not sep:
        raise argparse.ArgumentTypeError(f"{value!r} is not NAME=VALUE (e.g. job=openrouter)")
    if not TARGET_LABEL_RE.match(name) or name.startswith("__"):
        raise argparse.ArgumentTypeError(f"{name!r} is not a valid label name")
    if name in RESERVED_LABELS:
        # The exporter's own label: a scrape would rename the target's to exported_*.
        raise argparse.ArgumentTypeError(
            f"{name!r} is a label of the exporter's metrics; "
            "pass target labels such as job and instance"
        )
    return name, label_value


# --- the parser -----------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse says "argument --to: …"; the docs and every other message say "--to: …".
        super().error(message.removeprefix("argument "))


def build_parser(prog: str = "openrouter-exporter backfill") -> Parser:
    p = Parser(
        prog=prog,
        description="Write the history the live exporter would have shown, as OpenMetrics "
        "with timestamps for `promtool tsdb create-blocks-from openmetrics "
        "--max-block-duration=8760h FILE DIR`. Exit 3: the --apps history is "
        "not complete yet (budget); run the same command again to continue.",
    )
    add_common_flags(p)
    p.add_argument(
        "--from",
        dest="first",
        type=day,
        required=True,
        metavar="DATE",
        help="first data day, YYYY-MM-DD (the API starts at 2025-01-01)",
    )
    p.add_argument(
        "--to",
        dest="last",
        type=day,
        metavar="DATE",
        help="last data day (default: yesterday, UTC, the newest the API serves)",
    )
    p.add_argument(
        "--output", metavar="FILE", help="OpenMetrics file to write (required unless --dry-run)"
    )
    p.add_argument(
        "--label",
        dest="labels",
        type=label,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="target label a scrape adds, e.g. job=openrouter and "
        "instance=host:10110 (repeatable); must match the scrape's",
    )
    p.add_argument(
        "--step",
        type=step,
        default=3600,
        metavar="DURATION",
        help="sample interval, 1m to 1d (default 1h)",
    )
    _switches(p)
    return p


def _switches(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--apps",
        action="store_true",
        help="also app rankings: one request per app view and day, on the "
        "shared budget, resumable (progress in state_dir)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="when the request budget is used up, wait for it instead of "
        "stopping (the --apps history can take days)",
    )
    p.add_argument(
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="print the plan and request count; send nothing",
    )


def options(parser: argparse.ArgumentParser, args: argparse.Namespace, today: date) -> Options:
    """Parsed flags → Options; what no single flag can check goes to ``parser.error``."""
    yesterday = today - timedelta(days=1)
    first: date = args.first
    last: date = args.last if args.last is not None else yesterday
    if first < FLOOR:
        parser.error(f"--from: {first} is before the API's first day, {FLOOR}")
    if last > yesterday:
        parser.error(
            f"--to: {last} is not served yet: the API's newest day is yesterday ({yesterday}, UTC)"
        )
    if first > last:
        parser.error(f"--from: {first} is after --to {last}")
    if args.output is None and not args.dry_run:
        parser.error("--output: required (the OpenMetrics file to write), unless --dry-run")
    names = [name for name, _ in args.labels]
    if twice := sorted({n for n in names if names.count(n) > 1}):
        parser.error(f"--label: {twice[0]!r} is given twice")
    return Options(
        first,
        last,
        Path(args.output) if args.output else None,
        tuple(args.labels),
        args.step,
        args.apps,
        args.dry_run,
        args.wait,
    )


def parse(argv: Sequence[str], today: date) -> tuple[argparse.Namespace, Options]:
    """Flags → (namespace, Options); a bad flag exits 2 through argparse."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return args, options(parser, args, today)
