"""Config: defaults, validation messages a user can act on, the API key, check-config."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import FAKE_KEY, Proc, free_port, wait_for, wait_until

from exporter import schemadocs
from exporter.config import ConfigError, load_api_key, parse_duration
from exporter.configfile import DEFAULTS, ConfigFile, default_config, load_config, parse_config
from exporter.datasets.apps import app_views
from exporter.datasets.models import model_views
from exporter.datasets.session_cost import session_cost_config
from exporter.simulator import Simulator, serve

REPO = Path(__file__).resolve().parent.parent

CATEGORIES = ["coding", "creative", "entertainment", "productivity"]
SUBCATEGORIES = [
    "cli-agent",
    "ide-extension",
    "cloud-agent",
    "programming-app",
    "native-app-builder",
    "creative-writing",
    "video-gen",
    "image-gen",
    "audio-gen",
    "roleplay",
    "game",
    "writing-assistant",
    "general-chat",
    "personal-agent",
    "legal",
]


def error_of(data: object) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return str(info.value)


def apps(**kwargs: object) -> dict[str, object]:
    return {"apps": kwargs}


# --- defaults ----------------------------------------------------------------------------


def test_no_file_means_documented_defaults() -> None:
    cfg = load_config(None)

    views = app_views(cfg)
    assert len(views) == 30
    assert {v.window for v in views} == {"1d", "7d", "30d"}
    assert {v.sort for v in views} == {"popular", "trending"}
    assert {v.filter for v in views} == {"all", *CATEGORIES}
    assert {v.depth for v in views} == {50}
    assert len({v.name for v in views}) == 30
    assert "30d/trending/coding" in {v.name for v in views}

    assert [(m.name, m.period) for m in model_views(cfg)] == [
        ("daily", "day"),
        ("weekly", "week"),
        ("monthly", "month"),
    ]
    assert session_cost_config(cfg).enabled is True
    assert cfg.web.listen_address == ":10110"
    assert cfg.web.telemetry_path == "/metrics"
    assert cfg.openrouter.base_url == "https://openrouter.ai/api/v1"
    assert cfg.openrouter.timeout == 30.0
    assert (cfg.budget.requests_per_minute, cfg.budget.requests_per_day) == (30, 500)
    assert cfg.budget.reserve == pytest.approx(0.2)
    assert (cfg.budget.effective_per_minute, cfg.budget.effective_per_day) == (24, 400)


def test_empty_yaml_file_is_the_same_as_no_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing configured\n")
    assert load_config(str(path)) == load_config(None)


@pytest.mark.parametrize("text", ["", "# nothing configured\n# at all\n", "\n\n", "{}\n"])
def test_empty_file_runs_on_defaults_with_a_warning(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    (warning,) = load_config(str(path)).warnings
    assert warning.startswith(f"{path}: ")
    assert "empty" in warning and "defaults" in warning
    assert load_config(None).warnings == ()  # no file is not a mistake: nothing to say


def test_a_file_with_settings_has_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("apps:\n  depth: 20\n")
    assert load_config(str(path)).warnings == ()


def test_default_filters_send_the_category_and_nothing_else() -> None:
    by_name = {v.name: v for v in app_views(load_config(None))}
    coding = by_name["7d/popular/coding"]
    assert (coding.category_param, coding.subcategory_param) == ("coding", None)
    overall = by_name["7d/popular/all"]
    assert (overall.category_param, overall.subcategory_param) == (None, None)
    assert (overall.category_label, overall.subcategory_label) == ("all", "all")


# --- apps.windows ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["45x", "0d", "d7", "7 d", "1w"])
def test_bad_window_names_its_index_and_value(bad: str) -> None:
    msg = error_of(apps(windows=["1d", "7d", bad]))
    assert msg.startswith("apps.windows[2]:")
    assert bad in msg
    assert "window like 7d" in msg


def test_window_given_as_a_bare_number_is_refused() -> None:
    msg = error_of(apps(windows=[7]))
    assert msg.startswith("apps.windows[0]:")
    assert "7" in msg


def test_window_longer_than_the_api_allows_is_refused() -> None:
    msg = error_of(apps(windows=["367d"]))
    assert msg.startswith("apps.windows[0]:")
    assert "367d" in msg and "366" in msg
    assert app_views(parse_config(apps(windows=["366d"])))[0].window_days == 366


def test_windows_may_be_a_single_string() -> None:
    cfg = parse_config(apps(windows="14d", sorts=["popular"], filters=["all"]))
    assert [v.name for v in app_views(cfg)] == ["14d/popular/all"]


# --- apps.sorts / apps.filters -----------------------------------------------------------


def test_bad_sort_names_its_index_and_the_choices() -> None:
    msg = error_of(apps(sorts=["popular", "newest"]))
    assert msg.startswith("apps.sorts[1]:")
    assert "newest" in msg
    assert "popular" in msg and "trending" in msg


def test_bad_filter_lists_the_known_filters() -> None:
    msg = error_of(apps(filters=["all", "codng"]))
    assert msg.startswith("apps.filters[1]:")
    assert "codng" in msg
    for known in ["all", "every", *CATEGORIES, *SUBCATEGORIES]:
        assert known in msg
    assert "category:NAME" in msg


def test_category_and_subcategory_escape_hatch_for_new_api_values() -> None:
    cfg = parse_config(
        apps(
            windows=["7d"], sorts=["popular"], filters=["category:science", "subcategory:music-gen"]
        )
    )
    by_filter = {v.filter: v for v in app_views(cfg)}
    assert set(by_filter) == {"science", "music-gen"}
    assert (by_filter["science"].category_param, by_filter["science"].subcategory_param) == (
        "science",
        None,
    )
    assert (by_filter["music-gen"].category_param, by_filter["music-gen"].subcategory_param) == (
        None,
        "music-gen",
    )


@pytest.mark.parametrize("bad", ["category:", "category:Has Space", "genre:music"])
def test_malformed_escape_hatch_is_refused(bad: str) -> None:
    msg = error_of(apps(filters=[bad]))
    assert msg.startswith("apps.filters[0]:")
    assert bad in msg


def test_subcategory_filter_sends_only_the_subcategory_and_labels_its_group() -> None:
    cfg = parse_config(apps(windows=["1d"], sorts=["popular"], filters=["cli-agent"]))
    (view,) = app_views(cfg)
    assert (view.category_param, view.subcategory_param) == (None, "cli-agent")
    assert (view.category_label, view.subcategory_label) == ("coding", "cli-agent")


def test_every_expands_to_all_categories_and_subcategories() -> None:
    cfg = parse_config(apps(windows=["7d"], sorts=["popular"], filters=["every"]))
    filters = [v.filter for v in app_views(cfg)]
    assert len(filters) == 20
    assert set(filters) == {"all", *CATEGORIES, *SUBCATEGORIES}


def test_every_with_three_windows_and_two_sorts_is_120_views() -> None:
    cfg = parse_config(
        apps(windows=["1d", "7d", "30d"], sorts=["popular", "trending"], filters=["every"])
    )
    assert len(app_views(cfg)) == 120
    assert len({v.name for v in app_views(cfg)}) == 120


def test_overlapping_filters_do_not_duplicate_views() -> None:
    cfg = parse_config(
        apps(windows=["7d"], sorts=["popular"], filters=["every", "coding", "all", "categories"])
    )
    assert len(app_views(cfg)) == 20


# --- apps.depth --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 201, -5])
def test_depth_out_of_range(bad: int) -> None:
    msg = error_of(apps(depth=bad))
    assert msg.startswith("apps.depth:")
    assert str(bad) in msg
    assert "1" in msg and "200" in msg


@pytest.mark.parametrize("good, pages", [(1, 1), (100, 1), (101, 2), (200, 2)])
def test_depth_in_range_sets_pages(good: int, pages: int) -> None:
    view = app_views(parse_config(apps(depth=good)))[0]
    assert view.depth == good
    assert view.pages == pages


@pytest.mark.parametrize("bad", ["50", 50.5, True])
def test_depth_must_be_a_whole_number(bad: object) -> None:
    assert error_of(apps(depth=bad)).startswith("apps.depth:")


# --- unknown keys and wrong types ---------------------------------------------------------


@pytest.mark.parametrize(
    "data, path",
    [
        ({"apps": {"depht": 50}}, "apps.depht"),
        ({"aps": {}}, "aps"),
        ({"openrouter": {"tiemout": "5s"}}, "openrouter.tiemout"),
        ({"budget": {"requests_per_hour": 5}}, "budget.requests_per_hour"),
        ({"web": {"listen": ":1"}}, "web.listen"),
        ({"session_cost": {"enable": False}}, "session_cost.enable"),
        ({"watch": {"app": [1]}}, "watch.app"),
        ({"models": {"view": []}}, "models.view"),
        ({"models": {"views": [{"name": "x", "perod": "week"}]}}, "models.views[0].perod"),
    ],
)
def test_unknown_key_is_named_with_its_path(data: dict[str, object], path: str) -> None:
    msg = error_of(data)
    assert msg.startswith(f"{path}:")
    assert "unknown key" in msg


@pytest.mark.parametrize(
    "data, path",
    [
        ({"apps": ["7d"]}, "apps"),
        ({"apps": {"windows": {"a": 1}}}, "apps.windows"),
        ({"apps": {"sorts": 5}}, "apps.sorts"),
        ({"budget": {"requests_per_minute": "30"}}, "budget.requests_per_minute"),
        ({"budget": {"requests_per_day": 0}}, "budget.requests_per_day"),
        ({"session_cost": {"enabled": "yes"}}, "session_cost.enabled"),
        ({"state_dir": 5}, "state_dir"),
        ({"state_dir": ""}, "state_dir"),
        ({"openrouter": {"timeout": "fast"}}, "openrouter.timeout"),
        ({"openrouter": {"timeout": "0s"}}, "openrouter.timeout"),
        ({"openrouter": {"timeout": "11m"}}, "openrouter.timeout"),
        ({"openrouter": {"base_url": "openrouter.ai/api/v1"}}, "openrouter.base_url"),
        ({"openrouter": {"title": 7}}, "openrouter.title"),
        ({"openrouter": {"categories": [1, 2]}}, "openrouter.categories"),
        ({"watch": {"apps": ["cline"]}}, "watch.apps[0]"),
        ({"watch": {"models": ["gpt-4o"]}}, "watch.models[0]"),
        ({"models": {"views": {"name": "daily"}}}, "models.views"),
        ({"models": {"views": ["daily"]}}, "models.views[0]"),
        ("just a string", "config"),
    ],
)
def test_wrong_type_or_value_is_named_with_its_path(data: object, path: str) -> None:
    assert error_of(data).startswith(f"{path}:")


@pytest.mark.parametrize(
    "text, seconds",
    [
        (30, 30.0),
        ("45s", 45.0),
        ("1.5s", 1.5),
        ("500ms", 0.5),
        ("2m", 120.0),
    ],
)
def test_timeout_durations(text: object, seconds: float) -> None:
    assert parse_config({"openrouter": {"timeout": text}}).openrouter.timeout == seconds


def test_openrouter_settings_are_kept() -> None:
    cfg = parse_config(
        {
            "openrouter": {
                "base_url": "http://localhost:8111/api/v1/",
                "api_key_file": "/run/secrets/key",
                "http_referer": "https://example.org",
                "title": "My dashboards",
                "categories": "cli-agent, ide-extension",
            }
        }
    )
    o = cfg.openrouter
    assert o.base_url == "http://localhost:8111/api/v1"
    assert o.api_key_file == "/run/secrets/key"
    assert (o.http_referer, o.title) == ("https://example.org", "My dashboards")
    assert o.categories == ("cli-agent", "ide-extension")


# --- models.views --------------------------------------------------------------------------


def models(*views: dict[str, object]) -> dict[str, object]:
    return {"models": {"views": list(views)}}


def test_model_views_are_parsed_with_their_slice() -> None:
    cfg = parse_config(
        models(
            {"name": "daily"},
            {"name": "tools", "modality": "tool_calling", "days": 30},
            {"name": "coding-weekly", "period": "week", "category": "programming"},
            {"name": "seo", "period": "month", "category": "marketing/seo"},
        )
    )
    daily, tools, coding, seo = model_views(cfg)
    assert daily.params() == {"period": "day"}
    assert tools.params() == {"period": "day", "modality": "tool_calling"}
    assert tools.days == 30
    assert coding.params() == {"period": "week", "category": "programming"}
    assert seo.params() == {"period": "month", "category": "marketing/seo"}


def test_empty_model_view_list_turns_model_views_off() -> None:
    assert model_views(parse_config(models())) == ()


def test_duplicate_model_view_names_are_refused() -> None:
    msg = error_of(
        models({"name": "daily"}, {"name": "other"}, {"name": "daily", "period": "week"})
    )
    assert msg.startswith("models.views[2].name:")
    assert "daily" in msg and "twice" in msg


def test_model_view_needs_a_name() -> None:
    assert error_of(models({"period": "week"})).startswith("models.views[0].name:")


@pytest.mark.parametrize("bad", ["Daily", "my view", "x/y"])
def test_model_view_name_must_be_label_safe(bad: str) -> None:
    msg = error_of(models({"name": bad}))
    assert msg.startswith("models.views[0].name:")
    assert bad in msg


def test_bad_period_is_refused() -> None:
    msg = error_of(models({"name": "a"}, {"name": "b", "period": "year"}))
    assert msg.startswith("models.views[1].period:")
    assert "year" in msg
    for p in ("day", "week", "month"):
        assert p in msg


@pytest.mark.parametrize("slice_", [{"category": "programming"}, {"language_type": "natural"}])
def test_category_or_language_type_with_period_day_is_refused(slice_: dict[str, str]) -> None:
    msg = error_of(models({"name": "x", **slice_}))  # period defaults to day
    assert msg.startswith("models.views[0].period:")
    assert "week" in msg
    msg = error_of(models({"name": "x", "period": "day", **slice_}))
    assert msg.startswith("models.views[0].period:")
    assert model_views(parse_config(models({"name": "x", "period": "week", **slice_})))


def test_two_slices_cannot_be_combined() -> None:
    msg = error_of(models({"name": "x", "modality": "text", "context_bucket": "1M"}))
    assert msg.startswith("models.views[0]:")
    assert "modality" in msg and "context_bucket" in msg


@pytest.mark.parametrize(
    "key, bad",
    [
        ("modality", "video"),
        ("context_bucket", "1k"),
        ("category", "sports"),
        ("language_type", "english"),
    ],
)
def test_unknown_slice_value_is_refused_with_choices(key: str, bad: str) -> None:
    msg = error_of(models({"name": "x", "period": "week", key: bad}))
    assert msg.startswith(f"models.views[0].{key}:")
    assert bad in msg


def test_modality_error_lists_the_modalities() -> None:
    msg = error_of(models({"name": "x", "modality": "video"}))
    for m in ("text", "image", "image_output", "audio", "tool_calling"):
        assert m in msg


@pytest.mark.parametrize("period, too_short", [("day", 0), ("week", 13), ("month", 61)])
def test_model_view_days_too_short_for_its_period(period: str, too_short: int) -> None:
    msg = error_of(models({"name": "x", "period": period, "days": too_short}))
    assert msg.startswith("models.views[0].days:")


def test_model_view_days_over_the_api_cap() -> None:
    assert error_of(models({"name": "x", "days": 367})).startswith("models.views[0].days:")


# --- the API key is never in the file -----------------------------------------------------


def test_literal_api_key_is_refused_without_echoing_it() -> None:
    secret = "sk-or-v1-LITERALKEYVALUE0123456789"
    msg = error_of({"openrouter": {"api_key": secret}})
    assert msg.startswith("openrouter.api_key:")
    assert "OPENROUTER_API_KEY" in msg and "api_key_file" in msg
    assert secret not in msg
    assert "LITERALKEYVALUE" not in msg


def test_literal_api_key_at_top_level_is_refused_without_echoing_it() -> None:
    secret = "sk-or-v1-TOPLEVELKEY99"
    msg = error_of({"api_key": secret})
    assert "api_key" in msg
    assert secret not in msg


def test_literal_api_key_is_refused_even_with_other_errors(tmp_path: Path) -> None:
    secret = "sk-or-v1-FROMFILEKEY42"
    path = tmp_path / "c.yaml"
    path.write_text(f"openrouter:\n  api_key: {secret}\n  bogus: 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(info.value).startswith("openrouter.api_key:")
    assert secret not in str(info.value)
    assert str(info.value).splitlines()[1] == "openrouter.bogus: unknown key"


@pytest.mark.parametrize(
    "data",
    [
        {"sk-or-v1-PASTEDASAKEYNAME99": 1},
        {"apps": {"sorts": ["sk-or-v1-PASTEDASASORT99"]}},
        {"watch": {"models": ["sk-or-v1-PASTEDASAMODEL99"]}},
        {"openrouter": {"base_url": "sk-or-v1-PASTEDASAURL99"}},
    ],
)
def test_a_key_pasted_anywhere_is_not_echoed(data: dict[str, object]) -> None:
    msg = error_of(data)
    assert "PASTEDAS" not in msg
    assert "[REDACTED]" in msg


# --- budget ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [1, 1.5, -0.1, "0.2", True])
def test_budget_reserve_out_of_range(bad: object) -> None:
    msg = error_of({"budget": {"reserve": bad}})
    assert msg.startswith("budget.reserve:")
    assert repr(bad) in msg


def test_budget_reserve_zero_keeps_the_whole_budget() -> None:
    b = parse_config(
        {"budget": {"requests_per_minute": 20, "requests_per_day": 300, "reserve": 0}}
    ).budget
    assert (b.effective_per_minute, b.effective_per_day) == (20, 300)


@pytest.mark.parametrize(
    "per_day, reserve, expected",
    [
        (1000, 0.9, 100),  # 1000 * (1 - 0.9) is 99.99999999999997 in floating point
        (100, 0.55, 45),  # 44.99999999999999
        (500, 0.5, 250),
        (500, 0.25, 375),
    ],
)
def test_budget_after_reserve_is_not_lost_to_float_rounding(
    per_day: int, reserve: float, expected: int
) -> None:
    b = parse_config({"budget": {"requests_per_day": per_day, "reserve": reserve}}).budget
    assert b.effective_per_day == expected


def test_budget_after_reserve_is_at_least_one_request() -> None:
    b = parse_config(
        {"budget": {"requests_per_minute": 1, "requests_per_day": 1, "reserve": 0.99}}
    ).budget
    assert (b.effective_per_minute, b.effective_per_day) == (1, 1)


# --- web ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["10110", "localhost", "host:", "host:http", ":70000"])
def test_bad_listen_address(bad: str) -> None:
    msg = error_of({"web": {"listen_address": bad}})
    assert msg.startswith("web.listen_address:")
    assert bad in msg


@pytest.mark.parametrize("good", [":9000", "127.0.0.1:10110", "[::1]:10110", "0.0.0.0:0"])
def test_good_listen_address(good: str) -> None:
    assert parse_config({"web": {"listen_address": good}}).web.listen_address == good


@pytest.mark.parametrize("bad", ["metrics", "/", ""])
def test_bad_telemetry_path(bad: str) -> None:
    assert error_of({"web": {"telemetry_path": bad}}).startswith("web.telemetry_path:")


def test_custom_telemetry_path() -> None:
    assert parse_config({"web": {"telemetry_path": "/m"}}).web.telemetry_path == "/m"


# --- files ---------------------------------------------------------------------------------


def test_yaml_syntax_error_reports_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("apps:\n  depth: 5\n\tsorts: [popular]\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    msg = str(info.value)
    assert str(path) in msg
    assert "line 3" in msg


def test_yaml_unclosed_list_reports_a_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("# header\napps:\n  windows: [1d, 7d\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert "not valid YAML" in str(info.value)
    assert "line " in str(info.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(path) in str(info.value)
    assert "cannot read" in str(info.value)


def test_directory_instead_of_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path))
    assert "cannot read" in str(info.value)


def test_binary_file_is_a_config_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00apps: {}\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(path) in str(info.value)


def test_file_values_are_validated_like_parse_config(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("apps:\n  windows: [1d, 7d, 45x]\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(info.value).startswith("apps.windows[2]:")
    assert "45x" in str(info.value)


# --- load_api_key ------------------------------------------------------------------------


def key_file_config(path: Path) -> object:
    return parse_config({"openrouter": {"api_key_file": str(path)}})


def test_api_key_from_environment_wins_over_file(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("sk-from-file\n")
    cfg = key_file_config(path)
    assert load_api_key(cfg, {"OPENROUTER_API_KEY": "sk-from-env"}) == "sk-from-env"


def test_api_key_from_environment_is_stripped() -> None:
    assert load_api_key(load_config(None), {"OPENROUTER_API_KEY": " sk-env \n"}) == "sk-env"


def test_api_key_from_file_when_environment_has_none(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("  sk-or-v1-fromfile \n\n")
    cfg = key_file_config(path)
    assert load_api_key(cfg, {}) == "sk-or-v1-fromfile"
    assert load_api_key(cfg, {"OPENROUTER_API_KEY": "   "}) == "sk-or-v1-fromfile"


def test_empty_api_key_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text(" \n")
    with pytest.raises(ConfigError) as info:
        load_api_key(key_file_config(path), {})
    assert str(info.value).startswith("openrouter.api_key_file:")
    assert "empty" in str(info.value)


def test_missing_api_key_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "no-such-key"
    with pytest.raises(ConfigError) as info:
        load_api_key(key_file_config(path), {})
    assert str(info.value).startswith("openrouter.api_key_file:")
    assert str(path) in str(info.value)


def test_binary_api_key_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ConfigError) as info:
        load_api_key(key_file_config(path), {})
    assert str(info.value).startswith("openrouter.api_key_file:")


def test_no_key_anywhere_is_none() -> None:
    assert load_api_key(load_config(None), {}) is None
    assert load_api_key(load_config(None), {"OPENROUTER_API_KEY": ""}) is None


# --- check-config ------------------------------------------------------------------------


def check_config(
    *args: str,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    return subprocess.run(
        [sys.executable, "-m", "exporter", "check-config", *args],
        cwd=REPO,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_config_bad_file_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("apps:\n  windows: [1d, 7d, 45x]\n")
    result = check_config("--config.file", str(path))
    assert result.returncode == 2
    assert "apps.windows[2]" in result.stderr
    assert "45x" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_unknown_key_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("apps:\n  depht: 50\n")
    result = check_config("--config.file", str(path))
    assert result.returncode == 2
    assert "apps.depht" in result.stderr


@pytest.mark.parametrize("content", [b"\xff\xfe\x00", b"apps:\n\tdepth: 5\n"])
def test_check_config_unparsable_file_exits_2_without_traceback(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    result = check_config("--config.file", str(path))
    assert result.returncode == 2
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "text, where",
    [
        ("state_dir: 2024-13-45\n", "line 1, column 12"),  # YAML reads it as a date
        ("apps:\n  depth: " + "9" * 5000 + "\n", "line 2, column 10"),  # > int_max_str_digits
    ],
)
def test_check_config_a_value_yaml_cannot_build_exits_2_without_traceback(
    tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = check_config(f"--config.file={path}")
    assert result.returncode == 2
    assert f"{path}: not valid YAML ({where})" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_missing_file_exits_2(tmp_path: Path) -> None:
    result = check_config("--config.file", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "missing.yaml" in result.stderr


def test_check_config_good_file_prints_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(
        "apps:\n  windows: [7d]\n  sorts: [popular]\n  filters: [all, cli-agent]\n"
        "  depth: 150\n"
        "models:\n  views:\n    - name: coding-weekly\n      period: week\n"
        "      category: programming\n"
    )
    result = check_config("--config.file", str(path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "config ok" in out
    assert "7d/popular/all" in out
    assert "7d/popular/cli-agent" in out
    assert "coding-weekly" in out
    assert "400 requests/day" in out
    assert "NOT SET" in out  # no key in this environment


def test_check_config_never_prints_the_key_from_the_environment() -> None:
    secret = "sk-or-v1-SECRETSECRET"
    result = check_config(env={"OPENROUTER_API_KEY": secret})
    assert result.returncode == 0, result.stderr
    assert "OPENROUTER_API_KEY" in result.stdout
    assert "SECRETSECRET" not in result.stdout
    assert "SECRETSECRET" not in result.stderr


def test_check_config_never_prints_the_key_from_a_file(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("sk-or-v1-FILESECRET77\n")
    path = tmp_path / "c.yaml"
    path.write_text(f"openrouter:\n  api_key_file: {key}\n")
    result = check_config("--config.file", str(path))
    assert result.returncode == 0, result.stderr
    assert "api_key_file" in result.stdout
    assert "FILESECRET77" not in result.stdout + result.stderr


def test_check_config_literal_key_refused_and_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("openrouter:\n  api_key: sk-or-v1-LITERALINFILE\n")
    result = check_config("--config.file", str(path))
    assert result.returncode == 2
    assert "openrouter.api_key" in result.stderr
    assert "LITERALINFILE" not in result.stdout + result.stderr


def test_check_config_warns_on_an_empty_file_instead_of_saying_ok(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# TODO: fill in\n")
    result = check_config("--config.file", str(path))
    assert result.returncode == 0, result.stderr  # usable: the defaults
    assert "config ok" not in result.stdout
    assert f"config usable, 1 warning: {path}" in result.stdout
    assert f"warning: {path}: nothing configured" in result.stderr
    assert "30 app" in result.stdout  # and the plan is the defaults'


def test_check_config_warns_on_a_budget_over_the_api_limits(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("budget:\n  requests_per_day: 800\n  requests_per_minute: 30\n")
    result = check_config("--config.file", str(path))
    assert result.returncode == 0, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("warning:")]
    assert line.startswith("warning: budget.requests_per_day: 800 is above")
    assert "500" in line
    assert "config usable, 1 warning" in result.stdout
    assert "640 requests/day" in result.stdout  # still planned with what was configured


def test_check_config_lists_every_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("apps:\n  windos: [7d]\n  depth: 0\nbudget:\n  reserve: 2\n")
    result = check_config("--config.file", str(path))
    assert result.returncode == 2
    assert "apps.windos: unknown key; did you mean 'windows'?" in result.stderr
    assert "apps.depth: 0 is out of range 1–200" in result.stderr
    assert "budget.reserve: 2 must be a fraction" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_refuses_a_key_written_twice_naming_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "budget:\n  requests_per_day: 100\napps:\n  depth: 5\n  depth: 50\n"
        "budget:\n  reserve: 0.5\n"
    )
    result = check_config(f"--config.file={path}")
    assert result.returncode == 2, result.stdout
    assert result.stderr.splitlines() == [
        "openrouter-exporter: config error: budget: written twice, on lines 1 and 6; keep one",
        "apps.depth: written twice, on lines 4 and 5; keep one",
    ]


# --- every error at once, in file order -----------------------------------------------------


BROKEN = """\
web:
  telemetry_path: metrics
