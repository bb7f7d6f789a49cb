"""``--web.config.file``: TLS and basic auth in the Prometheus exporter-toolkit format.

The same YAML a node_exporter or blackbox_exporter takes::

    tls_server_config:
      cert_file: server.crt          # relative paths are relative to this file
      key_file: server.key
      client_ca_file: clients-ca.crt
      client_auth_type: RequireAndVerifyClientCert
      min_version: TLS13             # default TLS12
    basic_auth_users:
      prometheus: $2b$10$...         # bcrypt hash: htpasswd -nBC 10 "" | tr -d ':\\n'
    http_server_config:
      headers:                       # added to every response
        Strict-Transport-Security: max-age=31536000

The file is read and checked once, at start: every mistake in it is reported at once,
each naming its key (exit 2), never a server that silently runs without the protection
asked for. The keys are declared like the main config's (``exporter.schema``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import ssl
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import bcrypt

from exporter.schema import (
    INVALID,
    Bool,
    Choice,
    ConfigError,
    Custom,
    Invalid,
    Kind,
    Loc,
    Problems,
    Report,
    Section,
    Text,
    section,
    setting,
)
from exporter.webheaders import Headers
from exporter.yamlfile import read_yaml

TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
# exporter-toolkit's names → what Python's ssl module can do. Python has no "ask for a
# certificate but accept it unverified", so the two modes that need it are refused.
CLIENT_AUTH_TYPES = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
UNSUPPORTED_CLIENT_AUTH = ("RequestClientCert", "RequireAnyClientCert", "RequireClientCert")
_TLS_UNSUPPORTED = (
    "cert",
    "key",
    "client_ca",
    "client_allowed_sans",
    "cipher_suites",
    "curve_preferences",
    "prefer_server_cipher_suites",
)
_BCRYPT_RE = re.compile(r"^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$")
# A bcrypt hash of a random password nobody knows: unknown users cost the same bcrypt as
# known ones, so response times do not tell which user names exist.
_DUMMY_HASH = b"$2b$10$sQwJSTm9Uq5RkXfQXoynRu7wxmcC1wPTHrI9z8ZG9vO0Fab1yXm9q"


class WebConfigError(ConfigError):
    """A --web.config.file problem; ``ConfigError``, so the CLI exits 2 with it."""


def _client_auth(value: Any) -> str | None:
    if value in UNSUPPORTED_CLIENT_AUTH:
        raise Invalid(
            f"{value!r} is not supported (Python's TLS cannot accept a client certificate "
            "without verifying it); use VerifyClientCertIfGiven or RequireAndVerifyClientCert "
            "with client_ca_file"
        )
    return Choice(tuple(CLIENT_AUTH_TYPES), blank_is_unset=True).convert(value)


_FILE = Text(blank_is_unset=True)  # exporter-toolkit (Go) reads "" as not set
_VERSION = Choice(tuple(TLS_VERSIONS), blank_is_unset=True, suggest=False)


@dataclass(frozen=True)
class TLSSettings:
    cert_file: str | None = setting(None, _FILE, "PEM certificate (chain)")
    key_file: str | None = setting(None, _FILE, "its PEM private key")
    client_ca_file: str | None = setting(None, _FILE, "CA that signs client certificates")
    client_auth_type: str = setting("NoClientCert", Custom(_client_auth), "client certificates")
    min_version: str = setting("TLS12", _VERSION, "oldest TLS version accepted")
    max_version: str | None = setting(None, _VERSION, "newest TLS version accepted")

    def context(self) -> ssl.SSLContext:
        """A server context; errors name the key whose file is at fault."""
        assert self.cert_file and self.key_file  # parse_web_config's promise
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = TLS_VERSIONS[self.min_version]
        if self.max_version:
            ctx.maximum_version = TLS_VERSIONS[self.max_version]
        ctx.options |= ssl.OP_NO_RENEGOTIATION | ssl.OP_NO_COMPRESSION
        problems = Problems("web config")
        for key in ("cert_file", "key_file", "client_ca_file"):
            path = getattr(self, key)
            if path is not None:
                _readable(path, ("tls_server_config", key), problems)
        problems.raise_errors({}, WebConfigError)
        try:
            ctx.load_cert_chain(self.cert_file, self.key_file)
        except ssl.SSLError as e:
            raise WebConfigError(
                f"tls_server_config.cert_file/key_file: {self.cert_file!r} and "
                f"{self.key_file!r} are not a PEM certificate and its matching private key "
                f"({e.reason or e})"
            ) from None
        if self.client_ca_file:
            try:
                ctx.load_verify_locations(cafile=self.client_ca_file)
            except ssl.SSLError as e:
                raise WebConfigError(
                    f"tls_server_config.client_ca_file: {self.client_ca_file!r} holds no PEM "
                    f"CA certificate ({e.reason or e})"
                ) from None
        ctx.verify_mode = CLIENT_AUTH_TYPES[self.client_auth_type]
        return ctx


def _check_tls(values: dict[str, Any], given: set[str], report: Report) -> None:
    cert, key, ca = values["cert_file"], values["key_file"], values["client_ca_file"]
    auth, low, high = values["client_auth_type"], values["min_version"], values["max_version"]
    if cert is None and key is None:
        if given & {"client_ca_file", "client_auth_type", "min_version", "max_version"}:
            report.error("required (with key_file) to serve TLS", "cert_file")
        return  # an empty tls_server_config: plain HTTP, as in exporter-toolkit
    if cert is None:
        report.error("required when key_file is set", "cert_file")
    if key is None:
        report.error("required when cert_file is set", "key_file")
    if high and TLS_VERSIONS[high] < TLS_VERSIONS[low]:
        report.error(f"{high} is older than min_version {low}", "max_version")
    if auth != "NoClientCert" and ca is None:
        report.error(f"required with client_auth_type {auth}", "client_ca_file")
    if ca is not None and auth == "NoClientCert":
        report.error(
            "client_ca_file is set but no client certificate is asked for; set "
            "VerifyClientCertIfGiven or RequireAndVerifyClientCert",
            "client_auth_type",
        )


@dataclass(frozen=True)
class _Users(Kind):
    """``basic_auth_users``: user → bcrypt hash. A value is never echoed: it may be a
    password pasted by mistake."""

    def read(self, value: Any, loc: Loc, problems: Problems) -> Any:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            problems.error(loc, "expected a mapping")
            return INVALID
        users: dict[bytes, bytes] = {}
        for user, hashed in value.items():
            if not isinstance(user, str) or not user:
                problems.error(loc, f"user name {user!r} must be a non-empty string")
            elif ":" in user:
                problems.error((*loc, user), "a user name cannot contain ':'")
            elif not isinstance(hashed, str) or not _BCRYPT_RE.match(hashed.strip()):
                problems.error(
                    (*loc, user),
                    "not a bcrypt hash (expected $2b$..., $2a$... or $2y$...); make one "
                    "with: htpasswd -nBC 10 \"\" | tr -d ':\\n'",
                )
            else:
                users[user.encode("utf-8")] = hashed.strip().encode("ascii")
        return users if len(users) == len(value) else INVALID


@dataclass(frozen=True)
class _HTTPServerConfig:
    # HTTP/1.1 only here; `http2: true` is accepted, unused, as exporter-toolkit's default.
    http2: bool = setting(True, Bool(), "accepted, unused")
    headers: tuple[tuple[str, str], ...] = setting(None, Headers(), "added to every response")


@dataclass(frozen=True)
class _WebConfigFile:
    """The file as written (exporter-toolkit's keys)."""

    tls_server_config: TLSSettings | None = setting(
        None, Section(TLSSettings, _check_tls, unsupported=_TLS_UNSUPPORTED)
    )
    http_server_config: _HTTPServerConfig = section(_HTTPServerConfig)
    basic_auth_users: Mapping[bytes, bytes] = setting({}, _Users())


_WEB_CONFIG_FILE = Section(_WebConfigFile)


@dataclass(frozen=True)
class WebSecurity:
    """What --web.config.file asks for. ``WebSecurity()`` is plain HTTP without auth."""

    tls: TLSSettings | None = None
    users: Mapping[bytes, bytes] = field(default_factory=dict)  # user → bcrypt hash
    headers: tuple[tuple[str, str], ...] = ()  # (name, value) added to every response
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    def describe(self) -> str:
        parts = []
        if self.tls:
            parts.append(
                f"TLS (min {self.tls.min_version}, client certs {self.tls.client_auth_type})"
            )
        if self.users:
            parts.append(f"basic auth ({len(self.users)} user{'s' * (len(self.users) != 1)})")
        if self.headers:
            parts.append("headers " + ", ".join(name for name, _ in self.headers))
        return ", ".join(parts) or "plain HTTP, no auth"


def _readable(path: str, loc: Loc, problems: Problems) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        problems.error(loc, f"cannot read {path!r}: {e.strerror}")


def parse_web_config(
    data: Any, path: str | None = None, found: Iterable[tuple[Loc, str]] = ()
) -> WebSecurity:
    """The parsed file → settings, with the TLS context built (so bad files fail now).
    ``WebConfigError`` lists every problem in the file at once, in file order, with those
    ``found`` while loading it (keys written twice)."""
    problems = Problems("web config")
    problems.errors.extend(found)
    parsed = _WEB_CONFIG_FILE.read(data, (), problems)
    problems.raise_errors(data, WebConfigError)
    tls = parsed.tls_server_config
    if tls is not None and tls.cert_file is None:
        tls = None  # an empty tls_server_config: plain HTTP, as in exporter-toolkit
    if tls is not None:
        base = Path(path).parent if path else Path(".")

        def resolve(name: str | None) -> str | None:
            return None if name is None else str(base / name)  # an absolute name wins

        tls = replace(
            tls,
            cert_file=resolve(tls.cert_file),
            key_file=resolve(tls.key_file),
            client_ca_file=resolve(tls.client_ca_file),
        )
    return WebSecurity(
        tls=tls,
        users=parsed.basic_auth_users,
        headers=parsed.http_server_config.headers or (),
        ssl_context=tls.context() if tls else None,
    )


def load_web_config(path: str | None) -> WebSecurity:
    """Read ``--web.config.file``; no file means plain HTTP without auth."""
    if path is None:
        return WebSecurity()
    loaded = read_yaml(path, "web config file", WebConfigError, echo_problem=False)
    try:
        return parse_web_config(loaded.data, path, loaded.duplicates)
    except WebConfigError as e:
        raise WebConfigError("\n".join(f"{path}: {line}" for line in str(e).splitlines())) from None


class BasicAuth:
    """Checks ``Authorization: Basic`` against bcrypt hashes, paying bcrypt once.

    bcrypt is slow on purpose (~50 ms at cost 10); a Prometheus scraping every 15 s would
    pay it on every scrape. As exporter-toolkit does, a successful check is remembered:
    per user, an HMAC of the password under a key that lives only in this process (so the
    cache holds nothing that could be brute-forced offline), compared in constant time.
    Only one password matches a hash, so the cache holds at most one entry per user.
    bcrypt runs one at a time, so a flood of wrong passwords costs one core, not all.
    """

    def __init__(self, users: Mapping[bytes, bytes]) -> None:
        self._users = dict(users)
        self._secret = os.urandom(32)
        self._good: dict[bytes, bytes] = {}
        self._bcrypt = threading.Lock()
        self.bcrypt_checks = 0  # how many times bcrypt actually ran (tests, measurements)

    def check(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            raw = base64.b64decode(credentials.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, sep, password = raw.partition(b":")
        if not sep:
            return False
        mac = hmac.new(self._secret, password, hashlib.sha256).digest()
        known = self._good.get(user)
        if known is not None and hmac.compare_digest(known, mac):
            return True
        hashed = self._users.get(user)
        with self._bcrypt:
            self.bcrypt_checks += 1
            ok = _checkpw(password, hashed if hashed is not None else _DUMMY_HASH)
        if ok and hashed is not None:
            self._good[user] = mac
            return True
        return False


def _checkpw(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:  # longer than bcrypt's 72 bytes: refused, as Go's bcrypt does
        return False
