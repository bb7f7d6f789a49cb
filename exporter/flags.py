"""Flags every subcommand shares, backfill included, so they read and default alike."""

from __future__ import annotations

import argparse


def add_common_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config.file",
        dest="config_file",
        metavar="PATH",
        help="YAML config (default: built-in defaults)",
    )
    p.add_argument(
        "--log.level", dest="log_level", default="info", choices=["debug", "info", "warn", "error"]
    )
    p.add_argument("--log.format", dest="log_format", default="logfmt", choices=["logfmt", "json"])
