"""The API key never leaks, and the container keeps nothing it should not.

- A literal key in the config file is refused (exit 2) without being echoed.
- Every subcommand, on its success and failure paths, with the key in the environment and
  in ``api_key_file``: the key is in no stdout/stderr, landing page, /metrics or state file.
- An API (or a proxy in front of it) that echoes the key in its error messages does not
  make the exporter publish it.
- The container: non-root, read-only root filesystem with state on a volume, no secret in
  an image layer, and the exporter writes nothing outside its state (or the demo's /tmp).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import FAKE_KEY, Proc, drive, free_port, wait_for

from exporter.app import build
from exporter.configfile import parse_config
from exporter.server import start
from exporter.simulator import Simulator, serve

ROOT = Path(__file__).resolve().parent.parent
OTHER_KEY = "sk-or-v1-the-only-key-the-simulator-accepts"
PAGES = ("/", "/metrics", "/healthz", "/readyz", "/nope")
SMALL = {
    "apps": {"windows": ["7d"], "sorts": ["popular"], "filters": ["all"], "depth": 20},
    "models": {"views": [{"name": "daily"}]},
}


def _env(key: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    if key:
        env["OPENROUTER_API_KEY"] = key
    return {**env, **extra}


def _cli(*args: str, env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    r = subprocess.run(
        [sys.executable, "-m", "exporter", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return r.returncode, r.stdout + r.stderr


# --- a literal key is refused -------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {"openrouter": {"api_key": FAKE_KEY}},
        {"api_key": FAKE_KEY},
        {"openrouter": {"api_key_file": FAKE_KEY}},  # the key where its path belongs
    ],
)
@pytest.mark.parametrize("command", ["check-config", "run", "demo", "backfill"])
def test_a_literal_key_in_the_config_is_refused_and_not_echoed(tmp_path, config, command):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    extra = {
        "backfill": ["--from", "2026-01-01", "--dry-run"],
        "check-config": [],
    }.get(command, ["--web.listen-address=127.0.0.1:0"])
    code, out = _cli(command, f"--config.file={path}", *extra, env=_env())
    assert code == 2, out
    assert "openrouter.api_key" in out
    assert "OPENROUTER_API_KEY" in out or "path" in out  # it says what to do instead
    assert FAKE_KEY not in out and FAKE_KEY[10:30] not in out


# --- every subcommand with the key --------------------------------------------------------


@dataclass
class Seen:
    """Everything a user or a scraper could see."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    def add(self, what: str, text: str) -> None:
        self.texts.append((what, text))

    def assert_clean(self, key: str) -> None:
        leaks = [what for what, text in self.texts if key in text or key[10:] in text]
        assert not leaks, f"the key appears in: {leaks}"


@pytest.fixture
def sims() -> Iterator[dict[str, str]]:
    """One simulator that accepts the fake key, one that accepts only another key."""
    good = serve(Simulator(seed=7, api_keys={FAKE_KEY}), "127.0.0.1", 0)
    bad = serve(Simulator(seed=7, api_keys={OTHER_KEY}), "127.0.0.1", 0)
    try:
        yield {"good": good.url, "bad": bad.url, "dead": f"http://127.0.0.1:{free_port()}/api/v1"}
    finally:
        good.shutdown()
        bad.shutdown()


def _config(tmp: Path, name: str, base_url: str, key_in: str) -> tuple[Path, dict[str, str]]:
    """A config for ``base_url``; the key in the environment or in api_key_file."""
    cfg: dict[str, Any] = {
        **SMALL,
        "state_dir": str(tmp / f"state-{name}"),
        "openrouter": {"base_url": base_url, "timeout": "2s"},
    }
    env = _env(FAKE_KEY)
    if key_in == "file":
        key_file = tmp / "secrets" / "openrouter-key"
        key_file.parent.mkdir(exist_ok=True)
        key_file.write_text(FAKE_KEY + "\n")
        cfg["openrouter"]["api_key_file"] = str(key_file)
        env = _env(None)
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, env


