"""--web.config.file: TLS and basic auth (exporter-toolkit format) with real TLS clients.

Certificates are made per test session with the ``openssl`` command line tool: a CA, a
server certificate for 127.0.0.1, a client certificate from the same CA and one from a CA
the server does not trust.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest
import yaml
from conftest import FAKE_KEY, Proc, free_port, wait_for, wait_until

from exporter import server as srv
from exporter.app import build
from exporter.configfile import parse_config
from exporter.server import Server, start
from exporter.simulator import Simulator, serve
from exporter.webconfig import (
    BasicAuth,
    WebConfigError,
    WebSecurity,
    load_web_config,
    parse_web_config,
)

PASSWORD = "correct horse battery staple"
# Cost 4 keeps the suite fast; the cache test counts bcrypt runs, not milliseconds.
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()


# --- certificates -----------------------------------------------------------------------


@dataclass(frozen=True)
class PKI:
    dir: Path
    ca: Path
    server_crt: Path
    server_key: Path
    client_crt: Path
    client_key: Path
    rogue_crt: Path  # a client certificate from a CA the server does not trust
    rogue_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"openssl {' '.join(args)}\n{r.stderr}"


def _ca(d: Path, name: str) -> None:
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.crt",
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )


def _leaf(d: Path, name: str, ca: str, usage: str, san: str) -> None:
    _openssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.csr",
        "-subj",
        f"/CN={name}",
        cwd=d,
    )
    (d / f"{name}.ext").write_text(
        f"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        f"extendedKeyUsage={usage}\nsubjectAltName={san}\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        f"{ca}.crt",
        "-CAkey",
        f"{ca}.key",
        "-CAcreateserial",
        "-out",
        f"{name}.crt",
        "-days",
        "2",
        "-extfile",
        f"{name}.ext",
        cwd=d,
    )


def make_pki(d: Path) -> PKI:
    d.mkdir(parents=True, exist_ok=True)
    _ca(d, "ca")
    _ca(d, "rogue-ca")
    _leaf(d, "server", "ca", "serverAuth", "IP:127.0.0.1,DNS:localhost")
    _leaf(d, "client", "ca", "clientAuth", "DNS:prometheus")
    _leaf(d, "rogue", "rogue-ca", "clientAuth", "DNS:prometheus")
    return PKI(
        d,
        d / "ca.crt",
        d / "server.crt",
        d / "server.key",
        d / "client.crt",
        d / "client.key",
        d / "rogue.crt",
        d / "rogue.key",
    )


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return make_pki(tmp_path_factory.mktemp("pki"))


def client_context(
    pki: PKI,
    cert: str | None = None,
    *,
    max_version: ssl.TLSVersion | None = None,
    min_version: ssl.TLSVersion | None = None,
) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    if cert == "client":
        ctx.load_cert_chain(pki.client_crt, pki.client_key)
    elif cert == "rogue":
        ctx.load_cert_chain(pki.rogue_crt, pki.rogue_key)
    if max_version:
        ctx.maximum_version = max_version
    if min_version:
        ctx.minimum_version = min_version
    return ctx


# --- a server with a given web config ---------------------------------------------------


@pytest.fixture
def serve_with(tmp_path: Path) -> Iterator[Any]:
    servers: list[Server] = []

    def _serve(web: dict[str, Any] | None) -> tuple[Server, str]:
        exporter = build(parse_config({}), None, state_dir=tmp_path / "state")
        settings = parse_web_config(web) if web is not None else WebSecurity()
        server = start("127.0.0.1:0", exporter.endpoints(), settings)
        servers.append(server)
        return server, f"{settings.scheme}://127.0.0.1:{server.server_address[1]}"

    yield _serve
    for s in servers:
        s.shutdown()
        s.server_close()


def tls_config(pki: PKI, **extra: Any) -> dict[str, Any]:
    return {
        "tls_server_config": {
            "cert_file": str(pki.server_crt),
            "key_file": str(pki.server_key),
            **extra,
        }
    }


def get(url: str, ctx: ssl.SSLContext | bool = True, **kw: Any) -> httpx.Response:
    with httpx.Client(verify=ctx, timeout=10) as c:
        return c.get(url, **kw)


# --- parsing and validation -------------------------------------------------------------


def test_full_config_parses(pki):
    web = parse_web_config(
        {
            **tls_config(
                pki,
                client_ca_file=str(pki.ca),
                client_auth_type="RequireAndVerifyClientCert",
                min_version="TLS13",
            ),
            "basic_auth_users": {"prometheus": HASH},
            "http_server_config": {"http2": True},
        }
    )
    assert web.tls is not None and web.tls.min_version == "TLS13"
    assert web.ssl_context is not None
    assert web.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert web.ssl_context.minimum_version == ssl.TLSVersion.TLSv1_3
    assert web.users == {b"prometheus": HASH.encode()}
    assert web.scheme == "https"
    assert parse_web_config(None) == WebSecurity(tls=None, users={})
    assert parse_web_config({"tls_server_config": {}}).scheme == "http"


def test_paths_are_relative_to_the_web_config_file(pki):
    path = pki.dir / "web.yml"
    path.write_text("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n")
    assert load_web_config(str(path)).ssl_context is not None


@pytest.mark.parametrize(
    ("tls", "users", "other", "expected"),
    [
        ({"min_version": "TLS14"}, None, None, "tls_server_config.min_version: 'TLS14'"),
        (
            {"max_version": "TLS12", "min_version": "TLS13"},
            None,
            None,
            "tls_server_config.max_version",
        ),
        ({"client_auth_type": "Sometimes"}, None, None, "tls_server_config.client_auth_type"),
        (
            {"client_auth_type": "RequireAnyClientCert", "client_ca_file": "CA"},
            None,
            None,
            "tls_server_config.client_auth_type: 'RequireAnyClientCert' is not supported",
        ),
        (
            {"client_auth_type": "RequireAndVerifyClientCert"},
            None,
            None,
            "tls_server_config.client_ca_file: required",
        ),
        ({"client_ca_file": "CA"}, None, None, "tls_server_config.client_auth_type"),
        (
            {"cert_file": "/nonexistent/server.crt"},
            None,
            None,
            "tls_server_config.cert_file: cannot read",
        ),
        ({"key_file": None}, None, None, "tls_server_config.key_file: required"),
        ({"cert_file": None}, None, None, "tls_server_config.cert_file: required"),
        ({"key_file": "CA"}, None, None, "tls_server_config.cert_file/key_file"),
        (
            {"cipher_suites": ["TLS_AES_128_GCM_SHA256"]},
            None,
            None,
            "tls_server_config.cipher_suites: not supported",
        ),
        ({"cert_flie": "x"}, None, None, "tls_server_config.cert_flie: unknown key"),
        (None, {"alice": "hunter2-plaintext"}, None, "basic_auth_users.alice: not a bcrypt hash"),
        (None, {"alice": 12}, None, "basic_auth_users.alice: not a bcrypt hash"),
        (None, {"al:ice": HASH}, None, "basic_auth_users.al:ice: a user name cannot contain"),
        (None, ["alice"], None, "basic_auth_users: expected a mapping"),
        (None, None, {"basic_auth_user": {}}, "basic_auth_user: unknown key"),
        (
            None,
            None,
            {"http_server_config": {"headers": {"X-A": "b"}}},
            "http_server_config.headers.X-A: this HTTP header cannot be configured",
        ),
        (
            None,
            None,
            {"http_server_config": {"headers": {"Content-Type": "foo"}}},
            "http_server_config.headers.Content-Type: this HTTP header cannot be configured",
        ),
        (
            None,
            None,
            {"http_server_config": {"headers": {"x-frame-options": "deny"}}},
            "did you mean 'X-Frame-Options'?",
        ),
        (
            None,
            None,
            {"http_server_config": {"headers": {"X-Frame-Options": "foo"}}},
            "http_server_config.headers.X-Frame-Options: 'foo' is not one of deny, sameorigin",
        ),
        (
            None,
            None,
            {"http_server_config": {"headers": {"X-Content-Type-Options": "sniff"}}},
            "http_server_config.headers.X-Content-Type-Options: 'sniff' is not one of nosniff",
        ),
        (
            None,
            None,
            {"http_server_config": {"headers": {"Content-Security-Policy": "a\r\nSet-Cookie: x"}}},
            "http_server_config.headers.Content-Security-Policy: a header value must be one line",
        ),
        (
            None,
            None,
            {"http_server_config": {"headers": {"Content-Security-Policy": "price: 5 €"}}},
            "http_server_config.headers.Content-Security-Policy: a header value must be one line",
        ),
        (
            None,
            None,
            {"http_server_config": {"headers": {"X-XSS-Protection": ["1"]}}},
            "http_server_config.headers.X-XSS-Protection: expected text, got a list",
        ),
        (
            None,
            None,
            {"http_server_config": {"headers": ["X-Frame-Options: deny"]}},
            "http_server_config.headers: expected a mapping of header names to values",
        ),
    ],
)
def test_errors_name_the_key(pki, tls, users, other, expected):
    data: dict[str, Any] = dict(other or {})
    if tls is not None:
        base = tls_config(pki)["tls_server_config"]
        merged = {**base, **tls}
        for k, v in tls.items():
            if v == "CA":
                merged[k] = str(pki.ca)  # a real file that is not what the key wants
            if v is None:
                del merged[k]
        data["tls_server_config"] = merged
    if users is not None:
        data["basic_auth_users"] = users
    with pytest.raises(WebConfigError) as e:
        parse_web_config(data)
    assert expected in str(e.value)
    assert "hunter2" not in str(e.value)  # a pasted password is never echoed


def test_headers_parse_as_in_exporter_toolkit():
    # exporter-toolkit's web/testdata/web_config_headers.good.yml, plus a blank value.
    web = parse_web_config(
        yaml.safe_load(
            """
