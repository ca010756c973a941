"""Secrets canary: distinct canary strings planted wherever a secret can enter gate
must never come out of it, in any output format, the evidence bundle, replay or
the emulator's own output.

Planting sites (one canary each): Cloud Run literal env values (a credential-named
and a plain-named variable; in run.diff's baseline revision, one the new revision lost
and an older value of one it kept), request headers from the environment (`{env: VAR}`,
one sent to a server that echoes it back into a failing body), URL query
parameters (`?token=`, `?access_token=`), the golden-path login's password and
the token its login endpoint returns, and revision log lines (`password=...`,
`Authorization: Bearer ...`). A secret-backed variable's payload cannot even be
planted (the world format has no payload and the emulator's `:access` is 403):
the test asserts gate never asks for it.
"""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from gate.emulator import Emulator, load_world
from gate.emulator.agent_server import GoldenPathServer
from tests.hardening.common import BACKEND, boot_entry, clean_env, gate, load_s12, write_world
from tests.servers import echo, serve

CANARIES = {
    "env-literal-credential": "CnryEnvSalt7f3a9c2e41",
    "env-literal-plain": "CnryBannerValue5d8e1b",
    "header-env": "CnryHeaderKey0c4d7e9a",
    "header-env-echoed": "CnryTraceEcho93b2f6",
    "query-token": "CnryQueryTok4e7a1d",
    "query-access-token": "CnryQueryAcc8b1c5f",
    "login-password": "CnryLoginPw2a9d4c",
    "login-token": "CnryLoginToken6f0e3b8d",
    "log-password": "CnryLogPw1e5b7a",
    "log-bearer": "CnryLogBearer3c8f2d",
    "env-literal-retired": "CnryRetiredEnv8d2c41",
    "env-literal-previous": "CnryPreviousValue6b7e0a",
}
FORMATS = ("text", "json", "junit", "markdown", "github")


def _forms(value: str) -> set[str]:
    """The canary and the encodings it would take on its way out."""
    b64 = base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
    return {value, quote(value), b64, value.encode().hex()}


def _canary_world(tmp: Path) -> Path:
    world = load_s12()
    planted = [
        {"name": "APP_SIGNING_SALT", "value": CANARIES["env-literal-credential"]},
        {"name": "FEATURE_BANNER", "value": CANARIES["env-literal-plain"]},
    ]
    for svc in world["run"]["services"]:
        if svc["name"].endswith("/netra-backend-staging"):
            svc["template"]["containers"][0]["env"].extend(planted)
    for rev in world["run"]["revisions"]:
        if "/services/netra-backend-staging/" in rev["name"]:
            rev["containers"][0]["env"].extend(planted)
        if rev["name"].endswith("/netra-backend-staging-00041-m4f"):
            # run.diff's baseline: a variable the new revision lost, and another value for one it kept.
            env = rev["containers"][0]["env"]
            env.append({"name": "RETIRED_TOKEN", "value": CANARIES["env-literal-retired"]})
            next(e for e in env if e["name"] == "FEATURE_BANNER")["value"] = CANARIES["env-literal-previous"]
    world["logging"]["entries"].extend(
        [
            boot_entry(
                f"db connect failed: password={CANARIES['log-password']} user=netra",
                "cnry0001",
                "2025-09-03T10:12:05.000000Z",
            ),
            boot_entry(
                f"upstream refused: Authorization: Bearer {CANARIES['log-bearer']}",
                "cnry0002",
                "2025-09-03T10:12:06.000000Z",
                "CRITICAL",
            ),
        ]
    )
    return write_world(tmp / "canary-world.json", world)


