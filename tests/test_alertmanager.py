"""The shipped Alertmanager config and the market digest (prometheus/alertmanager.yml and
prometheus/alertmanager/templates/): what it matches on exists in the generated rules,
amtool checks, routes and renders it, and a real Alertmanager sends a day's moves as one
message with the watched alert standing in for the generic one.

amtool and prometheus-alertmanager come from Debian's prometheus-alertmanager package
(`make prometheus-tools`); when they are missing these tests fail: they never skip.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
import yaml
from conftest import Proc, free_port, require_tool, wait_until

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "prometheus" / "alertmanager.yml"
TEMPLATES = ROOT / "prometheus" / "alertmanager" / "templates"
ALERTS_FILE = ROOT / "prometheus" / "rules" / "openrouter-alerts.yml"
MARKET_GROUP = "openrouter-market-alerts"
MARKET_RECEIVER = "market-digest"
# The inhibit rule that lets a watched-entry alert stand in for the generic ones.
WATCHED = {"OpenRouterWatchedModelRankChanged", "OpenRouterWatchedAppRankChanged"}


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("amtool"), *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def config() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def rule_alerts() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every alerting rule of the generated file: name → (group, rule)."""
    doc = yaml.safe_load(ALERTS_FILE.read_text(encoding="utf-8"))
    return {r["alert"]: (g["name"], r) for g in doc["groups"] for r in g["rules"] if "alert" in r}


def market_alerts() -> dict[str, dict[str, Any]]:
    return {n: r for n, (g, r) in rule_alerts().items() if g == MARKET_GROUP}


def market_route() -> dict[str, Any]:
    (route,) = [r for r in config()["route"]["routes"] if r["receiver"] == MARKET_RECEIVER]
    return route


def names(matchers: list[str]) -> set[str]:
    """The alert names an `alertname` matcher list names: our matchers are alternations
    of plain names, so every alternative must be an alert of the rule file."""
    found: set[str] = set()
    for m in matchers:
        parsed = re.fullmatch(r'alertname\s*(=~|=)\s*"([^"]*)"', m)
        if parsed:
            found |= set(parsed[2].split("|"))
    return found


def kind(alert: str) -> str:
    """The digest section kind the template gives an alert (openrouter.tmpl: by name)."""
    return "model" if "Model" in alert else "app" if "App" in alert else "other"


# --- the config and the rules it names -------------------------------------------------
def test_every_alert_an_inhibit_rule_names_exists() -> None:
    known = set(rule_alerts())
    for rule in config()["inhibit_rules"]:
        for side in ("source_matchers", "target_matchers"):
            named = names(rule[side])
            assert named, (side, rule)
            assert named <= known, f"not in {ALERTS_FILE.name}: {named - known}"


def test_a_watched_alert_stands_in_for_every_generic_alert_on_the_same_entry() -> None:
    (rule,) = [r for r in config()["inhibit_rules"] if names(r["source_matchers"]) == WATCHED]
    assert rule["equal"] == ["ranking", "entry"]
    market = market_alerts()
    targets = names(rule["target_matchers"])
    # Every generic market alert about one entry in one ranking (not the watched ones,
    # not a watched entry that left every ranking) is suppressed by the watched move.
    generic = {n for n in market if "Watched" not in n}
    assert targets == generic
    for name in WATCHED | targets:
        labels = market[name]["labels"]
        assert {"ranking", "entry"} <= labels.keys(), name
        # Templated from the series: the same entry gives the same values on both sides.
        assert all("$labels." in labels[k] for k in ("ranking", "entry")), name


def test_the_digest_route_holds_every_market_alert_in_one_group() -> None:
    route = market_route()
    assert route["matchers"] == ['digest="market"']
    alerts = rule_alerts()
    for name, (group, rule) in alerts.items():
        assert (rule["labels"].get("digest") == "market") == (group == MARKET_GROUP), name
    # group_by holds labels that every market alert carries with one and the same value.
    for label in route["group_by"]:
        values = {r["labels"].get(label) for r in market_alerts().values()}
        assert len(values) == 1 and None not in values, (label, values)
        assert "{{" not in next(iter(values))


