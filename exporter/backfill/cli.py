"""``openrouter-exporter backfill``: flags → config → run, and the exit status.

Exit status: 0 done; 1 failure (API error, key rejected, cannot write); 2 bad flag or
config; 3 written but the ``--apps`` history is not complete yet; 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from exporter.backfill.options import UsageError, parse
from exporter.backfill.run import run
from exporter.config import load_api_key
from exporter.configfile import load_config
from exporter.logs import setup_logging  # the CLI's logging, its key filter included

PROG = "openrouter-exporter backfill"


def main(argv: Sequence[str]) -> int:
    try:
        args, opts = parse(argv, datetime.now(UTC).date())
    except SystemExit as e:  # --help (0), or a bad flag argparse has already explained (2)
        return e.code if isinstance(e.code, int) else 2
    cfg = load_config(args.config_file)
    key = load_api_key(cfg)
    setup_logging(args.log_level, args.log_format, key)
    try:
        return run(cfg, key, opts)
    except KeyboardInterrupt:
        # Not 0: a script running the backfill must not take a cut-short file as done.
        print(f"{PROG}: interrupted; run it again to continue", file=sys.stderr)
        return 130
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