def _serve_and_scrape(
    tmp: Path,
    seen: Seen,
    name: str,
    args: list[str],
    env: dict[str, str],
    ready: Callable[[httpx.Response], bool],
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = Proc([*args, f"--web.listen-address=127.0.0.1:{port}"], env, tmp / f"{name}.log")
    try:
        wait_for(f"{url}/metrics", ready)
        if args[0] == "run":
            proc.p.send_signal(signal.SIGHUP)  # a reload re-reads the key
            time.sleep(1)
        for page in PAGES:
            seen.add(f"{name} {page}", httpx.get(url + page, timeout=5).text)
    finally:
        code = proc.stop()
        out = proc.output()
    seen.add(f"{name} output", out)
    assert code == 0, out


@pytest.mark.e2e
@pytest.mark.parametrize("key_in", ["env", "file"])
def test_the_key_appears_in_no_output_of_any_subcommand(tmp_path, sims, key_in):
    seen = Seen()
    has = lambda text: lambda r: text in r.text  # noqa: E731

    # run: happy path (with debug logging), the key rejected (401), the API unreachable.
    for name, api, ready, extra in (
        ("run-ok", "good", has("openrouter_app_rank{"), ["--log.level=debug"]),
        ("run-401", "bad", has('code="401"'), []),
        ("run-dead", "dead", has('code="error"'), ["--log.format=json"]),
    ):
        cfg, env = _config(tmp_path, name, sims[api], key_in)
        _serve_and_scrape(tmp_path, seen, name, ["run", f"--config.file={cfg}", *extra], env, ready)
    # demo: needs no key, but must not print one it was given.
    cfg, env = _config(tmp_path, "demo", sims["good"], key_in)
    _serve_and_scrape(
        tmp_path, seen, "demo", ["demo", f"--config.file={cfg}"], env, has("openrouter_model_rank{")
    )

    # check-config, good and bad; run with a bad config.
    for name, api in (("check-ok", "good"), ("check-401", "bad")):
        cfg, env = _config(tmp_path, name, sims[api], key_in)
        code, out = _cli("check-config", f"--config.file={cfg}", env=env)
        assert code == 0 and "API key: set" in out, out
        seen.add(name, out)
    cfg, env = _config(tmp_path, "broken", sims["good"], key_in)
    cfg.write_text(cfg.read_text() + "budget:\n  reserve: 2\n")
    for command in ("check-config", "run"):
        code, out = _cli(command, f"--config.file={cfg}", "--log.level=debug", env=env)
        assert code == 2 and "budget.reserve" in out, out
        seen.add(f"{command} broken", out)

    # backfill: written file and output, against each API (any exit code: it may be unfinished).
    start_day = (datetime.now(UTC) - timedelta(days=4)).date().isoformat()
    for api in ("good", "bad", "dead"):
        cfg, env = _config(tmp_path, f"backfill-{api}", sims[api], key_in)
        out_file = tmp_path / f"backfill-{api}.om"
        for extra in (["--dry-run"], ["--output", str(out_file)]):
            try:
                _, out = _cli(
                    "backfill",
                    f"--config.file={cfg}",
                    "--from",
                    start_day,
                    "--log.level=debug",
                    *extra,
                    env=env,
                    timeout=90,
                )
            except subprocess.TimeoutExpired as e:
                out = f"{e.stdout or ''}{e.stderr or ''}"
            seen.add(f"backfill {api} {extra[0]}", out)
        if out_file.exists():
            seen.add(f"backfill {api} file", out_file.read_text(errors="replace"))

    # fake-api, even when a client sends it the key.
    port = free_port()
    proc = Proc(
        ["fake-api", f"--listen=127.0.0.1:{port}"], _env(FAKE_KEY), tmp_path / "fake-api.log"
    )
    try:
        wait_for(
            f"http://127.0.0.1:{port}/api/v1/datasets/rankings-daily",
            lambda r: r.status_code == 401,
        )  # up (it wants a key)
        for key in (FAKE_KEY, "bad key " + FAKE_KEY):
            r = httpx.get(
                f"http://127.0.0.1:{port}/api/v1/datasets/rankings-daily",
                headers={"Authorization": f"Bearer {key}"},
                timeout=5,
            )
            seen.add(f"fake-api answer {r.status_code}", r.text)
    finally:
        proc.stop()
        out = proc.output()
    seen.add("fake-api output", out)

    # Every file the commands wrote (state, logs, output), except the key file itself.
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.parent.name != "secrets":
            seen.add(str(path.relative_to(tmp_path)), path.read_text(errors="replace"))
    assert len(seen.texts) > 30
    seen.assert_clean(FAKE_KEY)


@pytest.mark.parametrize("fmt", ["logfmt", "json"])
def test_the_log_filter_is_the_last_line_of_defence(fmt):
    """Whatever reaches a log line, message or exception, has the key cut out."""
    code = textwrap.dedent(f"""
        import logging, sys
        from exporter.logs import setup_logging
        key = sys.argv[1]
        setup_logging("debug", "{fmt}", key)
        log = logging.getLogger("exporter.anything")
        log.error("request failed: Authorization: Bearer %s", key)
        log.warning("header " + key)
        try:
            raise ValueError("the upstream said: bad key " + key)
        except ValueError:
            log.exception("refresh failed")
        logging.getLogger("httpcore").debug("headers %r", [(b"Authorization", key)])
    """)
    r = subprocess.run(
        [sys.executable, "-c", code, FAKE_KEY], capture_output=True, text=True, timeout=30
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("[REDACTED]") >= 3 and "refresh failed" in r.stderr
    assert FAKE_KEY not in r.stdout + r.stderr


# --- an API that echoes the key ---------------------------------------------------------


def _echo_api(status: int) -> httpx.MockTransport:
    """An API, or a proxy in front of it, that repeats the credentials in its errors."""

    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        return httpx.Response(
            status,
            json={
                "error": {
                    "code": status,
                    "message": f"rejected {auth} (key {auth.removeprefix('Bearer ')})",
                }
            },
            headers={"retry-after": "1"},
        )

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 503])
def test_an_api_that_echoes_the_key_does_not_make_us_publish_it(tmp_path, clock, status, caplog):
    cfg = parse_config({**SMALL, "openrouter": {"base_url": "https://openrouter.test/api/v1"}})
    exporter = build(
        cfg,
        FAKE_KEY,
        transport=_echo_api(status),
        clock=clock.timestamp,
        state_dir=tmp_path / "state",
    )
    caplog.set_level("DEBUG")
    drive(exporter.scheduler.step, clock, clock.timestamp() + 600)
    errors = [s.error or "" for s in exporter.scheduler.statuses()]
    assert any(errors), "the API's errors reached the view status"
    server = start("127.0.0.1:0", exporter.endpoints())
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        pages = {p: httpx.get(url + p, timeout=5).text for p in PAGES}
    finally:
        server.shutdown()
        server.server_close()
        exporter.client.close()
    seen = Seen()
    for page, text in pages.items():
        seen.add(page, text)
    seen.add("statuses", "\n".join(errors))
    seen.add("logs", caplog.text)
    for path in (tmp_path / "state").rglob("*"):
        if path.is_file():
            seen.add(path.name, path.read_text(errors="replace"))
    seen.assert_clean(FAKE_KEY)