http_server_config:
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000; includeSubDomains
    X-Content-Type-Options: nosniff
    X-XSS-Protection: 1
    Content-Security-Policy: "default-src 'self' *.test.example.net"
"""
        )
    )
    assert web.headers == (
        ("X-Frame-Options", "deny"),
        ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-XSS-Protection", "1"),  # a YAML number, text as Go's YAML reads it
        ("Content-Security-Policy", "default-src 'self' *.test.example.net"),
    )
    assert "headers X-Frame-Options" in web.describe()
    blank = {"http_server_config": {"headers": {"X-Frame-Options": "", "X-XSS-Protection": None}}}
    assert parse_web_config(blank).headers == ()  # "Unset if blank"
    assert parse_web_config({"http_server_config": {"headers": None}}).headers == ()


def test_every_error_is_reported_at_once_in_file_order(pki):
    data = {
        "basic_auth_users": {"alice": "hunter2-plaintext", "bob": HASH, "al:ice": HASH},
        "tls_server_config": {
            "cert_file": str(pki.server_crt),
            "key_file": str(pki.server_key),
            "min_version": "TLS14",
            "cert_flie": "x",
            "cipher_suites": ["TLS_AES_128_GCM_SHA256"],
        },
        "basic_auth_user": {},
    }
    with pytest.raises(WebConfigError) as e:
        parse_web_config(data)
    lines = str(e.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "basic_auth_users.alice",
        "basic_auth_users.al:ice",
        "tls_server_config.min_version",
        "tls_server_config.cert_flie",
        "tls_server_config.cipher_suites",
        "basic_auth_user",
    ]
    assert lines[3] == "tls_server_config.cert_flie: unknown key; did you mean 'cert_file'?"
    assert lines[5] == "basic_auth_user: unknown key; did you mean 'basic_auth_users'?"
    assert "hunter2" not in str(e.value)


def test_cross_key_errors_are_all_reported(pki):
    with pytest.raises(WebConfigError) as e:
        parse_web_config(
            {
                "tls_server_config": {
                    "key_file": str(pki.server_key),
                    "min_version": "TLS13",
                    "max_version": "TLS12",
                    "client_auth_type": "RequireAndVerifyClientCert",
                }
            }
        )
    assert str(e.value).splitlines() == [
        "tls_server_config.max_version: TLS12 is older than min_version TLS13",
        # Keys the file lacks come after the ones it has.
        "tls_server_config.cert_file: required when key_file is set",
        "tls_server_config.client_ca_file: required with client_auth_type "
        "RequireAndVerifyClientCert",
    ]


def test_every_unreadable_file_is_named(tmp_path):
    with pytest.raises(WebConfigError) as e:
        parse_web_config(
            {
                "tls_server_config": {
                    "cert_file": str(tmp_path / "no.crt"),
                    "key_file": str(tmp_path / "no.key"),
                }
            }
        )
    assert [line.split(": ", 1)[0] for line in str(e.value).splitlines()] == [
        "tls_server_config.cert_file",
        "tls_server_config.key_file",
    ]
    assert "cannot read" in str(e.value) and "no.key" in str(e.value)


def test_load_web_config_names_the_file_on_every_line(tmp_path):
    path = tmp_path / "web.yml"
    path.write_text("tls_server_config:\n  min_version: TLS9\nbasic_auth_users: [alice]\n")
    with pytest.raises(WebConfigError) as e:
        load_web_config(str(path))
    lines = str(e.value).splitlines()
    assert lines == [
        f"{path}: tls_server_config.min_version: 'TLS9' is not one of TLS10, TLS11, TLS12, TLS13",
        f"{path}: basic_auth_users: expected a mapping",
    ]


def test_a_key_written_twice_in_the_web_config_names_both_lines(tmp_path):
    """YAML keeps the last and drops the first: here, alice's first hash would be ignored
    without a word. The same loader as the main config's refuses it."""
    other = bcrypt.hashpw(b"other", bcrypt.gensalt(4)).decode()
    path = tmp_path / "web.yml"
    path.write_text(
        f"basic_auth_users:\n  alice: {HASH}\n  alice: {other}\n"
        "http_server_config:\n  http2: true\n  http2: false\n"
    )
    with pytest.raises(WebConfigError) as e:
        load_web_config(str(path))
    assert str(e.value).splitlines() == [
        f"{path}: basic_auth_users.alice: written twice, on lines 2 and 3; keep one",
        f"{path}: http_server_config.http2: written twice, on lines 5 and 6; keep one",
    ]
    assert HASH not in str(e.value) and other not in str(e.value)