apps:
  windows: [1d, 7d, 45x]
  depht: 50
  sorts: [popular, newest]
budget:
  requests_per_minute: "30"
models:
  views:
    - name: daily
      period: year
    - name: Bad Name
watch:
  apps: [cline, 12, true]
"""


def test_every_error_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    keys = [line.split(": ", 1)[0] for line in str(info.value).splitlines()]
    assert keys == [
        "web.telemetry_path",
        "apps.windows[2]",
        "apps.depht",
        "apps.sorts[1]",
        "budget.requests_per_minute",
        "models.views[0].period",
        "models.views[1].name",
        "watch.apps[0]",
        "watch.apps[2]",
    ]
    lines = str(info.value).splitlines()
    assert lines[1] == "apps.windows[2]: '45x' is not a window like 7d"
    assert lines[2] == "apps.depht: unknown key; did you mean 'depth'?"


def test_errors_in_a_mapping_come_in_the_files_order_not_the_schemas() -> None:
    msg = error_of({"web": {"telemetry_path": "x"}, "openrouter": {"timeout": "fast"}})
    assert [line.split(":")[0] for line in msg.splitlines()] == [
        "web.telemetry_path",
        "openrouter.timeout",
    ]


def test_a_missing_required_key_comes_after_its_items_other_errors() -> None:
    msg = error_of(models({"period": "year"}))
    assert msg.splitlines() == [
        "models.views[0].period: 'year' is not one of day, week, month",
        "models.views[0].name: required",
    ]


@pytest.mark.parametrize(
    "data, line",
    [
        ({"apps": {"windos": ["7d"]}}, "apps.windos: unknown key; did you mean 'windows'?"),
        ({"aps": {}}, "aps: unknown key; did you mean 'apps'?"),
        ({"session_cost": {"enable": False}}, "session_cost.enable: unknown key; did you mean"),
        ({"budget": {"reserv": 0.1}}, "budget.reserv: unknown key; did you mean 'reserve'?"),
        ({"models": {"views": [{"name": "x", "perod": "week"}]}}, "did you mean 'period'?"),
        ({"apps": {"filters": ["codng"]}}, "did you mean 'coding'?"),
        ({"apps": {"sorts": ["trendng"]}}, "did you mean 'trending'?"),
        ({"models": {"views": [{"name": "x", "modality": "txt"}]}}, "did you mean 'text'?"),
    ],
)
def test_a_typo_gets_the_nearest_valid_name(data: dict[str, object], line: str) -> None:
    assert line in error_of(data)


def test_no_suggestion_when_nothing_is_close() -> None:
    msg = error_of({"apps": {"zzzzzz": 1}})
    assert msg == "apps.zzzzzz: unknown key"


# --- a key written twice ----------------------------------------------------------------------


def load_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    return str(info.value)


def test_a_top_level_key_written_twice_names_both_lines(tmp_path: Path) -> None:
    # YAML itself keeps the second and drops the first without a word.
    msg = load_error(tmp_path, "budget:\n  reserve: 0.1\nstate_dir: s\nbudget:\n  reserve: 0.3\n")
    assert msg == "budget: written twice, on lines 1 and 4; keep one"


def test_a_nested_key_written_twice_names_both_lines(tmp_path: Path) -> None:
    msg = load_error(tmp_path, "apps:\n  depth: 5\n  windows: [7d]\n  depth: 50\n")
    assert msg == "apps.depth: written twice, on lines 2 and 4; keep one"


def test_a_key_written_twice_in_a_list_item_and_three_times(tmp_path: Path) -> None:
    text = (
        "models:\n"
        "  views:\n"
        "    - name: a\n"
        "      period: week\n"
        "      name: b\n"
        "web:\n  listen_address: ':1'\n  listen_address: ':2'\n  listen_address: ':3'\n"
    )
    assert load_error(tmp_path, text).splitlines() == [
        "models.views[0].name: written twice, on lines 3 and 5; keep one",
        "web.listen_address: written 3 times, on lines 7, 8 and 9; keep one",
    ]


def test_a_key_written_twice_on_one_line_names_the_columns(tmp_path: Path) -> None:
    msg = load_error(tmp_path, "apps: {depth: 5, depth: 6}\n")
    assert msg == "apps.depth: written twice, at line 1 column 8 and line 1 column 18; keep one"


def test_a_key_written_twice_under_an_anchor_is_reported_once_where_written(
    tmp_path: Path,
) -> None:
    text = "models:\n  views:\n    - &v\n      name: a\n      name: b\n    - *v\n"
    assert load_error(tmp_path, text).splitlines()[0] == (
        "models.views[0].name: written twice, on lines 4 and 5; keep one"
    )


def test_a_key_written_twice_is_reported_with_every_other_error_in_file_order(
    tmp_path: Path,
) -> None:
    text = (
        "apps:\n  windows: [45x]\n  depth: 5\n  depth: 6\n"
        "budget:\n  reserve: 2\nbudget:\n  reserve: 3\n"
        "watch:\n  apps: [x]\n"
    )
    assert load_error(tmp_path, text).splitlines() == [
        "apps.windows[0]: '45x' is not a window like 7d",
        "apps.depth: written twice, on lines 3 and 4; keep one",
        "budget: written twice, on lines 5 and 7; keep one",
        "budget.reserve: 3 must be a fraction from 0 up to (not including) 1",
        "watch.apps[0]: expected an app id (a number), got 'x'",
    ]


def test_the_same_key_in_different_mappings_is_not_written_twice(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "models:\n  views:\n    - name: a\n      period: week\n    - name: b\n      period: week\n"
        "watch:\n  apps: [1]\n  models: [a/b]\n"
    )
    assert [v.name for v in model_views(load_config(str(path)))] == ["a", "b"]


def test_a_merge_key_overridden_is_not_written_twice(tmp_path: Path) -> None:
    """``<<: *anchor`` then one of its keys again is YAML's way to override, not a mistake."""
    path = tmp_path / "c.yaml"
    path.write_text(
        "models:\n  views:\n"
        "    - &weekly {name: a, period: week, category: programming}\n"
        "    - <<: *weekly\n      name: b\n"
    )
    views = model_views(load_config(str(path)))
    assert [(v.name, v.period) for v in views] == [("a", "week"), ("b", "week")]