def test_the_digest_goes_out_once_a_day_in_its_window() -> None:
    route = market_route()
    (window,) = [t for t in config()["time_intervals"] if t["name"] == "market-digest"]
    assert route["active_time_intervals"] == ["market-digest"]
    (times,) = [t for i in window["time_intervals"] for t in i["times"]]
    start, end = (datetime.strptime(times[k], "%H:%M") for k in ("start_time", "end_time"))
    # One flush of the group falls in the window a day: as long as the group interval.
    assert (end - start).total_seconds() == seconds(route["group_interval"])
    assert seconds(route["group_wait"]) <= seconds(route["group_interval"])
    assert seconds(route["repeat_interval"]) >= 7 * 86400


def seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smhdw])", duration))


def test_the_template_puts_every_market_alert_in_the_right_section() -> None:
    for name, rule in market_alerts().items():
        ranking = rule["labels"]["ranking"]
        expected = {
            "model": "{{ $labels.view }}",
            "app": "{{ $labels.window }} {{ $labels.sort }} "
            "{{ $labels.category }}/{{ $labels.subcategory }}",
        }.get(kind(name))
        if expected is None:  # "watched entries": a ranking of its own, not a view
            assert name == "OpenRouterWatchedEntryLeftRanking" and "{{" not in ranking
        else:
            assert ranking == expected, name


def test_compose_mounts_the_templates_where_the_config_names_them() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    am = compose["services"]["alertmanager"]
    (flag,) = [a for a in am["command"] if a.startswith("--config.file=")]
    in_container = PurePosixPath(flag.split("=", 1)[1]).parent
    mounts = {
        PurePosixPath(t): (ROOT / s).resolve()
        for s, t, *_ in (v.split(":") for v in am["volumes"])
        if s.startswith(".")
    }
    for glob in config()["templates"]:
        pattern = in_container / glob
        (mount,) = [t for t in mounts if t in pattern.parents]
        host = mounts[mount].joinpath(*pattern.relative_to(mount).parts)
        # The container reads what amtool checks here: the files beside the host's config.
        shipped = sorted(TEMPLATES.glob("*.tmpl"))
        assert shipped and sorted(host.parent.glob(host.name)) == shipped
        assert sorted(CONFIG.parent.glob(glob)) == shipped


# --- amtool ----------------------------------------------------------------------------
def test_amtool_checks_the_config_with_its_templates() -> None:
    # amtool parses the template files its glob finds (a syntax error fails the check).
    assert sorted(CONFIG.parent.glob(config()["templates"][0])), "the glob finds no template"
    r = amtool("check-config", str(CONFIG))
    assert r.returncode == 0, r.stdout + r.stderr
    assert " - 1 templates" in r.stdout, r.stdout


def uncommented_examples(text: str) -> str:
    """The config with the receivers' commented examples (`# slack_configs:` and what
    follows it, as far as the comment goes) made live."""
    out, live = [], False
    for line in text.splitlines():
        m = re.fullmatch(r"(\s*)# ?(.*)", line)
        if m and re.fullmatch(r"\w+_configs:", m[2]):
            live = True
        if live and not m:
            live = False
        out.append(m[1] + m[2] if live and m else line)
    return "\n".join(out) + "\n"


def test_the_receiver_examples_pass_amtool(tmp_path: Path) -> None:
    text = uncommented_examples(CONFIG.read_text(encoding="utf-8"))
    receiver = next(r for r in yaml.safe_load(text)["receivers"] if r["name"] == MARKET_RECEIVER)
    assert {"slack_configs", "email_configs", "webhook_configs"} <= receiver.keys()
    for integration in (receiver["slack_configs"][0], receiver["email_configs"][0]):
        assert not integration["send_resolved"]
        assert "openrouter.digest.text" in integration["text"]
    assert "openrouter.digest.title" in receiver["slack_configs"][0]["title"]
    assert "openrouter.digest.title" in receiver["email_configs"][0]["headers"]["Subject"]
    copy = tmp_path / "alertmanager.yml"
    copy.write_text(text.replace("alertmanager/templates/", f"{TEMPLATES}/"), encoding="utf-8")
    r = amtool("check-config", str(copy))
    assert r.returncode == 0, r.stdout + r.stderr
    assert " - 2 receivers" in r.stdout


def route_test(labels: dict[str, str], receiver: str) -> subprocess.CompletedProcess[str]:
    matchers = [f'{k}="{v}"' for k, v in labels.items()]
    return amtool(
        "config", "routes", "test", f"--config.file={CONFIG}", f"--verify.receivers={receiver}",
        *matchers,
    )  # fmt: skip


