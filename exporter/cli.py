"""Command line: ``run`` (default), ``demo``, ``check-config``, ``backfill``, ``fake-api``.

Flags follow Prometheus exporter conventions (``--config.file``, ``--web.listen-address``…).
Exit status: 0 ok, 1 runtime failure, 2 bad config or usage, 3 backfill incomplete (run
it again to continue), 130 a backfill interrupted by Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from exporter import __version__
from exporter.config import (
    BudgetConfig,
    Config,
    ConfigError,
    check_listen,
    check_telemetry_path,
    load_api_key,
)
from exporter.configfile import DEFAULTS, load_config, parse_config
from exporter.flags import add_common_flags
from exporter.logs import REDACT, setup_logging
from exporter.webconfig import load_web_config

if TYPE_CHECKING:
    from exporter.app import Exporter
    from exporter.simulator import Simulator

log = logging.getLogger("exporter")
DEMO_PER_MINUTE = 120
SUBCOMMANDS = ("run", "demo", "check-config", "backfill", "fake-api")


def _web(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--web.listen-address",
        dest="listen_address",
        metavar="ADDR",
        help="address to listen on (default :10110, or web.listen_address)",
    )
    p.add_argument(
        "--web.telemetry-path",
        dest="telemetry_path",
        metavar="PATH",
        help="path for metrics (default /metrics, or web.telemetry_path)",
    )
    p.add_argument(
        "--web.config.file",
        dest="web_config_file",
        metavar="PATH",
        help="TLS and basic auth, in the Prometheus exporter-toolkit format",
    )


def _replay(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--replay",
        metavar="FILE.csv",
        help="serve this recorded rankings-daily history (date,model_permaslug,total_tokens) "
        "instead of the simulated model rankings; its last day is the newest published",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openrouter-exporter",
        description="Prometheus exporter for OpenRouter's public Data API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="poll the Data API and serve /metrics (default)")
    add_common_flags(run)
    _web(run)
    demo = sub.add_parser("demo", help="run against the built-in simulator; no key needed")
    add_common_flags(demo)
    _web(demo)
    demo.add_argument("--seed", type=int, default=42)
    _replay(demo)
    check = sub.add_parser("check-config", help="validate the config and print the plan")
    add_common_flags(check)
    check.add_argument(
        "--web.config.file",
        dest="web_config_file",
        metavar="PATH",
        help="also validate this TLS / basic auth file",
    )
    fake = sub.add_parser("fake-api", help="serve the simulated Data API over HTTP")
    fake.add_argument("--listen", default="127.0.0.1:8111", metavar="HOST:PORT")
    fake.add_argument("--seed", type=int, default=42)
    fake.add_argument("--requests-per-minute", type=int, default=30)
    fake.add_argument("--requests-per-day", type=int, default=500)
    _replay(fake)
    # Listed here for --help; its flags are its own (exporter/backfill/options.py).
    sub.add_parser("backfill", help="write history as OpenMetrics for promtool", add_help=False)
    return parser


def _with_web_flags(cfg: Config, args: argparse.Namespace) -> Config:
    web = cfg.web
    if args.listen_address:
        web = replace(web, listen_address=check_listen(args.listen_address, "--web.listen-address"))
    if args.telemetry_path:
        path = check_telemetry_path(args.telemetry_path, "--web.telemetry-path")
        web = replace(web, telemetry_path=path)
    return replace(cfg, web=web)


def _load(args: argparse.Namespace) -> tuple[Config, str | None]:
    cfg = load_config(args.config_file)
    return cfg, load_api_key(cfg)


def cmd_run(args: argparse.Namespace) -> int:
    from exporter.app import serve_forever

    cfg, key = _load(args)
    setup_logging(args.log_level, args.log_format, key)
    cfg = _with_web_flags(cfg, args)
    web = load_web_config(args.web_config_file)
    for w in cfg.warnings:
        log.warning("config: %s", w)
    exporter = _build(cfg, key)  # without a key it polls nothing, and logs why once

    def reload() -> Exporter:
        fresh, fresh_key = _load(args)
        if fresh_key:
            REDACT.secrets.add(fresh_key)
        for w in fresh.warnings:
            log.warning("config: %s", w)
        fresh = _with_web_flags(fresh, args)
        if fresh.web.listen_address != cfg.web.listen_address:
            log.warning("web.listen_address changed; it takes effect at the next restart")
        return _build(fresh, fresh_key)

    return serve_forever(exporter, cfg.web.listen_address, reload=reload, web=web)


def _build(cfg: Config, key: str | None) -> Exporter:
    from exporter.app import build

    exporter = build(cfg, key)
    for w in exporter.scheduler.plan.warnings:
        log.warning("plan: %s", w)
    return exporter


def demo_config(cfg: Config, sim: Simulator, explicit: bool) -> Config:
    """Without a config file the demo shows every dashboard panel: a subcategory view and
    a watchlist of apps and models that are in the simulated rankings. With one, its views
    are used; either way the budget is the demo's, since the simulator is local."""
    if explicit:
        budget = BudgetConfig(
            requests_per_minute=DEMO_PER_MINUTE, requests_per_day=5000, reserve=0.0
        )
        return replace(cfg, budget=budget)

    end = sim.latest_day()
    apps = sim.market.app_rankings(end - timedelta(days=29), end)[:2]
    models = [r.model_permaslug for r in sim.model_rows(end, end) if r.model_permaslug != "other"]
    models = models[:2]
    return parse_config(
        {
            # The simulator is local: a roomier budget fills every view within seconds.
            "budget": {
                "requests_per_minute": DEMO_PER_MINUTE,
                "requests_per_day": 5000,
                "reserve": 0,
            },
            "apps": {**DEFAULTS["apps"], "filters": ["all", "categories", "cli-agent"]},
            "watch": {"apps": [a.app.id for a in apps], "models": models},
        }
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from exporter.app import build, serve_forever
    from exporter.simulator import Replay, ReplayError, Simulator

    setup_logging(args.log_level, args.log_format)
    try:
        replay = Replay.load(args.replay) if args.replay else None
    except ReplayError as e:
        print(f"openrouter-exporter demo: --replay: {e}", file=sys.stderr)
        return 2
    sim = Simulator(
        seed=args.seed, requests_per_minute=DEMO_PER_MINUTE, requests_per_day=5000, replay=replay
    )
    cfg = demo_config(load_config(args.config_file), sim, args.config_file is not None)
    cfg = _with_web_flags(cfg, args)
    web = load_web_config(args.web_config_file)
    state = Path(tempfile.mkdtemp(prefix="openrouter-exporter-demo-"))
    cfg = replace(
        cfg,
        openrouter=replace(cfg.openrouter, base_url="http://simulator/api/v1"),
        state_dir=str(state),
    )
    # A replay's calendar is the file's: the exporter asks for the days the simulator has.
    clock = (lambda: sim.now().timestamp()) if replay else time.time
    exporter = build(cfg, "demo-key", transport=sim.transport(), state_dir=state, clock=clock)
    exporter.demo = True

    def ready(url: str) -> None:
        print(
            f"openrouter-exporter demo: simulated OpenRouter data, no key needed.\n"
            f"  open {url} — metrics at {url.rstrip('/')}{cfg.web.telemetry_path}\n"
            f"  (state in {state}; Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )

    try:
        return serve_forever(
            exporter,
            cfg.web.listen_address,
            on_ready=ready,
            web=web,
            no_reload="the demo does not reload its config (restart it)",
        )
    finally:
        shutil.rmtree(state, ignore_errors=True)


def cmd_check_config(args: argparse.Namespace) -> int:
    from exporter.datasets import REGISTRY
    from exporter.planner import plan

    cfg, key = _load(args)
    web = load_web_config(args.web_config_file)
    p = plan(cfg)
    from_env = bool(os.environ.get("OPENROUTER_API_KEY", "").strip())
    source = "OPENROUTER_API_KEY" if from_env else "openrouter.api_key_file" if key else None
    for w in cfg.warnings:
        print(f"warning: {w}", file=sys.stderr)
    n = len(cfg.warnings)
    verdict = f"config usable, {n} warning{'s' * (n != 1)}" if n else "config ok"
    print(f"{verdict}: {args.config_file or '(defaults)'}")
    if args.web_config_file:
        print(f"web config ok: {args.web_config_file} ({web.describe()})")
    print(f"API key: {'set, from ' + source if source else 'NOT SET (the exporter will not poll)'}")
    print("views: " + ", ".join(d.summary(cfg) for d in REGISTRY.values()))
    print(p.describe())
    return 0


def cmd_fake_api(args: argparse.Namespace) -> int:
    from exporter.simulator import main_fake_api

    setup_logging("info", "logfmt")
    return main_fake_api(
        args.listen, args.seed, args.requests_per_minute, args.requests_per_day, args.replay
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "run")
    handlers = {
        "run": cmd_run,
        "demo": cmd_demo,
        "check-config": cmd_check_config,
        "fake-api": cmd_fake_api,
    }
    try:
        if argv[0] == "backfill":
            from exporter.backfill import main as backfill_main

            return backfill_main(argv[1:])
        args = build_parser().parse_args(argv)
        return handlers[args.command](args)
    except ConfigError as e:
        print(f"openrouter-exporter: config error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
