"""Generate (or check) every file the mixin owns.

python -m mixin                          # rewrite the committed files
python -m mixin --check                  # exit 1 if a committed file is stale
python -m mixin --config my.yaml --output out/   # your selector and thresholds
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mixin.config import MixinConfig, load
from mixin.dashboards import dashboard_files
from mixin.grafana_alerting import FILE as ALERTING_FILE
from mixin.grafana_alerting import alerting_file
from mixin.kubernetes import grafana_alerting_overlay, manifest_files
from mixin.rules import rule_files

ROOT = Path(__file__).resolve().parent.parent


def outputs(cfg: MixinConfig) -> dict[str, str]:
    """Every generated file, by its path relative to the output root."""
    dashboards = dashboard_files(cfg)
    rules = rule_files(cfg)
    grafana_alerts = alerting_file(cfg)
    files = {f"grafana/dashboards/{n}": t for n, t in dashboards.items()}
    files[f"grafana/provisioning/alerting/{ALERTING_FILE}"] = grafana_alerts
    files |= {f"prometheus/rules/{n}": t for n, t in rules.items()}
    files |= {f"deploy/kubernetes/{n}": t for n, t in manifest_files(cfg, dashboards).items()}
    overlay = grafana_alerting_overlay(cfg, ALERTING_FILE, grafana_alerts)
    files |= {f"deploy/kubernetes-grafana-alerting/{n}": t for n, t in overlay.items()}
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mixin", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is not current")
    parser.add_argument("--config", help="YAML overriding fields of mixin/config.py")
    parser.add_argument("--output", default=str(ROOT), help="root to write under (default: repo)")
    args = parser.parse_args(argv)
    root = Path(args.output)
    stale = []
    for rel, text in outputs(load(args.config)).items():
        path = root / rel
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if stale:
        print("not what `python -m mixin` generates: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