def _policy(tmp: Path, echo_base: str, ws_base: str, login_url: str) -> Path:
    text = f"""\
apiVersion: gate/v1
project: netra-staging
region: us-central1
checks:
  - id: backend-revision
    type: run.revision
    with: {{service: netra-backend-staging}}
  - id: backend-env
    type: run.env
    severity: warn
    with:
      service: netra-backend-staging
      required: [REDIS_HOST, JWT_SECRET_KEY, APP_SIGNING_SALT, FEATURE_BANNER]
      vars:
        APP_SIGNING_SALT: {{pattern: "^nomatch$"}}
        FEATURE_BANNER: {{one_of: [on, off]}}
  - id: backend-diff
    type: run.diff
    severity: warn
    with: {{service: netra-backend-staging, fail_on: ["*"]}}
  - id: health-with-key
    type: http.health
    timeout: 5s
    with:
      url: "{BACKEND}/health?token={CANARIES["query-token"]}"
      headers: {{X-Api-Key: {{env: GATE_CANARY_HEADER}}}}
  - id: echoed-header
    type: http.health
    timeout: 5s
    with:
      url: "{echo_base}/echo?access_token={CANARIES["query-access-token"]}"
      headers: {{X-Trace: {{env: GATE_CANARY_TRACE}}}}
  - id: boot-log
    type: logs.boot
    with: {{service: netra-backend-staging, window: 10m}}
  - id: golden-path
    type: websocket.golden_path
    timeout: 10s
    with:
      url: "{ws_base}/ws"
      login:
        url: "{login_url}"
        json: {{username: probe, password: {{env: GATE_CANARY_LOGIN_PW}}}}
"""
    p = tmp / "canary-policy.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def leaks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Every output of every run, by label; the test scans them all."""
    tmp = tmp_path_factory.mktemp("canary")
    world_path = _canary_world(tmp)
    ws = GoldenPathServer(
        {
            "mode": "healthy",
            "path": "/ws",
            "token": CANARIES["login-token"],
            "login": {
                "path": "/auth/login",
                "credentials": {"username": "probe", "password": CANARIES["login-password"]},
            },
        }
    )
    ws_base = ws.start()
    outputs: dict[str, str] = {}
    try:
        with serve({"/echo": echo(503)}) as echo_base, Emulator(load_world(world_path)) as emu:
            policy = _policy(tmp, echo_base, ws_base, ws.login_url)
            pairs = " ".join(f"{o}={b}" for o, b in emu.resolver_map.items())
            env = clean_env(
                {
                    "GATE_EMULATOR_HOST": emu.api_host,
                    "GATE_RESOLVE": pairs,
                    "GATE_CANARY_HEADER": CANARIES["header-env"],
                    "GATE_CANARY_TRACE": CANARIES["header-env-echoed"],
                    "GATE_CANARY_LOGIN_PW": CANARIES["login-password"],
                    "GITHUB_STEP_SUMMARY": str(tmp / "step-summary.md"),
                }
            )
            out = tmp / "out"
            # Run A: text on stdout, every other format to a file, verbose, evidence bundle.
            files = [f"--output={f}={out / ('report.' + f)}" for f in FORMATS if f != "text"]
            a = gate(
                "check",
                "--policy",
                str(policy),
                "--no-fail-fast",
                "--verbose",
                "--evidence",
                str(tmp / "bundle"),
                *files,
                env=env,
            )
            # Run B: every format on stdout at once.
            b = gate(
                "check",
                "--policy",
                str(policy),
                "--no-fail-fast",
                "--verbose",
                "-f",
                ",".join(FORMATS),
                env=env,
            )
            access = [r for r in emu.requests if ":access" in r.path]
        r = gate("replay", str(tmp / "bundle"), "--world-out", str(tmp / "replayed-world.json"))
        outputs.update(
            {
                "check A stdout": a.stdout,
                "check A stderr": a.stderr,
                "check B stdout": b.stdout,
                "check B stderr": b.stderr,
            },
        )
        outputs["replay stdout"], outputs["replay stderr"] = r.stdout, r.stderr
        outputs["gate emulator"] = _emulator_output(world_path)
        for f in sorted(tmp.rglob("*")):
            if f.is_file() and f not in (world_path, policy):
                outputs[str(f.relative_to(tmp))] = f.read_text(encoding="utf-8", errors="replace")
        outputs["@meta"] = f"{a.returncode} {b.returncode} {r.returncode} access={len(access)}"
        yield outputs
    finally:
        ws.stop()


def _emulator_output(world: Path) -> str:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gate", "emulator", "--world", str(world)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    rest, err = proc.communicate(timeout=20)
    return first + rest + err


def test_runs_happened_as_planned(leaks: dict[str, str]) -> None:
    a_code, b_code, replay_code, access = leaks["@meta"].split()
    # FAIL (the echo endpoint answers 503, the boot log has ERROR lines); replay agrees.
    assert (a_code, b_code, replay_code) == ("1", "1", "0"), leaks["check A stderr"] + leaks["replay stdout"]
    assert access == "access=0"  # a secret's payload is never even asked for
    assert "bundle/exchanges.jsonl" in leaks and "step-summary.md" in leaks
    for fmt in FORMATS:
        if fmt != "text":
            assert f"out/report.{fmt}" in leaks
    # The failing checks quote what carries the canaries (so the scan below means something).
    assert "password=***" in leaks["check A stdout"] and "Bearer ***" in leaks["check A stdout"]
    assert "x-trace" in leaks["check A stdout"].lower()
    # The planted env values were read (and judged) by run.env, names only.
    assert "APP_SIGNING_SALT does not match ^nomatch$" in leaks["check A stdout"]
    # run.diff compared them with its baseline's: the lost one is named, no value is shown.
    assert "env:RETIRED_TOKEN removed" in leaks["check A stdout"]


@pytest.mark.parametrize("site", sorted(CANARIES))
def test_no_canary_in_any_output(leaks: dict[str, str], site: str) -> None:
    forms = _forms(CANARIES[site])
    found = [label for label, text in leaks.items() if any(f in text for f in forms)]
    assert not found, f"canary {site} leaked into: {', '.join(found)}"


def test_outputs_scanned(leaks: dict[str, str]) -> None:
    # 2 check runs (stdout+stderr), replay (2), emulator, 4 report files, step summary, 5 bundle files, world
    assert len(leaks) >= 15, sorted(leaks)
