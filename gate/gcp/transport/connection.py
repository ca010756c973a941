"""Where API calls go and with which credentials.

``GATE_EMULATOR_HOST=host:port`` follows the ``PUBSUB_EMULATOR_HOST`` convention:
every Google API call goes to ``http://host:port`` with anonymous credentials.
Without it, Application Default Credentials are used, found without the
metadata-server probe of ``google.auth.default()`` that can stall for ~12 s
when there is nothing to find.
"""

from __future__ import annotations

import http.client
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.errors import CredentialsError

EMULATOR_ENV = "GATE_EMULATOR_HOST"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)

LOGIN_HINT = (
    "run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS), "
    "or pass --world FILE to try offline"
)


@dataclass(frozen=True)
class Connection:
    emulator_host: str | None = None  # "127.0.0.1:8085": every API over plain HTTP, anonymous
    endpoints: Mapping[str, str] = field(default_factory=dict)  # per-API override, e.g. {"run": "https://…"}
    impersonate: str | None = None  # service account e-mail to impersonate
    credentials: Any = None  # ready-made google.auth credentials (tests, embedding)

    @classmethod
    def from_env(
        cls,
        endpoints: Mapping[str, str] | None = None,
        impersonate: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Connection:
        source = os.environ if env is None else env
        host = (source.get(EMULATOR_ENV) or "").strip() or None
        return cls(emulator_host=host, endpoints=dict(endpoints or {}), impersonate=impersonate)


def resolve_credentials(conn: Connection, deadline_s: float = 3.0) -> Any:
    """Credentials for ``conn``; raises :class:`CredentialsError` within ``deadline_s``."""
    if conn.credentials is not None:
        return conn.credentials
    from google.auth.credentials import AnonymousCredentials

    if conn.emulator_host:
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    started = time.monotonic()
    source = _adc(started + deadline_s)
    if conn.impersonate:
        from google.auth import impersonated_credentials

        return impersonated_credentials.Credentials(  # type: ignore[no-untyped-call]
            source_credentials=source,
            target_principal=conn.impersonate,
            target_scopes=list(SCOPES),
            lifetime=3600,
        )
    return source


def verify_credentials(creds: Any, timeout_s: float = 5.0) -> None:
    """Refresh ``creds`` once, each request bounded by ``timeout_s``.

    Run before any check starts: credentials that cannot produce a token (a
    revoked refresh token, an unreachable token endpoint, a broken workload
    identity configuration) are one CredentialsError (exit 2) in seconds, not
    an ERROR per check after each one has retried its API calls until its
    deadline.
    """
    import google.auth.exceptions
    from google.auth.transport.requests import Request

    send: Callable[..., Any] = Request()

    def bounded(*args: Any, **kwargs: Any) -> Any:
        # google.auth sends token requests with a 120 s default timeout.
        kwargs["timeout"] = min(float(kwargs.get("timeout") or timeout_s), timeout_s)
        return send(*args, **kwargs)

    try:
        creds.refresh(bounded)
    except google.auth.exceptions.RefreshError as e:
        raise CredentialsError(f"the Google credentials were refused: {reason(e)}; {LOGIN_HINT}") from None
    except google.auth.exceptions.TransportError as e:
        raise CredentialsError(
            f"could not reach Google's token endpoint to use the credentials ({reason(e)}); {LOGIN_HINT}"
        ) from None


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def reason(e: BaseException, limit: int = 160) -> str:
    """What went wrong, in a few words: the OS error when there is one, else the
    first line cut between words (never "...Failed to re")."""
    text = str(e) or type(e).__name__
    m = _ERRNO.search(text)
    if m:
        return m.group(1).strip().rstrip(".")
    first = text.splitlines()[0].strip()
    if len(first) <= limit:
        return first
    cut = first[: limit - 3]
    return cut[: cut.rfind(" ")].rstrip(" ,;:(") + "..." if " " in cut else cut + "..."


def adc_file() -> str | None:
    """The ADC file google.auth.default() would read first, if there is one."""
    explicit = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if explicit:
        return explicit
    # Same rule as google.auth._cloud_sdk.get_config_path (kept here: that module is private).
    config = os.environ.get("CLOUDSDK_CONFIG")
    if not config:
        if os.name == "nt":
            config = os.path.join(os.environ.get("APPDATA", ""), "gcloud")
        else:
            config = os.path.join(os.path.expanduser("~"), ".config", "gcloud")
    path = os.path.join(config, "application_default_credentials.json")
    return path if os.path.isfile(path) else None


def _adc(deadline: float) -> Any:
    import google.auth
    import google.auth.exceptions

    if adc_file() is not None:
        # A file (service account key, authorized user, or workload identity
        # federation config) loads without touching the network.
        try:
            creds, _ = google.auth.default(scopes=list(SCOPES))
        except google.auth.exceptions.DefaultCredentialsError as e:
            raise CredentialsError(
                f"could not load Application Default Credentials: {e}; {LOGIN_HINT}"
            ) from e
        return creds
    if os.environ.get("NO_GCE_CHECK") != "true" and metadata_server_available(deadline):
        from google.auth import compute_engine

        return compute_engine.Credentials()  # type: ignore[no-untyped-call]
    raise CredentialsError(f"no Google credentials found; {LOGIN_HINT}")


def metadata_server_available(deadline: float) -> bool:
    """One bounded probe of the metadata server (google.auth tries 3 x 3 s).

    Uses the host google.auth will fetch tokens from (GCE_METADATA_HOST, else
    GCE_METADATA_IP, else the link-local address).
    """
    host = (
        os.environ.get("GCE_METADATA_HOST")
        or os.environ.get("GCE_METADATA_ROOT")
        or os.environ.get("GCE_METADATA_IP")
        or "169.254.169.254"
    )
    timeout = min(1.0, deadline - time.monotonic())
    if timeout <= 0:
        return False
    name, _, port = host.partition(":")
    conn = http.client.HTTPConnection(name, int(port) if port else 80, timeout=timeout)
    try:
        conn.request("GET", "/computeMetadata/v1/", headers={"Metadata-Flavor": "Google"})
        resp = conn.getresponse()
        return resp.status == 200 and resp.getheader("Metadata-Flavor") == "Google"
    except (OSError, http.client.HTTPException, ValueError):
        return False
    finally:
        conn.close()
