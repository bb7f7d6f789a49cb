"""The request plan: what each view costs and how a config that does not fit is stretched."""

from __future__ import annotations

import subprocess
import sys

from exporter.configfile import parse_config
from exporter.planner import plan
from testsupport.maximal import MAXIMAL_APPS

MAXIMAL = {"apps": MAXIMAL_APPS}


def test_default_plan_fits_with_settling_repolls():
    p = plan(parse_config({}))
    assert p.rotation_days == 1 and p.rounds == 3 and not p.warnings
    assert p.requests_per_day <= p.budget_per_day == 400
    assert p.round_cost == 2 + 30  # weekly + monthly views, 30 app views of one page


def test_cost_counts_pages():
    p = plan(parse_config(MAXIMAL))
    apps = [v for v in p.views if v.dataset == "app-rankings"]
    assert len(apps) == 120 and all(v.requests == 2 for v in apps)
    assert p.round_cost == 2 + 240
    assert p.rounds == 1 and p.requests_per_day <= p.budget_per_day


def test_a_config_that_does_not_fit_is_stretched_never_overspent():
    cfg = parse_config({**MAXIMAL, "budget": {"requests_per_day": 100, "reserve": 0.2}})
    p = plan(cfg)
    assert p.rotation_days > 1
    assert p.requests_per_day <= p.budget_per_day == 80
    assert p.warnings and "stretched" in p.warnings[0]
    groups = {v.group for v in p.views if v.dataset == "app-rankings"}
    assert groups == set(range(p.rotation_days))  # every view is in some day's turn


def test_app_views_ordered_wide_first():
    p = plan(parse_config({"apps": {"filters": ["cli-agent", "coding", "all"]}}))
    names = [v.view for v in p.views if v.dataset == "app-rankings"]
    assert names[0].endswith("/popular/all")
    assert names.index("1d/popular/coding") < names.index("1d/popular/cli-agent")


def test_check_config_prints_the_plan_and_the_warning(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("budget:\n  requests_per_day: 100\napps:\n  filters: [every]\n  depth: 200\n")
    r = subprocess.run(
        [sys.executable, "-m", "exporter", "check-config", "--config.file", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "app-rankings" in r.stdout and "requests/day" in r.stdout
    assert "warning:" in r.stdout and "stretched" in r.stdout


def test_check_config_validates_the_web_config_file(tmp_path):
    import bcrypt

    good = tmp_path / "web.yml"
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()
    good.write_text(f"basic_auth_users:\n  prometheus: {hashed}\n")
    bad = tmp_path / "bad.yml"
    bad.write_text("basic_auth_users:\n  prometheus: not-a-bcrypt-hash\n")
    run = [sys.executable, "-m", "exporter", "check-config", "--web.config.file"]
    r = subprocess.run([*run, str(good)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "web config ok" in r.stdout and "basic auth (1 user)" in r.stdout
    r = subprocess.run([*run, str(bad)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "basic_auth_users" in r.stderr
    assert "not-a-bcrypt-hash" not in r.stderr  # a pasted password is never echoed


def test_task_classifications_and_benchmarks_cost_a_few_requests_a_day_and_switch_off():
    cfg = parse_config({})
    p = plan(cfg)
    cost = {
        d: sum(v.requests for v in p.views if v.dataset == d)
        for d in ("task-classifications", "benchmarks")
    }
    assert cost == {"task-classifications": 1, "benchmarks": 4}
    text = p.describe()
    assert "task-classifications 7d" in text and "benchmarks           design-arena" in text
    off = {"task_classifications": {"enabled": False}, "benchmarks": {"enabled": False}}
    quiet = plan(parse_config(off))
    assert {v.dataset for v in quiet.views}.isdisjoint(cost)
    assert quiet.scheduled_per_day == p.scheduled_per_day - 5
    arenas = {"benchmarks": {"views": ["design-arena", "design-arena-builders"]}}
    assert [v.view for v in plan(parse_config(arenas)).views if v.dataset == "benchmarks"] == [
        "design-arena",
        "design-arena-builders",
    ]