# --- warnings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "budget, warned",
    [
        ({"requests_per_day": 500, "requests_per_minute": 30}, []),
        ({"requests_per_day": 501}, ["budget.requests_per_day: 501 is above"]),
        ({"requests_per_minute": 31}, ["budget.requests_per_minute: 31 is above"]),
        (
            {"requests_per_minute": 60, "requests_per_day": 1000},
            ["budget.requests_per_minute: 60 is above", "budget.requests_per_day: 1000 is above"],
        ),
    ],
)
def test_a_budget_over_the_documented_limits_is_a_warning(
    budget: dict[str, int], warned: list[str]
) -> None:
    cfg = parse_config({"budget": budget})
    assert len(cfg.warnings) == len(warned)
    for warning, start in zip(cfg.warnings, warned, strict=True):
        assert warning.startswith(start)
        assert "OpenRouter" in warning and "429" in warning
    assert cfg.budget.requests_per_day == budget.get("requests_per_day", 500)  # still used


@pytest.mark.e2e
def test_run_logs_the_config_warnings_at_start_and_on_reload(tmp_path: Path) -> None:
    sim = Simulator(seed=3, api_keys={FAKE_KEY})
    api = serve(sim, "127.0.0.1", 0)
    path = tmp_path / "c.yaml"
    base = {
        "openrouter": {"base_url": api.url},
        "state_dir": str(tmp_path / "state"),
        "apps": {"windows": ["7d"], "sorts": ["popular"], "filters": ["all"]},
        "models": {"views": [{"name": "daily"}]},
    }
    path.write_text(yaml.safe_dump({**base, "budget": {"requests_per_day": 900}}))
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}}
    proc = Proc(
        ["run", f"--config.file={path}", f"--web.listen-address=127.0.0.1:{port}"],
        {**env, "OPENROUTER_API_KEY": FAKE_KEY},
        tmp_path / "run.log",
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", lambda r: r.status_code == 200)
        assert "level=warning" in proc.output()
        assert "config: budget.requests_per_day: 900 is above" in proc.output()
        path.write_text(yaml.safe_dump({**base, "budget": {"requests_per_minute": 45}}))
        proc.p.send_signal(signal.SIGHUP)
        wait_until(lambda: "requests_per_minute: 45" in proc.output(), "the reload", 20, proc)
        assert "config: budget.requests_per_minute: 45 is above" in proc.output()
    finally:
        assert proc.stop() == 0
        api.shutdown()
    assert FAKE_KEY not in proc.output()


# --- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("30s", 30),
        ("5m", 300),
        ("1h", 3600),
        ("1d", 86400),
        ("1w", 604800),
        ("1h30m", 5400),
        ("1d12h", 129600),
        ("2m30s", 150),
        ("1m500ms", 60.5),
        ("500ms", 0.5),
        ("1.5s", 1.5),
        (" 45s ", 45),
        ("90", 90),
        (90, 90),
        (2.5, 2.5),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text, "x") == seconds