def test_a_market_alert_goes_to_the_digest_and_an_exporter_alert_does_not() -> None:
    market = {
        "alertname": "OpenRouterModelRankChanged",
        "severity": "info",
        "digest": "market",
        "ranking": "daily",
        "entry": "x",
        "view": "daily",
        "model": "x",
    }
    r = route_test(market, MARKET_RECEIVER)
    assert r.returncode == 0 and r.stdout.strip() == MARKET_RECEIVER, r.stdout + r.stderr
    down = {"alertname": "OpenRouterExporterDown", "severity": "critical", "job": "j"}
    r = route_test(down, "default")
    assert r.returncode == 0 and r.stdout.strip() == "default", r.stdout + r.stderr
    # An info alert without the digest label is not a market move.
    r = route_test({"alertname": "SomethingElse", "severity": "info"}, "default")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("name", sorted(rule_alerts()))
def test_every_shipped_alert_routes_by_its_group(name: str) -> None:
    group, rule = rule_alerts()[name]
    labels = {"alertname": name, **rule["labels"]}
    labels = {k: "x" if "{{" in v else v for k, v in labels.items()}
    receiver = MARKET_RECEIVER if group == MARKET_GROUP else "default"
    r = route_test(labels, receiver)
    assert r.returncode == 0 and r.stdout.strip() == receiver, r.stdout + r.stderr


# --- the digest: a day of moves --------------------------------------------------------
MODELS_CITE = "Source: OpenRouter (openrouter.ai/rankings), as of 2026-05-12 02:00:00 +0000 UTC"
APPS_CITE = "Source: OpenRouter (openrouter.ai/apps), as of 2026-05-12 02:05:00 +0000 UTC"
MODELS = "http://localhost:3000/d/openrouter-models?var-view="
APPS = "http://localhost:3000/d/openrouter-apps?var-window=1d&var-category=programming&var-app="
PROGRAMMING = "1d popular programming/all"
# API text as an app name may hold it: a Slack mention, markup, template braces.
ODD = 'Zed <!channel> & "Co" {{ .Labels }} 100% ünï'


def move(name: str, ranking: str, entry: str, summary: str) -> dict[str, Any]:
    """A market alert as Prometheus sends it, with the labels and annotations the rules
    give it (the dashboard link and the citation of its dataset)."""
    app = "App" in name
    annotations = {"summary": summary}
    if name != "OpenRouterWatchedEntryLeftRanking":
        annotations["citation"] = APPS_CITE if app else MODELS_CITE
        annotations["dashboard"] = APPS + entry if app else MODELS + ranking
    labels = {"alertname": name, "severity": "info", "digest": "market"}
    return {"labels": {**labels, "ranking": ranking, "entry": entry}, "annotations": annotations}


DAY = [
    move("OpenRouterModelRankChanged", "daily", "openai/gpt-4o", "gpt-4o: #5 → #2 (+3) daily"),
    move("OpenRouterNewTopModel", "daily", "x/new", "x/new is new in the daily top 10 at #7"),
    move("OpenRouterModelRankChanged", "weekly", "openai/gpt-4o", "gpt-4o: #6 → #3 (+3) weekly"),
    move("OpenRouterAppRankDropped", PROGRAMMING, "42", f"{ODD} fell from #3 to #9"),
    move("OpenRouterAppEnteredTopN", PROGRAMMING, "43", "Kilo entered the top 10 at #8"),
    move("OpenRouterWatchedEntryLeftRanking", "every ranking", "c/d", "c/d left the rankings"),
]
RESOLVED = move("OpenRouterModelRankChanged", "monthly", "old/one", "yesterday's news")
# Heading → the ranking its section holds, in the order of the kinds (models, apps, the
# rest); within a kind, sections come in the order Alertmanager sorts the alerts in.
SECTIONS = {
    "daily model ranking:": "daily",
    "weekly model ranking:": "weekly",
    f"app ranking {PROGRAMMING}:": PROGRAMMING,
    "watched entries (every ranking):": "every ranking",
}
KINDS = ["model", "app", "other"]


def in_kind_order(rankings: list[str]) -> bool:
    order = {r: KINDS.index(kind_of_ranking(r)) for r in rankings}
    return len(set(rankings)) == len(rankings) and [order[r] for r in rankings] == sorted(
        order.values()
    )


def kind_of_ranking(ranking: str) -> str:
    return "app" if ranking == PROGRAMMING else "other" if ranking == "every ranking" else "model"


