"""Command line: ``run`` (default), ``demo``, ``check-config``, ``backfill``, ``fake-api``.

Flags follow Prometheus exporter conventions (``--config.file``, ``--web.listen-address``…).
Exit status: 0 ok, 1 runtime failure, 2 bad config or usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from exporter import __version__
from exporter.config import Config, ConfigError, load_api_key, load_config

log = logging.getLogger("exporter")
SUBCOMMANDS = ("run", "demo", "check-config", "backfill", "fake-api")


class _Redact(logging.Filter):
    """Last line of defence: the key is replaced wherever it would reach a log line."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if self.secret in msg:
            record.msg, record.args = msg.replace(self.secret, "[REDACTED]"), None
        if record.exc_info and record.exc_info[1] and self.secret in str(record.exc_info[1]):
            record.exc_info = None
            record.msg = f"{record.msg} (exception text withheld: it contained the API key)"
        return True


class _LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        msg = record.getMessage()
        if record.exc_info:
            msg += " " + self.formatException(record.exc_info).replace("\n", " | ")
        return (f'ts={ts}.{int(record.msecs):03d}Z level={record.levelname.lower()} '
                f'logger={record.name} msg={json.dumps(msg, ensure_ascii=False)}')


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
               "level": record.levelname.lower(), "logger": record.name,
               "msg": record.getMessage()}
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: str, fmt: str, secret: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _LogfmtFormatter())
    if secret:
        handler.addFilter(_Redact(secret))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every request URL


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config.file", dest="config_file", metavar="PATH",
                   help="YAML config (default: built-in defaults)")
    p.add_argument("--log.level", dest="log_level", default="info",
                   choices=["debug", "info", "warn", "error"])
    p.add_argument("--log.format", dest="log_format", default="logfmt",
                   choices=["logfmt", "json"])


def _web(p: argparse.ArgumentParser) -> None:
    p.add_argument("--web.listen-address", dest="listen_address", metavar="ADDR",
                   help="address to listen on (default :10110, or web.listen_address)")
    p.add_argument("--web.telemetry-path", dest="telemetry_path", metavar="PATH",
                   help="path for metrics (default /metrics, or web.telemetry_path)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openrouter-exporter",
        description="Prometheus exporter for OpenRouter's public Data API.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="poll the Data API and serve /metrics (default)")
    _common(run)
    _web(run)
    demo = sub.add_parser("demo", help="run against the built-in simulator; no key needed")
    _common(demo)
    _web(demo)
    demo.add_argument("--seed", type=int, default=42)
    check = sub.add_parser("check-config", help="validate the config and print the plan")
    _common(check)
    fake = sub.add_parser("fake-api", help="serve the simulated Data API over HTTP")
    fake.add_argument("--listen", default="127.0.0.1:8111", metavar="HOST:PORT")
    fake.add_argument("--seed", type=int, default=42)
    fake.add_argument("--requests-per-minute", type=int, default=30)
    fake.add_argument("--requests-per-day", type=int, default=500)
    backfill = sub.add_parser("backfill", help="write history as OpenMetrics for promtool")
    _common(backfill)
    return parser


def _with_web_flags(cfg: Config, args: argparse.Namespace) -> Config:
    web = cfg.web
    if args.listen_address:
        web = replace(web, listen_address=args.listen_address)
    if args.telemetry_path:
        web = replace(web, telemetry_path=args.telemetry_path)
    return replace(cfg, web=web)


def _load(args: argparse.Namespace) -> tuple[Config, str | None]:
    cfg = load_config(args.config_file)
    return cfg, load_api_key(cfg)


def cmd_run(args: argparse.Namespace) -> int:
    from exporter.app import build, serve_forever

    cfg, key = _load(args)
    setup_logging(args.log_level, args.log_format, key)
    cfg = _with_web_flags(cfg, args)
    if not key:
        log.error("no API key: set OPENROUTER_API_KEY or openrouter.api_key_file "
                  "(or try `openrouter-exporter demo`, which needs none)")
    exporter = build(cfg, key)
    for w in exporter.scheduler.plan.warnings:
        log.warning("plan: %s", w)
    return serve_forever(exporter, cfg.web.listen_address)


def cmd_demo(args: argparse.Namespace) -> int:
    from exporter.app import build, serve_forever
    from exporter.simulator import Simulator

    cfg = load_config(args.config_file)
    setup_logging(args.log_level, args.log_format)
    cfg = _with_web_flags(cfg, args)
    state = Path(tempfile.mkdtemp(prefix="openrouter-exporter-demo-"))
    sim = Simulator(seed=args.seed)
    cfg = replace(cfg, openrouter=replace(cfg.openrouter, base_url="http://simulator/api/v1"),
                  state_dir=str(state))
    exporter = build(cfg, "demo-key", transport=sim.transport(), state_dir=state)

    def ready(url: str) -> None:
        print(f"openrouter-exporter demo: simulated OpenRouter data, no key needed.\n"
              f"  open {url} — metrics at {url.rstrip('/')}{cfg.web.telemetry_path}\n"
              f"  (state in {state}; Ctrl-C to stop)", file=sys.stderr, flush=True)

    return serve_forever(exporter, cfg.web.listen_address, on_ready=ready)


def cmd_check_config(args: argparse.Namespace) -> int:
    from exporter.planner import plan

    cfg, key = _load(args)
    p = plan(cfg)
    source = ("OPENROUTER_API_KEY" if key and not cfg.openrouter.api_key_file
              else "openrouter.api_key_file" if key else None)
    print(f"config ok: {args.config_file or '(defaults)'}")
    print(f"API key: {'set, from ' + source if source else 'NOT SET (the exporter will not poll)'}")
    print(f"views: {len(cfg.model_views)} model, {len(cfg.app_views)} app, session cost "
          f"{'on' if cfg.session_cost else 'off'}")
    print(p.describe())
    return 0


def cmd_fake_api(args: argparse.Namespace) -> int:
    from exporter.simulator import main_fake_api

    setup_logging("info", "logfmt")
    return main_fake_api(args.listen, args.seed, args.requests_per_minute,
                         args.requests_per_day)


def cmd_backfill(args: argparse.Namespace) -> int:
    print("backfill is not implemented yet", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "run")
    args = build_parser().parse_args(argv)
    handlers = {"run": cmd_run, "demo": cmd_demo, "check-config": cmd_check_config,
                "fake-api": cmd_fake_api, "backfill": cmd_backfill}
    try:
        return handlers[args.command](args)
    except ConfigError as e:
        print(f"openrouter-exporter: config error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