@pytest.mark.parametrize(
    "bad",
    ["", "fast", "1x", "5 m", "-5s", "30m1h", "1h1h", "1h 30m", "1hh", "s", "1.s", True, None],
)
def test_parse_duration_refuses_with_the_key_and_the_value(bad: object) -> None:
    with pytest.raises(ConfigError) as info:
        parse_duration(bad, "--step")
    msg = str(info.value)
    assert msg.startswith("--step: ")
    assert repr(bad) in msg
    assert "duration like 30s" in msg


@pytest.mark.parametrize(
    "value, at_least, at_most, problem",
    [
        ("0s", None, None, "must be more than 0"),
        ("0", None, 600, "must be more than 0 and at most 10m"),
        ("11m", None, 600, "must be more than 0 and at most 10m"),
        ("30s", 60, 86400, "must be from 1m to 1d"),
        ("2d", 60, 86400, "must be from 1m to 1d"),
        ("30s", 60, None, "must be from 1m"),
    ],
)
def test_parse_duration_bounds(
    value: str, at_least: float | None, at_most: float | None, problem: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_duration(value, "k", at_least=at_least, at_most=at_most)
    assert str(info.value) == f"k: {value!r} {problem}"


def test_parse_duration_bounds_are_inclusive() -> None:
    assert parse_duration("1m", "k", at_least=60, at_most=86400) == 60
    assert parse_duration("24h", "k", at_least=60, at_most=86400) == 86400


def test_timeout_takes_the_same_durations() -> None:
    assert parse_config({"openrouter": {"timeout": "1m30s"}}).openrouter.timeout == 90
    msg = error_of({"openrouter": {"timeout": "1h"}})
    assert msg == "openrouter.timeout: '1h' must be more than 0 and at most 10m"


# --- the docs follow the declarations --------------------------------------------------------


EXAMPLE = REPO / "config.example.yaml"
_KEY = re.compile(r"^([a-z_]+):(?:\s+(.*))?$")


def _example_keys() -> dict[str, tuple[bool, bool, str | None]]:
    """config.example.yaml's keys, active or commented out: path → (active, documented,
    value as written). Commented text counts as a key only where the schema has one."""
    known = {key for key, _s in schemadocs.leaves(ConfigFile)}
    lines = EXAMPLE.read_text().splitlines()
    found: dict[str, tuple[bool, bool, str | None]] = {}
    parents: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        body = line.lstrip()
        indent, commented = len(line) - len(body), body.startswith("#")
        if commented:
            body = body[1:].lstrip()
        body, inline, _ = (part.strip() for part in body.partition(" #"))
        m = _KEY.match(body)
        if not m:
            continue
        parents = [p for p in parents if p[0] < indent]
        path = ".".join([p[1] for p in parents] + [m.group(1)])
        if commented and path not in known:
            continue  # prose that looks like a key
        found.setdefault(
            path, (not commented, bool(inline) or _comment_above(lines, i), m.group(2))
        )
        if not commented:
            parents.append((indent, m.group(1)))
    return found


def _comment_above(lines: list[str], i: int) -> bool:
    """A comment right above the key, or above the group of sibling keys it is in."""
    indent = len(lines[i]) - len(lines[i].lstrip())
    for line in reversed(lines[:i]):
        depth = len(line) - len(line.lstrip())
        if not line.strip() or depth < indent:
            return False
        if depth == indent and line.lstrip().startswith("#"):
            return True
    return False


def test_example_config_documents_every_key_with_a_comment() -> None:
    found = _example_keys()
    for key, setting in schemadocs.leaves(ConfigFile):
        if "[]." in key:  # a list item's keys: named in the comment above the list
            section = EXAMPLE.read_text().split(f"\n{key.split('.')[0]}:")[1].split("\n\n")[0]
            assert re.search(rf"\b{key.rsplit('.', 1)[1]}\b", section), key
            continue
        assert key in found, f"config.example.yaml does not show {key}"
        active, documented, _ = found[key]
        assert documented, f"config.example.yaml: {key} has no comment"
        if not active:  # shown commented out, as an example: only for keys unset by default
            assert setting.default in (None, []), f"{key} has a default; show it"


def test_example_config_shows_the_defaults() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    cfg = parse_config(data)
    assert cfg == default_config() == parse_config(DEFAULTS)
    assert cfg.warnings == ()
    for key, (active, _documented, _value) in _example_keys().items():
        if active and key in dict(schemadocs.leaves(ConfigFile)):  # as spelled in the declarations
            section, _, name = key.rpartition(".")
            shown = data[section][name] if section else data[name]
            assert shown == (DEFAULTS[section][name] if section else DEFAULTS[name]), key


def test_example_config_commented_examples_are_valid() -> None:
    for key, (active, _documented, value) in _example_keys().items():
        if active or "." not in key:
            continue
        section, name = key.split(".")
        parse_config({section: {name: yaml.safe_load(value)}})  # raises if the example is wrong


def test_readme_configuration_table_is_the_declared_one() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Configuration\n")[1].split("\n## ")[0]
    table = schemadocs.markdown_table(ConfigFile)
    assert table in section, "README's Configuration table is out of date; it should be:\n" + table