def test_a_second_basic_auth_users_cannot_silently_turn_auth_off(tmp_path):
    path = tmp_path / "web.yml"
    path.write_text(f"basic_auth_users:\n  alice: {HASH}\nbasic_auth_users: {{}}\n")
    with pytest.raises(WebConfigError) as e:
        load_web_config(str(path))
    assert str(e.value) == f"{path}: basic_auth_users: written twice, on lines 1 and 3; keep one"


def test_check_config_refuses_a_web_config_key_written_twice(tmp_path):
    path = tmp_path / "web.yml"
    path.write_text(f"basic_auth_users:\n  alice: {HASH}\nbasic_auth_users: {{}}\n")
    r = subprocess.run(
        [sys.executable, "-m", "exporter", "check-config", f"--web.config.file={path}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2, r.stdout
    assert f"{path}: basic_auth_users: written twice, on lines 1 and 3; keep one" in r.stderr
    assert "Traceback" not in r.stderr and HASH not in r.stderr


def test_blank_values_mean_not_set_as_in_exporter_toolkit(pki):
    web = parse_web_config(
        {
            "tls_server_config": {
                **tls_config(pki)["tls_server_config"],
                "client_ca_file": "",
                "client_auth_type": "",
                "max_version": "",
            }
        }
    )
    assert web.tls is not None
    assert (web.tls.client_ca_file, web.tls.client_auth_type, web.tls.max_version) == (
        None,
        "NoClientCert",
        None,
    )


def test_cli_refuses_a_bad_web_config_with_exit_2(tmp_path, pki):
    bad = tmp_path / "web.yml"
    bad.write_text(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS9\n"
    )
    for command in ("run", "demo"):
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "exporter",
                command,
                f"--web.config.file={bad}",
                "--web.listen-address=127.0.0.1:0",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "OPENROUTER_API_KEY": FAKE_KEY},
        )
        assert r.returncode == 2, (command, r.stderr)
        assert "tls_server_config.min_version: 'TLS9'" in r.stderr and str(bad) in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "exporter", "run", f"--web.config.file={tmp_path / 'missing.yml'}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "cannot read web config file" in r.stderr


