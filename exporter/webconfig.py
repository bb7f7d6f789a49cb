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

The file is read and checked once, at start: a mistake is a config error naming the key
(exit 2), never a server that silently runs without the protection asked for.
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt

from exporter.config import ConfigError, read_yaml

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
_TLS_KEYS = (
    "cert_file",
    "key_file",
    "client_ca_file",
    "client_auth_type",
    "min_version",
    "max_version",
)
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


@dataclass(frozen=True)
class TLSSettings:
    cert_file: str
    key_file: str
    client_ca_file: str | None = None
    client_auth_type: str = "NoClientCert"
    min_version: str = "TLS12"
    max_version: str | None = None

    def context(self) -> ssl.SSLContext:
        """A server context; errors name the key whose file is at fault."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = TLS_VERSIONS[self.min_version]
        if self.max_version:
            ctx.maximum_version = TLS_VERSIONS[self.max_version]
        ctx.options |= ssl.OP_NO_RENEGOTIATION | ssl.OP_NO_COMPRESSION
        for key, path in (
            ("cert_file", self.cert_file),
            ("key_file", self.key_file),
            ("client_ca_file", self.client_ca_file),
        ):
            if path is not None:
                _readable(path, f"tls_server_config.{key}")
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


@dataclass(frozen=True)
class WebSecurity:
    """What --web.config.file asks for. ``WebSecurity()`` is plain HTTP without auth."""

    path: str | None = None
    tls: TLSSettings | None = None
    users: Mapping[bytes, bytes] = field(default_factory=dict)  # user → bcrypt hash
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
        return ", ".join(parts) or "plain HTTP, no auth"


def _readable(path: str, key: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise WebConfigError(f"{key}: cannot read {path!r}: {e.strerror}") from None


def _mapping(value: Any, key: str) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise WebConfigError(f"{key}: expected a mapping")
    return value


def _string(data: Mapping[Any, Any], name: str, key: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise WebConfigError(f"{key}.{name}: expected a string")
    return value


def _choice(data: Mapping[Any, Any], name: str, key: str, choices: Any) -> str | None:
    value = _string(data, name, key)
    if value is not None and value not in choices:
        raise WebConfigError(f"{key}.{name}: {value!r} is not one of {', '.join(choices)}")
    return value


def _parse_tls(raw: Any, base: Path) -> TLSSettings | None:
    key = "tls_server_config"
    data = _mapping(raw, key)
    for name in data:
        if name in _TLS_UNSUPPORTED:
            raise WebConfigError(f"{key}.{name}: not supported by this exporter")
        if name not in _TLS_KEYS:
            raise WebConfigError(f"{key}.{name}: unknown key")

    def path(name: str) -> str | None:
        value = _string(data, name, key)
        return None if value is None else str(base / value)  # an absolute value wins

    cert, tls_key, ca = path("cert_file"), path("key_file"), path("client_ca_file")
    auth = _string(data, "client_auth_type", key)
    if auth in UNSUPPORTED_CLIENT_AUTH:
        raise WebConfigError(
            f"{key}.client_auth_type: {auth!r} is not supported (Python's TLS cannot accept "
            "a client certificate without verifying it); use VerifyClientCertIfGiven or "
            "RequireAndVerifyClientCert with client_ca_file"
        )
    auth = _choice(data, "client_auth_type", key, CLIENT_AUTH_TYPES) or "NoClientCert"
    min_version = _choice(data, "min_version", key, TLS_VERSIONS) or "TLS12"
    max_version = _choice(data, "max_version", key, TLS_VERSIONS)
    if cert is None and tls_key is None:
        if ca or data.get("client_auth_type") or data.get("min_version") or data.get("max_version"):
            raise WebConfigError(f"{key}.cert_file: required (with key_file) to serve TLS")
        return None  # an empty tls_server_config: plain HTTP, as in exporter-toolkit
    if cert is None:
        raise WebConfigError(f"{key}.cert_file: required when key_file is set")
    if tls_key is None:
        raise WebConfigError(f"{key}.key_file: required when cert_file is set")
    if max_version and TLS_VERSIONS[max_version] < TLS_VERSIONS[min_version]:
        raise WebConfigError(
            f"{key}.max_version: {max_version} is older than min_version {min_version}"
        )
    if auth != "NoClientCert" and ca is None:
        raise WebConfigError(f"{key}.client_ca_file: required with client_auth_type {auth}")
    if ca is not None and auth == "NoClientCert":
        raise WebConfigError(
            f"{key}.client_auth_type: client_ca_file is set but no client "
            "certificate is asked for; set VerifyClientCertIfGiven or "
            "RequireAndVerifyClientCert"
        )
    return TLSSettings(cert, tls_key, ca, auth, min_version, max_version)


def _parse_users(raw: Any) -> dict[bytes, bytes]:
    key = "basic_auth_users"
    users: dict[bytes, bytes] = {}
    for user, hashed in _mapping(raw, key).items():
        if not isinstance(user, str) or not user:
            raise WebConfigError(f"{key}: user name {user!r} must be a non-empty string")
        if ":" in user:
            raise WebConfigError(f"{key}.{user}: a user name cannot contain ':'")
        # The value is never echoed: it may be a password pasted by mistake.
        if not isinstance(hashed, str) or not _BCRYPT_RE.match(hashed.strip()):
            raise WebConfigError(
                f"{key}.{user}: not a bcrypt hash (expected $2b$..., $2a$... or $2y$...); "
                "make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n'"
            )
        users[user.encode("utf-8")] = hashed.strip().encode("ascii")
    return users


def parse_web_config(data: Any, path: str | None = None) -> WebSecurity:
    """The parsed file → settings, with the TLS context built (so bad files fail now)."""
    root = _mapping(data, "web config")
    for name in root:
        if name == "http_server_config":
            http = _mapping(root[name], name)
            for sub in http:
                if sub != "http2":  # HTTP/1.1 only here; http2: true is accepted, unused
                    raise WebConfigError(f"{name}.{sub}: not supported by this exporter")
        elif name not in ("tls_server_config", "basic_auth_users"):
            raise WebConfigError(f"{name}: unknown key")
    base = Path(path).parent if path else Path(".")
    tls = _parse_tls(root.get("tls_server_config"), base)
    users = _parse_users(root.get("basic_auth_users"))
    return WebSecurity(path=path, tls=tls, users=users, ssl_context=tls.context() if tls else None)


def load_web_config(path: str | None) -> WebSecurity:
    """Read ``--web.config.file``; no file means plain HTTP without auth."""
    if path is None:
        return WebSecurity()
    data = read_yaml(path, "web config file", WebConfigError, echo_problem=False)
    try:
        return parse_web_config(data, path)
    except WebConfigError as e:
        raise WebConfigError(f"{path}: {e}") from None


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