def shown(alert: dict[str, Any]) -> str:
    """The digest's line for an alert: API text cannot open a Slack <…> sequence."""
    summary = alert["annotations"]["summary"].replace("<", "‹").replace(">", "›")
    link = alert["annotations"].get("dashboard")
    return f"- {summary} — {link}" if link else f"- {summary}"


def render(template: str, data: Path, kind: str = "text") -> str:
    r = amtool(
        "template", "render", f"--template.glob={TEMPLATES}/*.tmpl",
        f'--template.text={{{{ template "{template}" . }}}}',
        f"--template.data={data}", f"--template.type={kind}",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def assert_digest(text: str, alerts: list[dict[str, Any]]) -> None:
    """One section per ranking, models first, then apps, then the rest, each with exactly
    its alerts' lines; then each citation once."""
    *sections, sources = text.split("\n\n")
    rankings = [SECTIONS[s.splitlines()[0]] for s in sections]
    assert in_kind_order(rankings), rankings
    assert set(rankings) == {a["labels"]["ranking"] for a in alerts}
    for section in sections:
        head, *lines = section.splitlines()
        mine = [a for a in alerts if a["labels"]["ranking"] == SECTIONS[head]]
        assert sorted(lines) == sorted(shown(a) for a in mine), section
    cited = {a["annotations"].get("citation") for a in alerts} - {None}
    assert sorted(sources.splitlines()) == sorted(cited)


def assert_title(title: str, alerts: list[dict[str, Any]]) -> None:
    """ "OpenRouter market digest: N moves (ranking, …)", the rankings as the sections."""
    m = re.fullmatch(r"OpenRouter market digest: (\d+) moves \((.*)\)", title)
    assert m and int(m[1]) == len(alerts), title
    rankings = m[2].split(", ")
    assert in_kind_order(rankings) and set(rankings) == {a["labels"]["ranking"] for a in alerts}


def test_the_digest_renders_a_day_in_one_section_per_ranking(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    alerts = [{**a, "status": "firing"} for a in DAY] + [{**RESOLVED, "status": "resolved"}]
    group = {"receiver": MARKET_RECEIVER, "status": "firing", "alerts": alerts}
    labels = {"groupLabels": {"digest": "market"}, "commonLabels": {"digest": "market"}}
    data.write_text(json.dumps({**group, **labels, "externalURL": "http://127.0.0.1:9093"}))
    assert render("openrouter.digest.title", data) == (
        f"OpenRouter market digest: 6 moves (daily, weekly, {PROGRAMMING}, every ranking)"
    )
    text = render("openrouter.digest.text", data)
    assert_digest(text, DAY)
    assert text.count(MODELS_CITE) == text.count(APPS_CITE) == 1
    assert "yesterday's news" not in text
    # The odd name is written as it is, except that it cannot mention a Slack channel.
    assert "<!channel>" not in text
    assert 'Zed ‹!channel› & "Co" {{ .Labels }} 100% ünï fell from #3 to #9' in text
    html = render("openrouter.digest.html", data, "html")
    assert html.startswith("<pre>daily model ranking:\n") and html.endswith("</pre>")
    assert "Zed ‹!channel› &amp; &#34;Co&#34; {{ .Labels }} 100% ünï" in html
    assert f"{APPS.replace('&', '&amp;')}42" in html and "<!channel>" not in html


# --- a real Alertmanager ---------------------------------------------------------------
class Hook(ThreadingHTTPServer):
    """What the Alertmanager's Slack and webhook integrations post, by path (loopback)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HookHandler)
        self.received: list[tuple[str, dict[str, Any]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for p, body in list(self.received) if p == path]


class HookHandler(BaseHTTPRequestHandler):
    server: Hook

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:  # quiet: the test reads what was posted
        pass


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def live_config(hook: Hook, start: str, end: str) -> dict[str, Any]:
    """The shipped config, its Slack and webhook examples posting to ``hook``, the digest's
    window ``start``-``end`` (UTC) and its group flushed every second."""
    cfg = yaml.safe_load(uncommented_examples(CONFIG.read_text(encoding="utf-8")))
    cfg["templates"] = [str(TEMPLATES / "*.tmpl")]
    route = next(r for r in cfg["route"]["routes"] if r["receiver"] == MARKET_RECEIVER)
    route.update(group_wait="1s", group_interval="1s")
    (window,) = [t for t in cfg["time_intervals"] if t["name"] == "market-digest"]
    window["time_intervals"] = [{"times": [{"start_time": start, "end_time": end}]}]
    receiver = next(r for r in cfg["receivers"] if r["name"] == MARKET_RECEIVER)
    del receiver["email_configs"]
    receiver["slack_configs"][0]["api_url"] = f"{hook.url}/slack"
    receiver["webhook_configs"][0]["url"] = f"{hook.url}/webhook"
    return cfg


@contextmanager
def alertmanager(tmp: Path, cfg: dict[str, Any]) -> Iterator[tuple[str, Proc]]:
    """Debian's Alertmanager on loopback, no cluster port, debug log (it says when a
    notification falls outside the route's time); its URL and process."""
    path = tmp / "alertmanager.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}"
    args = [
        f"--config.file={path}", f"--storage.path={tmp / 'data'}",
        f"--web.listen-address={url.removeprefix('http://')}", "--cluster.listen-address=",
        "--log.level=debug",
    ]  # fmt: skip
    binary = require_tool("prometheus-alertmanager")
    proc = Proc(args, None, tmp / "alertmanager.log", command=[binary])
    try:
        wait_until(lambda: httpx.get(f"{url}/-/ready").status_code == 200, "ready", 30, proc)
        yield url, proc
    finally:
        proc.stop()


def post(url: str, alerts: list[dict[str, Any]]) -> None:
    r = httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=10)
    assert r.status_code == 200, r.text


def key(alert: dict[str, Any]) -> tuple[str, str, str]:
    labels = alert["labels"]
    return labels["alertname"], labels.get("ranking", ""), labels.get("entry", "")


WATCHED_MOVES = [
    move("OpenRouterWatchedModelRankChanged", "daily", "openai/gpt-4o", "Watched gpt-4o: +3"),
    move("OpenRouterWatchedAppRankChanged", PROGRAMMING, "42", f"Watched {ODD}: -6"),
]
# What the watched moves stand in for: the same entries in the same rankings.
STOOD_IN = [DAY[0], DAY[3]]


def test_a_day_of_moves_is_one_message_with_the_watched_alerts_standing_in(
    tmp_path: Path, hook: Hook
) -> None:
    down = {"labels": {"alertname": "OpenRouterExporterDown", "severity": "critical"}}
    with alertmanager(tmp_path, live_config(hook, "00:00", "24:00")) as (url, proc):
        post(url, [*DAY, *WATCHED_MOVES, down])
        wait_until(lambda: hook.bodies("/webhook") and hook.bodies("/slack"), "digest", 30, proc)
        alerts = {key(a): a for a in httpx.get(f"{url}/api/v2/alerts").json()}
        watched = {key(a): alerts[key(a)]["fingerprint"] for a in WATCHED_MOVES}
        for generic, source in zip(STOOD_IN, WATCHED_MOVES, strict=True):
            status = alerts[key(generic)]["status"]
            assert status["inhibitedBy"] == [watched[key(source)]], key(generic)
        # The exporter's alert keeps its own route (and is in no digest).
        assert alerts[key(down)]["receivers"] == [{"name": "default"}]
        # The group is flushed every second: a few more flushes send nothing new.
        flushes = proc.output().count("msg=flushing")
        wait_until(lambda: proc.output().count("msg=flushing") >= flushes + 3, "flushes", 30)
    sent = [a for a in [*DAY, *WATCHED_MOVES] if a not in STOOD_IN]
    (webhook,) = hook.bodies("/webhook")
    assert sorted(key(a) for a in webhook["alerts"]) == sorted(key(a) for a in sent)
    assert webhook["groupLabels"] == {"digest": "market"}
    (slack,) = hook.bodies("/slack")
    (attachment,) = slack["attachments"]
    assert_title(attachment["title"], sent)
    assert_digest(attachment["text"], sent)


def test_no_digest_goes_out_outside_its_window(tmp_path: Path, hook: Hook) -> None:
    # A window half a day away from now (times are UTC; a window cannot span midnight).
    start, end = ("18:00", "18:30") if datetime.now(UTC).hour < 12 else ("06:00", "06:30")
    with alertmanager(tmp_path, live_config(hook, start, end)) as (url, proc):
        post(url, DAY)
        outside = "Notifications not sent, route is not within active time"
        wait_until(lambda: outside in proc.output(), "a flush outside the window", 30, proc)
    assert hook.received == []