# --- basic auth ---------------------------------------------------------------------------


@pytest.mark.parametrize("tls", [True, False], ids=["https", "http"])
def test_basic_auth_right_wrong_and_no_password(serve_with, pki, tls):
    web = {**(tls_config(pki) if tls else {}), "basic_auth_users": {"prometheus": HASH}}
    _server, url = serve_with(web)
    ctx = client_context(pki)
    for path in ("/metrics", "/", "/healthz", "/readyz"):  # everything needs the password
        r = get(url + path, ctx, auth=("prometheus", PASSWORD))
        assert r.status_code in (200, 503), (path, r.status_code)
        for auth in (
            None,
            ("prometheus", "wrong"),
            ("nobody", PASSWORD),
            ("prometheus", ""),
            ("prometheus", PASSWORD + "x"),
            ("prometheus", "x" * 100),
        ):
            r = get(url + path, ctx, auth=auth)
            assert r.status_code == 401, (path, auth)
            assert r.headers["www-authenticate"].startswith("Basic")
            assert "openrouter_" not in r.text
    r = get(url + "/metrics", ctx, auth=("prometheus", PASSWORD))
    assert "openrouter_exporter_build_info" in r.text
    with httpx.Client(verify=ctx) as c:
        assert c.head(url + "/metrics").status_code == 401
        for header in (
            "Bearer abc",
            "Basic !!notbase64!!",
            "Basic " + "YWxpY2U=",  # no colon
            "Digest x",
        ):
            assert c.get(url + "/metrics", headers={"Authorization": header}).status_code == 401


HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Frame-Options": "sameorigin",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "0",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def _raw(url: str, ctx: ssl.SSLContext, request: bytes) -> bytes:
    """A request no HTTP client would send; the whole answer, up to the server's close."""
    host, port = url.rsplit("/", 1)[-1].split(":")
    sock: socket.socket = socket.create_connection((host, int(port)), timeout=10)
    if url.startswith("https"):
        sock = ctx.wrap_socket(sock, server_hostname=host)
    with sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("tls", [True, False], ids=["https", "http"])
def test_configured_headers_are_on_every_response(serve_with, pki, tls):
    web = {
        **(tls_config(pki) if tls else {}),
        "basic_auth_users": {"prometheus": HASH},
        "http_server_config": {"headers": HEADERS},
    }
    _server, url = serve_with(web)
    ctx = client_context(pki)
    auth = ("prometheus", PASSWORD)
    with httpx.Client(verify=ctx, timeout=10) as c:
        answers = [c.get(url + p, auth=auth) for p in ("/metrics", "/", "/healthz", "/readyz")]
        answers += [
            c.get(url + "/nowhere", auth=auth),  # 404
            c.get(url + "/metrics"),  # 401
            c.head(url + "/metrics", auth=auth),
            c.post(url + "/metrics", auth=auth),  # 405
            c.get(url + "/metrics", auth=auth, headers={"Accept": "application/openmetrics-text"}),
        ]
    assert [r.status_code for r in answers] == [200, 200, 200, 200, 404, 401, 200, 405, 200]
    for r in answers:
        for name, value in HEADERS.items():
            # Once each: a configured header replaces ours of the same name.
            assert r.headers.get_list(name) == [value], (r.request.method, r.url, name)
    # The error answers of the request head's checks (exporter.httpd) carry them too.
    for request, status in (
        (b"GET /metrics HTTP/2.0\r\n\r\n", b"505"),
        (b"GET /a b HTTP/1.1\r\n\r\n", b"400"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", b"414"),
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", b"400"),
    ):
        answer = _raw(url, ctx, request)
        head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        assert head[0].split(" ")[1] == status.decode(), head
        for name, value in HEADERS.items():
            assert head.count(f"{name}: {value}") == 1, (request[:20], name, head)


def test_configured_headers_are_on_a_500_too(serve_with, monkeypatch):
    def broken(*_args: Any) -> Any:
        raise RuntimeError("a bug in a route")

    monkeypatch.setattr(srv, "route", broken)
    _server, url = serve_with({"http_server_config": {"headers": HEADERS}})
    r = get(url + "/metrics")
    assert r.status_code == 500
    assert {name: r.headers.get_list(name) for name in HEADERS} == {
        name: [value] for name, value in HEADERS.items()
    }


def test_no_headers_configured_adds_none(serve_with):
    _server, url = serve_with({})
    r = get(url + "/metrics")
    assert r.headers.get_list("X-Content-Type-Options") == ["nosniff"]  # ours, as before
    for name in ("Strict-Transport-Security", "X-Frame-Options", "Content-Security-Policy"):
        assert name not in r.headers


def test_successful_checks_are_cached_wrong_ones_are_not(serve_with):
    server, url = serve_with({"basic_auth_users": {"prometheus": HASH, "other": HASH}})
    auth: BasicAuth = server.auth
    with httpx.Client() as c:
        for _ in range(10):  # Prometheus scraping: bcrypt runs once, not per scrape
            assert c.get(url + "/metrics", auth=("prometheus", PASSWORD)).status_code == 200
        assert auth.bcrypt_checks == 1
        # The cache never lets a different password through, and failures are re-checked.
        assert c.get(url + "/metrics", auth=("prometheus", "wrong")).status_code == 401
        assert c.get(url + "/metrics", auth=("prometheus", "wrong")).status_code == 401
        assert auth.bcrypt_checks == 3
        # Another user with the same password pays its own check: the cache is per user.
        assert c.get(url + "/metrics", auth=("other", PASSWORD)).status_code == 200
        assert auth.bcrypt_checks == 4
        assert c.get(url + "/metrics", auth=("prometheus", PASSWORD)).status_code == 200
        assert auth.bcrypt_checks == 4


def test_cache_holds_no_password_material():
    auth = BasicAuth({b"u": HASH.encode()})
    header = "Basic " + __import__("base64").b64encode(f"u:{PASSWORD}".encode()).decode()
    assert auth.check(header) and auth.check(header)
    stored = next(iter(auth._good.values()))
    assert PASSWORD.encode() not in stored
    import hashlib

    assert stored != hashlib.sha256(PASSWORD.encode()).digest()  # keyed, not a plain hash
    assert BasicAuth({b"u": HASH.encode()})._secret != auth._secret


# --- TLS ------------------------------------------------------------------------------------


def test_tls_serves_metrics_and_refuses_plain_http(serve_with, pki):
    _server, url = serve_with(tls_config(pki))
    r = get(url + "/metrics", client_context(pki))
    assert r.status_code == 200 and "openrouter_exporter_build_info" in r.text
    plain = url.replace("https://", "http://")
    with pytest.raises(httpx.HTTPError):
        get(plain + "/metrics")


def test_client_certificate_required(serve_with, pki):
    _server, url = serve_with(
        tls_config(pki, client_ca_file=str(pki.ca), client_auth_type="RequireAndVerifyClientCert")
    )
    r = get(url + "/metrics", client_context(pki, "client"))
    assert r.status_code == 200 and "openrouter_exporter_build_info" in r.text
    for cert in (None, "rogue"):  # missing, or from a CA the server does not trust
        with pytest.raises(httpx.TransportError):
            get(url + "/metrics", client_context(pki, cert))
    # The refusals cost the server nothing lasting: it still answers.
    assert get(url + "/healthz", client_context(pki, "client")).status_code == 200


def test_client_certificate_verified_if_given(serve_with, pki):
    _server, url = serve_with(
        tls_config(pki, client_ca_file=str(pki.ca), client_auth_type="VerifyClientCertIfGiven")
    )
    assert get(url + "/metrics", client_context(pki)).status_code == 200
    assert get(url + "/metrics", client_context(pki, "client")).status_code == 200
    with pytest.raises(httpx.TransportError):
        get(url + "/metrics", client_context(pki, "rogue"))


def test_client_certificate_and_basic_auth_together(serve_with, pki):
    _server, url = serve_with(
        {
            **tls_config(
                pki, client_ca_file=str(pki.ca), client_auth_type="RequireAndVerifyClientCert"
            ),
            "basic_auth_users": {"prometheus": HASH},
        }
    )
    ctx = client_context(pki, "client")
    assert get(url + "/metrics", ctx).status_code == 401
    assert get(url + "/metrics", ctx, auth=("prometheus", PASSWORD)).status_code == 200


def test_min_version_tls13_refuses_tls12(serve_with, pki):
    _server, url = serve_with(tls_config(pki, min_version="TLS13"))
    with pytest.raises(httpx.TransportError):
        get(url + "/metrics", client_context(pki, max_version=ssl.TLSVersion.TLSv1_2))
    r = get(url + "/metrics", client_context(pki, min_version=ssl.TLSVersion.TLSv1_3))
    assert r.status_code == 200
    # The default (TLS12) accepts a TLS 1.2 client: the refusal above is the setting's.
    _server, url = serve_with(tls_config(pki))
    assert (
        get(url + "/metrics", client_context(pki, max_version=ssl.TLSVersion.TLSv1_2)).status_code
        == 200
    )


def test_max_version_tls12_refuses_tls13_only_clients(serve_with, pki):
    _server, url = serve_with(tls_config(pki, max_version="TLS12"))
    with pytest.raises(httpx.TransportError):
        get(url + "/metrics", client_context(pki, min_version=ssl.TLSVersion.TLSv1_3))
    assert get(url + "/metrics", client_context(pki)).status_code == 200


def test_a_stalled_handshake_blocks_nobody_and_times_out(serve_with, pki, monkeypatch):
    monkeypatch.setattr(srv, "HANDSHAKE_TIMEOUT", 1.5)
    assert srv.HANDSHAKE_TIMEOUT <= 10
    server, url = serve_with(tls_config(pki))
    port = server.server_address[1]
    stalled = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        stalled[1].sendall(b"\x16\x03\x01")  # the first bytes of a ClientHello, then nothing
        started = time.monotonic()
        for _ in range(5):
            assert get(url + "/metrics", client_context(pki)).status_code == 200
        assert time.monotonic() - started < 1.5
        for s in stalled:  # the server hangs up on each once the handshake times out
            s.settimeout(5)
            assert s.recv(100) == b""
        assert time.monotonic() - started < 4
    finally:
        for s in stalled:
            s.close()


# --- the real process -------------------------------------------------------------------


@pytest.mark.e2e
def test_exporter_process_with_tls_and_basic_auth(tmp_path, pki):
    sim = Simulator(seed=7, api_keys={FAKE_KEY})
    api = serve(sim, "127.0.0.1", 0)
    port = free_port()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "apps": {"windows": ["7d"], "sorts": ["popular"], "filters": ["all"], "depth": 20},
                "models": {"views": [{"name": "daily"}]},
                "state_dir": str(tmp_path / "state"),
                "openrouter": {"base_url": api.url, "timeout": "2s"},
            }
        )
    )
    web = tmp_path / "web.yml"
    web.write_text(
        yaml.safe_dump(
            {
                "tls_server_config": {
                    "cert_file": str(pki.server_crt),
                    "key_file": str(pki.server_key),
                    "min_version": "TLS12",
                },
                "basic_auth_users": {"prometheus": HASH},
                "http_server_config": {"headers": {"X-Frame-Options": "deny"}},
            }
        )
    )
    proc = Proc(
        [
            "run",
            f"--config.file={cfg}",
            f"--web.config.file={web}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        {**os.environ, "OPENROUTER_API_KEY": FAKE_KEY},
        tmp_path / "exporter.log",
    )
    try:
        url = f"https://127.0.0.1:{port}/metrics"
        ctx = client_context(pki)
        wait_for(
            url,
            lambda r: "openrouter_app_rank{" in r.text,
            get=lambda u: get(u, ctx, auth=("prometheus", PASSWORD)),
        )
        assert get(url, ctx).status_code == 401
        with pytest.raises(httpx.HTTPError):
            get(url.replace("https", "http"))
        assert get(url, ctx).headers["X-Frame-Options"] == "deny"
        # The web config is read once, at start: SIGHUP reloads the main config only, so
        # the headers (like TLS and the users) stay those the process started with.
        web.write_text(web.read_text().replace("deny", "sameorigin"))
        proc.p.send_signal(signal.SIGHUP)
        wait_until(lambda: "config reloaded" in proc.output(), "the reload", proc=proc)
        r = get(url, ctx, auth=("prometheus", PASSWORD))
        assert r.status_code == 200 and r.headers.get_list("X-Frame-Options") == ["deny"]
    finally:
        assert proc.stop() == 0, proc.output()
        api.shutdown()
    text = proc.output()
    assert f"https://127.0.0.1:{port}/" in text and "basic auth (1 user)" in text
    assert FAKE_KEY not in text and PASSWORD not in text
