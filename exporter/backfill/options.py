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

from exporter.backfill.history import histories
from exporter.config import ConfigError, parse_duration
from exporter.datasets.history import FLOOR, Switch
from exporter.flags import add_common_flags
from exporter.periods import DAY_SECONDS

TARGET_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# The histories' own label names: a target label of the same name would clash with them.
RESERVED_LABELS = frozenset(name for _, h in histories() for name in h.labels)


class UsageError(ValueError):
    """A bad flag value or a missing key: exit status 2; the message names the flag."""


@dataclass(frozen=True)
class Options:
    first: date  # first data day
    last: date  # last data day
    output: Path | None
    labels: tuple[tuple[str, str], ...] = ()
    step: int = 3600
    # Datasets whose history is behind a switch (``--apps``) and was asked for, by name.
    asked: frozenset[str] = frozenset()
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


def _dest(dataset: str) -> str:
    return f"history:{dataset}"  # never a flag's own dest: switches cannot collide with them


# --- the parser -----------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse says "argument --to: …"; the docs and every other message say "--to: …".
        super().error(message.removeprefix("argument "))


def _switched() -> list[tuple[str, Switch]]:
    """(dataset, switch) of each history fetched only when asked, in registry order."""
    return [(d.name, h.switch) for d, h in histories() if h.switch is not None]


def _costly() -> str:
    """The history a run may leave incomplete (exit 3), by its switch: "the --apps history"."""
    flags = " and ".join(s.flag for _, s in _switched())
    return f"the {flags} history" if flags else "the history"


def build_parser(prog: str = "openrouter-exporter backfill") -> Parser:
    p = Parser(
        prog=prog,
        description="Write the history the live exporter would have shown, as OpenMetrics "
        "with timestamps for `promtool tsdb create-blocks-from openmetrics "
        f"--max-block-duration=8760h FILE DIR`. Exit 3: {_costly()} is "
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
    for name, switch in _switched():
        p.add_argument(switch.flag, dest=_dest(name), action="store_true", help=switch.help)
    p.add_argument(
        "--wait",
        action="store_true",
        help="when the request budget is used up, wait for it instead of "
        f"stopping ({_costly()} can take days)",
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
        frozenset(name for name, _ in _switched() if getattr(args, _dest(name))),
        args.dry_run,
        args.wait,
    )


def parse(argv: Sequence[str], today: date) -> tuple[argparse.Namespace, Options]:
    """Flags → (namespace, Options); a bad flag exits 2 through argparse."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return args, options(parser, args, today)