# --- the container ------------------------------------------------------------------------


def _dockerfile_env() -> dict[str, str]:
    """The ENV of the Dockerfile's last stage, as the container's processes get it."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stage = text.split("\nFROM ")[-1]
    env: dict[str, str] = {}
    for line in stage.splitlines():
        if line.strip().startswith("ENV "):
            for k, v in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", line):
                env[k] = v.strip('"')
    return env


def test_dockerfile_keeps_no_secret_and_no_bytecode():
    text = (ROOT / "Dockerfile").read_text()
    env = _dockerfile_env()
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert not any(re.search(r"KEY|TOKEN|SECRET|PASSWORD", k) for k in env)
    assert not re.search(r"^\s*ARG\s+\S*(KEY|TOKEN|SECRET|PASSWORD)", text, re.M | re.I)
    copies = re.findall(r"^\s*(?:COPY|ADD)\s+(.*)$", text, re.M)
    for c in copies:  # named files only: never the whole context (state/, keys, .env)
        sources = [w for w in c.split() if not w.startswith("--")][:-1]
        assert "." not in sources and "./" not in sources, c
        assert not any(re.search(r"key|secret|\.env|state", s, re.I) for s in sources), c
    users = re.findall(r"^\s*USER\s+(\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")


def test_compose_runs_the_exporter_read_only_with_state_on_a_volume():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    svc = compose["services"]["exporter"]
    assert svc.get("read_only") is True
    tmpfs = svc.get("tmpfs") or []
    assert any(str(t).split(":")[0] == "/tmp" for t in tmpfs), "the demo's state needs /tmp"
    mounts = [str(v).split(":") for v in svc.get("volumes", [])]
    state = [m for m in mounts if m[1] == svc["working_dir"]]
    assert state and (len(state[0]) < 3 or "ro" not in state[0][2])
    assert state[0][0] in compose.get("volumes", {})
    assert "security_opt" in svc and "no-new-privileges:true" in svc["security_opt"]
    assert svc.get("cap_drop") == ["ALL"]
    assert not any(
        "KEY=" in str(e) and "${" not in str(e) for e in (svc.get("environment") or {}).items()
    )


AUDIT = textwrap.dedent("""
    import os, sys
    log = open(sys.argv[1], "a", buffering=1)  # opened before the hook, so not recorded
    WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    # event -> [(index of a path argument, index of its dir_fd argument or None)]
    PATHS = {"os.mkdir": [(0, 2)], "os.remove": [(0, 1)], "os.rmdir": [(0, 1)],
             "os.rename": [(0, 2), (1, 3)], "os.link": [(0, 2), (1, 3)],
             "os.symlink": [(1, 2)], "os.chmod": [(0, 2)], "os.chown": [(0, 3)],
             "os.utime": [(0, 3)], "os.truncate": [(0, None)], "shutil.rmtree": [(0, None)],
             "shutil.copyfile": [(1, None)], "shutil.move": [(1, None)]}

    def where(path, dir_fd):
        try:
            if isinstance(path, int):
                return os.readlink(f"/proc/self/fd/{path}")
            at = isinstance(dir_fd, int) and dir_fd >= 0
            base = os.readlink(f"/proc/self/fd/{dir_fd}") if at else os.getcwd()
            return os.path.join(base, os.fsdecode(path))
        except OSError as e:
            return f"?{path!r} ({e})"

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if (mode and any(c in mode for c in "wax+")) or (mode is None and flags & WRITE):
                log.write(f"open {where(path, None)}\\n")
        elif event in PATHS:
            for i, d in PATHS[event]:
                dir_fd = args[d] if d is not None and d < len(args) else None
                if i < len(args) and args[i] is not None:
                    log.write(f"{event} {where(args[i], dir_fd)}\\n")

    sys.addaudithook(hook)
    sys.argv = ["openrouter-exporter", *sys.argv[2:]]
    from exporter.cli import main
    sys.exit(main())
