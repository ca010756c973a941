"""Import cost and credential discovery, in clean subprocesses."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gate.errors import CredentialsError
from gate.gcp.transport.connection import Connection, resolve_credentials


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def _clean_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GOOGLE_", "GCE_", "CLOUDSDK_", "GATE_")) and k != "NO_GCE_CHECK"
    }
    env["HOME"] = str(home)
    env["GCE_METADATA_HOST"] = f"127.0.0.1:{_closed_port()}"
    env["GCE_METADATA_IP"] = env["GCE_METADATA_HOST"]
    return env


def test_importing_cloud_imports_no_google_client() -> None:
    code = (
        "import sys, gate.gcp.cloud, gate.gcp.run, gate.gcp.logging,"
        " gate.gcp.networkmanagement, gate.gcp.compute;"
        "print([m for m in sys.modules if m.startswith(('google.cloud', 'google.api_core', 'grpc'))])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_credentials_fail_fast_with_the_login_hint(tmp_path: Path) -> None:
    code = (
        "import time, json\n"
        "from gate.errors import CredentialsError\n"
        "from gate.gcp.transport.connection import Connection, resolve_credentials\n"
        "t = time.monotonic()\n"
        "try:\n"
        "    resolve_credentials(Connection())\n"
        "    print(json.dumps({'error': None}))\n"
        "except CredentialsError as e:\n"
        "    print(json.dumps({'error': str(e), 'elapsed': time.monotonic() - t}))\n"
    )
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_env(tmp_path),
        timeout=30,
    )
    wall = time.monotonic() - started
    result = json.loads(out.stdout)
    assert result["error"] is not None
    assert "gcloud auth application-default login" in result["error"]
    assert "--world FILE to try offline" in result["error"]
    assert result["elapsed"] < 3.0 and wall < 6.0


def test_unreadable_adc_file_is_a_credentials_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "creds.json"
    bad.write_text("{not json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(bad))
    with pytest.raises(CredentialsError, match="gcloud auth application-default login"):
        resolve_credentials(Connection())


def test_adc_file_with_impersonation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = {
        "type": "authorized_user",
        "client_id": "x.apps.googleusercontent.com",
        "client_secret": "s",
        "refresh_token": "r",
    }
    cfg = tmp_path / "gcloud"
    cfg.mkdir()
    (cfg / "application_default_credentials.json").write_text(json.dumps(user))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(cfg))
    creds = resolve_credentials(Connection(impersonate="gate@p.iam.gserviceaccount.com"))
    from google.auth import impersonated_credentials

    assert isinstance(creds, impersonated_credentials.Credentials)
    assert creds.service_account_email == "gate@p.iam.gserviceaccount.com"


def test_emulator_uses_anonymous_credentials() -> None:
    from google.auth.credentials import AnonymousCredentials

    assert isinstance(resolve_credentials(Connection(emulator_host="127.0.0.1:1")), AnonymousCredentials)


def test_from_env_reads_the_emulator_host() -> None:
    conn = Connection.from_env(endpoints={"run": "https://x"}, env={"GATE_EMULATOR_HOST": "127.0.0.1:9"})
    assert conn.emulator_host == "127.0.0.1:9" and conn.endpoints == {"run": "https://x"}
    assert Connection.from_env(env={}).emulator_host is None


_PROBE = (
    "import time, json\n"
    "from gate.errors import CredentialsError\n"
    "from gate.gcp.transport.connection import Connection, resolve_credentials\n"
    "t = time.monotonic()\n"
    "try:\n"
    "    c = resolve_credentials(Connection())\n"
    "    kind = type(c).__module__ + '.' + type(c).__name__\n"
    "    print(json.dumps({'type': kind, 'elapsed': time.monotonic() - t}))\n"
    "except CredentialsError as e:\n"
    "    print(json.dumps({'error': str(e), 'elapsed': time.monotonic() - t}))\n"
)


def test_a_silent_metadata_server_costs_about_a_second_not_twelve(tmp_path: Path) -> None:
    # Accepts connections but never answers: google.auth.default() spends ~12 s here.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        env = _clean_env(tmp_path)
        env["GCE_METADATA_HOST"] = env["GCE_METADATA_IP"] = f"127.0.0.1:{silent.getsockname()[1]}"
        out = subprocess.run(
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, env=env, timeout=30
        )
    result = json.loads(out.stdout)
    assert "error" in result and result["elapsed"] < 3.0


def test_a_metadata_server_gives_compute_credentials(tmp_path: Path) -> None:
    from tests.servers import respond, serve

    with serve({"*": respond(200, "computeMetadata/", headers={"Metadata-Flavor": "Google"})}) as base:
        env = _clean_env(tmp_path)
        env["GCE_METADATA_HOST"] = env["GCE_METADATA_IP"] = str(base).removeprefix("http://")
        out = subprocess.run(
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, env=env, timeout=30
        )
    assert json.loads(out.stdout)["type"] == "google.auth.compute_engine.credentials.Credentials"


def _service_account_file(tmp_path: Path, token_uri: str) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "netra-staging",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "gate@netra-staging.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    return path


def _check_with(adc: Path, home: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = _clean_env(home)
    env["GOOGLE_APPLICATION_CREDENTIALS"] = str(adc)
    root = Path(__file__).resolve().parents[2]
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "gate", "check", "--project", "netra-staging", "-f", "json"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return proc, time.monotonic() - started


def test_unreachable_token_endpoint_is_exit_2_before_any_check(tmp_path: Path) -> None:
    from tests.servers import refused_url

    with refused_url() as url:
        proc, took = _check_with(_service_account_file(tmp_path, f"{url}/token"), tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""  # no report: nothing ran
    assert "token endpoint" in proc.stderr and "Connection refused" in proc.stderr
    assert "gcloud auth application-default login" in proc.stderr
    assert "Traceback" not in proc.stderr and "Failed to re" not in proc.stderr
    assert took < 20  # seconds, not a deadline's worth of retries per check


def test_refused_credentials_are_exit_2_with_the_login_hint(tmp_path: Path) -> None:
    from tests.servers import respond, serve

    refusal = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    with serve({"/token": respond(400, refusal)}) as base:
        proc, _ = _check_with(_service_account_file(tmp_path, f"{base}/token"), tmp_path)
        assert len(base.requests) == 1  # checked once, not once per check
    assert proc.returncode == 2, proc.stderr
    assert "credentials were refused" in proc.stderr and "invalid_grant" in proc.stderr
    assert "gcloud auth application-default login" in proc.stderr


def test_reason_never_cuts_a_word() -> None:
    from gate.gcp.transport.connection import reason

    e = OSError("HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded " + "x " * 200)
    text = reason(e)
    assert len(text) <= 160 and text.endswith("x...")
    nested = OSError("... Failed to establish a new connection: [Errno 111] Connection refused'))")
    assert reason(nested) == "Connection refused"