""")


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["run", "demo"])
def test_the_exporter_writes_only_to_its_state(tmp_path, sims, command):
    """With the container's environment, everything written is under state_dir (run) or the
    demo's temporary directory (a tmpfs in compose): a read-only root filesystem suffices.
    Python's bytecode cache is pointed at an empty directory, so without the Dockerfile's
    PYTHONDONTWRITEBYTECODE every import would show up as a write."""
    runner = tmp_path / "audit_runner.py"
    runner.write_text(AUDIT)
    log = tmp_path / "writes.log"
    state, tmp = tmp_path / "state", tmp_path / "tmp"
    tmp.mkdir()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                **SMALL,
                "state_dir": str(state),
                "openrouter": {"base_url": sims["good"], "timeout": "2s"},
            }
        )
    )
    env = {
        k: v
        for k, v in _env(
            FAKE_KEY,
            TMPDIR=str(tmp),
            HOME=str(tmp_path / "home"),
            PYTHONPYCACHEPREFIX=str(tmp_path / "pycache"),
            PYTHONPATH=str(ROOT),
        ).items()
        if k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(_dockerfile_env())
    port = free_port()
    args = [command, f"--web.listen-address=127.0.0.1:{port}"]
    if command == "run":
        args.append(f"--config.file={cfg}")
    proc = Proc(
        [str(runner), str(log), *args],
        env,
        tmp_path / "audited.log",
        command=[sys.executable],
        cwd=ROOT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/metrics", lambda r: "openrouter_model_rank{" in r.text)
        for page in PAGES:
            httpx.get(f"http://127.0.0.1:{port}{page}", timeout=5)
    finally:
        code = proc.stop()
    assert code == 0, proc.output()
    writes = log.read_text().splitlines()
    allowed = str(state) if command == "run" else str(tmp)
    assert writes, "the audit hook saw nothing: the test is broken"
    outside = [w for w in writes if not (w.split(" ", 1)[1] + "/").startswith(allowed + "/")]
    assert not outside, outside[:10]
