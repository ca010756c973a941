"""Verdicts that rest on Google's documented API semantics, through the real CLI.

Each case is the healthy world (s12) with one documented shape changed, and a small
policy; ``gate check --world W --policy P`` runs once per case (all at once, in
subprocesses) and the test asserts the verdict of every check. The first group
pins verdicts gate used to get wrong (a stopped Cloud SQL instance, a sidecar
listed first, an incomplete Connectivity Test trace, firewall policies, a failed
rollout, network references); the second, real-world shapes that must keep
working. The API fact each case rests on is in its docstring-like comment.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

# ~20 `gate check` processes; each takes seconds on a loaded machine.
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
S12 = ROOT / "gate" / "emulator" / "worlds" / "s12-healthy.yaml"
P, R = "netra-staging", "us-central1"
B = "netra-backend-staging"
REV = f"{B}-00042-xq7"
HOST = "netra-host"  # a Shared VPC host project
NET = "https://www.googleapis.com/compute/v1/projects"
ORG = "organizations/123456789012"

Edit = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Case:
    checks: list[dict[str, Any]]
    expect: dict[str, str]  # check id -> status
    words: dict[str, list[str]] = field(default_factory=dict)  # check id -> words in summary+evidence
    edits: tuple[Edit, ...] = ()


@functools.cache
def _s12() -> dict[str, Any]:
    data = yaml.safe_load(S12.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _revision(d: dict[str, Any], short: str = REV) -> dict[str, Any]:
    return next(r for r in d["run"]["revisions"] if r["name"].endswith(f"/revisions/{short}"))


def _service(d: dict[str, Any], short: str = B) -> dict[str, Any]:
    return next(s for s in d["run"]["services"] if s["name"].endswith(f"/services/{short}"))


def _sql(d: dict[str, Any]) -> dict[str, Any]:
    inst: dict[str, Any] = d["sqladmin"]["instances"][0]
    return inst


def _env(d: dict[str, Any]) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = _revision(d)["containers"][0]["env"]
    return env


# -- policies ------------------------------------------------------------------------------

ENV = {
    "id": "env",
    "type": "run.env",
    "with": {
        "service": B,
        "required": ["REDIS_HOST", "REDIS_PORT", "JWT_SECRET_KEY", "POSTGRES_HOST"],
        "vars": {"POSTGRES_PORT": {"port": True}},
    },
}
SQL = {"id": "sql", "type": "sql.instance", "with": {"instance": "staging-shared-postgres"}}
SQL_FROM = {
    "id": "sql-from",
    "type": "sql.instance",
    "with": {"instance": "staging-shared-postgres", "connected_from": {"service": B}},
}
TO_SQL = {
    "id": "to-sql",
    "type": "network.reachability",
    "with": {"service": B, "sql": "staging-shared-postgres"},
}
TO_REDIS = {
    "id": "to-redis",
    "type": "network.reachability",
    "with": {"service": B, "redis": "staging-redis-f1adc35c"},
}
CONFIRM = {
    "id": "confirm",
    "type": "network.reachability",
    "with": {"service": B, "redis": "staging-redis-f1adc35c", "confirm": True},
}
REVISION = {
    "id": "revision",
    "type": "run.revision",
    "retry": {"interval": "1s", "deadline": "20s"},
    "with": {"service": B},
}
BOOT = {"id": "boot", "type": "logs.boot", "timeout": "20s", "with": {"service": B}}


# -- edits ---------------------------------------------------------------------------------


def stopped(d: dict[str, Any]) -> None:
    _sql(d)["settings"]["activationPolicy"] = "NEVER"


SIDECAR = {
    "name": "otel-collector",
    "image": "us-docker.pkg.dev/cloud-ops-agents-artifacts/otelcol-google:0.121.0",
    "env": [{"name": "OTEL_LOG_LEVEL", "value": "info"}],
    "resources": {"limits": {"cpu": "1", "memory": "512Mi"}},
}


def sidecar_first(d: dict[str, Any]) -> None:
    rev = _revision(d)
    rev["containers"] = [copy.deepcopy(SIDECAR), *rev["containers"]]


def sidecar_with_the_env_first_and_ingress_missing_postgres(d: dict[str, Any]) -> None:
    rev = _revision(d)
    ingress = rev["containers"][0]
    side = copy.deepcopy(SIDECAR)
    side["env"] = copy.deepcopy(ingress["env"])  # the sidecar has it all
    ingress["env"] = [e for e in ingress["env"] if e["name"] not in ("POSTGRES_HOST", "POSTGRES_PORT")]
    rev["containers"] = [side, ingress]


def sidecar_first_and_sql_only_in_the_ingress_env(d: dict[str, Any]) -> None:
    """No Cloud SQL volume: only the ingress container's POSTGRES_HOST names the instance."""
    rev = _revision(d)
    rev.pop("volumes", None)
    ingress = rev["containers"][0]
    ingress.pop("volumeMounts", None)
    for e in ingress["env"]:
        if e["name"] == "POSTGRES_HOST":
            e["value"] = "10.107.0.3"
    rev["containers"] = [copy.deepcopy(SIDECAR), ingress]


def result_names_the_documented_source(d: dict[str, Any]) -> None:
    uri = f"projects/{P}/locations/{R}/revisions/{REV}"
    d["networkmanagement"]["results"][0]["source"] = {"cloudRunRevision": {"uri": uri}}


def trace_viewer_permission_missing(d: dict[str, Any]) -> None:
    result = d["networkmanagement"]["results"][0]["reachabilityDetails"]
    steps = result["traces"][0]["steps"]
    steps[1:] = [
        {
            "description": "Special state: viewer of the test result does not have permission to see "
            "the configuration in this step.",
            "state": "VIEWER_PERMISSION_MISSING",
            "projectId": HOST,
        }
    ]


def _policy(kind: str, rules: list[dict[str, Any]], name: str = "egress-policy") -> Edit:
    def edit(d: dict[str, Any]) -> None:
        policy: dict[str, Any] = {"name": name, "rules": rules}
        if kind == "HIERARCHY":
            policy.update(name="601234567890", shortName=name, parent=ORG)
            policy["associations"] = [{"name": "org", "attachmentTarget": ORG}]
        else:
            target = f"{NET}/{P}/global/networks/staging-vpc"
            policy["associations"] = [{"name": "staging", "attachmentTarget": target, "priority": 1000}]
        d["compute"].setdefault("firewallPolicies", []).append(policy)

    return edit


def _deny(cidr: str, **extra: Any) -> dict[str, Any]:
    return {
        "priority": 1000,
        "action": "deny",
        "direction": "EGRESS",
        "ruleName": "deny-data-tier",
        "match": {"destIpRanges": [cidr], "layer4Configs": [{"ipProtocol": "all"}]},
        **extra,
    }


def before_classic(d: dict[str, Any]) -> None:
    d["compute"]["networks"][0]["networkFirewallPolicyEnforcementOrder"] = "BEFORE_CLASSIC_FIREWALL"


def failed_rollout_reconciling_flag_clear(d: dict[str, Any]) -> None:
    """A rollout whose new revision failed, as Cloud Run reports it (see s1): observedGeneration
    stays on the last serving generation, terminalCondition FAILED, reconciling false."""
    s = _service(d)
    s["generation"] = "43"
    s["terminalCondition"] = {
        "type": "Ready",
        "state": "CONDITION_FAILED",
        "reason": "REVISION_FAILED",
        "message": "Revision 'netra-backend-staging-00043-new' is not ready and cannot serve traffic.",
    }
    s["latestCreatedRevision"] = s["latestCreatedRevision"].replace("00042-xq7", "00043-new")
    new = copy.deepcopy(_revision(d))
    new["name"] = new["name"].replace("00042-xq7", "00043-new")
    new["conditions"] = [
        {"type": "Ready", "state": "CONDITION_FAILED", "message": "Container failed to start."},
    ]
    d["run"]["revisions"].append(new)


def same_name_network_in_the_host(d: dict[str, Any]) -> None:
    """Cloud SQL writes privateNetwork as "/projects/P/global/networks/N"; here P is the Shared
    VPC host project, whose network happens to share its name with the service project's."""
    _sql(d)["settings"]["ipConfiguration"]["privateNetwork"] = f"/projects/{HOST}/global/networks/staging-vpc"


def sql_private_network_leading_slash(d: dict[str, Any]) -> None:
    _sql(d)["settings"]["ipConfiguration"]["privateNetwork"] = f"/projects/{P}/global/networks/staging-vpc"


def secret_alias(d: dict[str, Any]) -> None:
    for e in _env(d):
        if e["name"] == "JWT_SECRET_KEY":
            e["valueSource"]["secretKeyRef"]["version"] = "current"
    secret = next(s for s in d["secretmanager"]["secrets"] if s["name"].endswith("/jwt-secret-key-staging"))
    secret["versionAliases"] = {"current": "2"}


def secret_by_number(version: str) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        for e in _env(d):
            if e["name"] == "JWT_SECRET_KEY":
                e["valueSource"]["secretKeyRef"] = {
                    "secret": "projects/701982941522/secrets/jwt-secret-key-staging",
                    "version": version,
                }

    return edit


def empty_log_pages(d: dict[str, Any]) -> None:
    # Logging may answer several empty pages, each with a new nextPageToken, before the entries.
    d["faults"] = [{"api": "logging", "emptyPage": True, "times": 3}]


def persistent_500(d: dict[str, Any]) -> None:
    d["faults"] = [{"api": "sqladmin", "status": 500}]


def direct_vpc_egress(d: dict[str, Any]) -> None:
    _revision(d)["vpcAccess"] = {
        "egress": "PRIVATE_RANGES_ONLY",
        "networkInterfaces": [
            {
                "network": f"projects/{P}/global/networks/staging-vpc",
                "subnetwork": f"projects/{P}/regions/{R}/subnetworks/staging-subnet",
                "tags": ["backend"],
            }
        ],
    }


def _move_network_to_host(d: dict[str, Any]) -> None:
    """staging-vpc (and its subnet, firewalls, ranges) become the host project's."""
    for kind in ("networks", "subnetworks", "firewalls", "routes", "addresses"):
        for item in d["compute"].get(kind, []):
            text = json.dumps(item).replace(f"/projects/{P}/", f"/projects/{HOST}/")
            item.clear()
            item.update(json.loads(text))
    d["redis"]["instances"][0]["authorizedNetwork"] = f"projects/{HOST}/global/networks/staging-vpc"
    _sql(d)["settings"]["ipConfiguration"]["privateNetwork"] = f"/projects/{HOST}/global/networks/staging-vpc"


def connector_in_host_project(d: dict[str, Any]) -> None:
    _move_network_to_host(d)
    conn = d["vpcaccess"]["connectors"][0]
    conn["name"] = f"projects/{HOST}/locations/{R}/connectors/shared-connector"
    _revision(d)["vpcAccess"]["connector"] = conn["name"]


def subnet_mode_connector(d: dict[str, Any]) -> None:
    """A connector built on a host project's /28 subnet: `subnet`, no network/ipCidrRange."""
    _move_network_to_host(d)
    conn = d["vpcaccess"]["connectors"][0]
    conn.pop("network", None)
    conn.pop("ipCidrRange", None)
    conn["subnet"] = {"name": "connector-subnet", "projectId": HOST}
    d["compute"]["subnetworks"].append(
        {
            "name": "connector-subnet",
            "network": f"{NET}/{HOST}/global/networks/staging-vpc",
            "ipCidrRange": "10.8.0.0/28",
            "region": f"{NET}/{HOST}/regions/{R}",
            "selfLink": f"{NET}/{HOST}/regions/{R}/subnetworks/connector-subnet",
        }
    )


def redis_private_service_access(d: dict[str, Any]) -> None:
    r = d["redis"]["instances"][0]
    r["connectMode"] = "PRIVATE_SERVICE_ACCESS"
    r["host"], r["reservedIpRange"] = "10.107.1.4", "10.107.1.0/29"
    # The address lies in the private services range google-managed-services-staging-vpc.


def enterprise_plus(d: dict[str, Any]) -> None:
    _sql(d)["settings"].update(tier="db-perf-optimized-N-8", edition="ENTERPRISE_PLUS")


def _min_tier(tier: str) -> dict[str, Any]:
    return {
        "id": "sql-tier",
        "type": "sql.instance",
        "with": {"instance": "staging-shared-postgres", "min_tier": tier},
    }


# -- the cases -----------------------------------------------------------------------------

# Independent changes share a world (each check reads only its own part) to keep the number
# of processes down; every entry names what it pins.
WRONG = {
    # Cloud SQL: state RUNNABLE "is running, or has been stopped by owner"; activationPolicy NEVER
    # = off. Secret Manager: versions/{alias} resolves through versionAliases.
    "stopped-sql+secret-alias": Case(
        [SQL, TO_SQL, ENV],
        {"sql": "FAIL", "to-sql": "FAIL", "env": "PASS"},
        {
            "sql": ["activationPolicy NEVER", "--activation-policy=ALWAYS"],
            "to-sql": ["activationPolicy NEVER"],
            "env": ["version 2: ENABLED"],
        },
        (stopped, secret_alias),
    ),
    # Cloud Run: the ingress container is the one declaring ports, wherever it is listed.
    "sidecar-first-healthy": Case(
        [ENV], {"env": "PASS"}, {"env": ["backend-1", "the ingress container"]}, (sidecar_first,)
    ),
    # ... and retries: bounded, the error says how many attempts and why it stopped.
    "sidecar-first-broken+retry-discipline": Case(
        [ENV, {**SQL, "timeout": "6s"}],
        {"env": "FAIL", "sql": "ERROR"},
        {"env": ["POSTGRES_HOST is not set", "backend-1"], "sql": ["gave up after", "requests:"]},
        (sidecar_with_the_env_first_and_ingress_missing_postgres, persistent_500),
    ),
    "sidecar-first-sql-env": Case(
        [SQL_FROM],
        {"sql-from": "PASS"},
        {"sql-from": ["env POSTGRES_HOST of container backend-1"]},
        (sidecar_first_and_sql_only_in_the_ingress_env,),
    ),
    # Cloud NGFW: hierarchical policies are evaluated before VPC firewall rules. Network
    # Management: source cloudRunRevision.uri is projects/P/locations/L/revisions/R.
    "hierarchical-deny+confirm-documented-uri": Case(
        [TO_SQL, CONFIRM],
        {"to-sql": "FAIL", "confirm": "PASS"},
        {"to-sql": ["hierarchical firewall policy org-data-guard"], "confirm": ["complete trace"]},
        (
            _policy("HIERARCHY", [_deny("10.107.0.0/16")], "org-data-guard"),
            result_names_the_documented_source,
        ),
    ),
    # Network Management: REACHABLE also covers an analysis stopped at VIEWER_PERMISSION_MISSING.
    # Network references keep their project: /projects/HOST/global/networks/N is not ours.
    "incomplete-trace+shared-vpc-same-name": Case(
        [CONFIRM, TO_SQL],
        {"confirm": "ERROR", "to-sql": "FAIL"},
        {
            "confirm": ["VIEWER_PERMISSION_MISSING", "roles/compute.networkViewer", HOST],
            "to-sql": [f"staging-vpc (project {HOST})"],
        },
        (trace_viewer_permission_missing, same_name_network_in_the_host),
    ),
    # Cloud NGFW: BEFORE_CLASSIC_FIREWALL puts network firewall policies before VPC rules.
    # Secret Manager: a pinned DISABLED version fails.
    "network-policy-before-classic+secret-pinned-disabled": Case(
        [TO_REDIS, ENV],
        {"to-redis": "FAIL", "env": "FAIL"},
        {
            "to-redis": ["network firewall policy egress-policy", "BEFORE_CLASSIC_FIREWALL"],
            "env": ["version 1", "DISABLED"],
        },
        (_policy("NETWORK", [_deny("10.166.204.80/29")]), before_classic, secret_by_number("1")),
    ),
    # ... AFTER_CLASSIC_FIREWALL (the default): the VPC allow rule matches first.
    # Logging: empty pages with a new token each, then the entries.
    "network-policy-after-classic+empty-log-pages": Case(
        [TO_REDIS, BOOT],
        {"to-redis": "PASS", "boot": "PASS"},
        {"to-redis": ["AFTER_CLASSIC_FIREWALL"]},
        (_policy("NETWORK", [_deny("10.166.204.80/29")]), empty_log_pages),
    ),
    # Cloud NGFW: a rule targeting secure tags gate cannot map is "cannot prove".
    "secure-tag-target": Case(
        [TO_SQL],
        {"to-sql": "ERROR"},
        {"to-sql": ["cannot prove", "secure tags"]},
        (
            _policy(
                "HIERARCHY",
                [
                    _deny(
                        "10.107.0.0/16", targetSecureTags=[{"name": "tagValues/281484", "state": "EFFECTIVE"}]
                    )
                ],
            ),
        ),
    ),
    # Cloud Run: a failed reconciliation is final (terminalCondition), not something to wait out.
    "failed-rollout": Case(
        [REVISION],
        {"revision": "FAIL"},
        {"revision": ["REVISION_FAILED", "terminalCondition"]},
        (failed_rollout_reconciling_flag_clear,),
    ),
}

SHAPES = {
    "direct-vpc-egress": Case(
        [TO_REDIS, TO_SQL], {"to-redis": "PASS", "to-sql": "PASS"}, {}, (direct_vpc_egress,)
    ),
    "connector-in-shared-vpc-host": Case(
        [TO_REDIS, TO_SQL],
        {"to-redis": "PASS", "to-sql": "PASS"},
        {"to-redis": ["shared-connector"]},
        (connector_in_host_project,),
    ),
    "subnet-mode-connector": Case(
        [TO_REDIS, TO_SQL],
        {"to-redis": "PASS", "to-sql": "PASS"},
        {"to-redis": ["10.8.0.0/28"]},
        (subnet_mode_connector,),
    ),
    # Memorystore PRIVATE_SERVICE_ACCESS; Cloud SQL's documented "/projects/P/..." privateNetwork.
    "redis-private-service-access+sql-leading-slash": Case(
        [TO_REDIS, TO_SQL],
        {"to-redis": "PASS", "to-sql": "PASS"},
        {"to-redis": ["private services access"]},
        (redis_private_service_access, sql_private_network_leading_slash),
    ),
    # Enterprise Plus tiers; secretKeyRef by full name with the project number, pinned "2".
    "enterprise-plus+secret-pinned-by-project-number": Case(
        [_min_tier("db-custom-4-15360"), {**_min_tier("db-perf-optimized-N-16"), "id": "sql-tier-16"}, ENV],
        {"sql-tier": "PASS", "sql-tier-16": "FAIL", "env": "PASS"},
        {"sql-tier": ["8 vCPU"], "env": ["version 2: ENABLED"]},
        (enterprise_plus, secret_by_number("2")),
    ),
}

CASES = {**WRONG, **SHAPES}


def _write(tmp: Path, name: str, case: Case) -> tuple[Path, Path]:
    world = copy.deepcopy(_s12())
    world["name"] = name
    for edit in case.edits:
        edit(world)
    policy = {"apiVersion": "gate/v1", "kind": "Policy", "project": P, "region": R, "checks": case.checks}
    wpath, ppath = tmp / f"{name}.world.yaml", tmp / f"{name}.policy.yaml"
    wpath.write_text(yaml.safe_dump(world, sort_keys=False), encoding="utf-8")
    ppath.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return wpath, ppath


def _run(world: Path, policy: Path) -> tuple[int, dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE")}
    cmd = [sys.executable, "-m", "gate", "check", "--project", P, "--policy", str(policy)]
    cmd += ["--world", str(world), "--no-fail-fast", "-f", "json"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240, env=env)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}), r.stderr


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, dict[str, Any], str]]:
    tmp = tmp_path_factory.mktemp("semantics")
    paths = {name: _write(tmp, name, case) for name, case in CASES.items()}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(_run, *p) for name, p in paths.items()}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_verdict_through_the_cli(name: str, reports: dict[str, Any]) -> None:
    code, doc, stderr = reports[name]
    assert doc, (code, stderr[-2000:])
    assert "Traceback" not in stderr
    case = CASES[name]
    checks = {c["id"]: c for c in doc["checks"]}
    got = {cid: checks[cid]["status"] for cid in case.expect}
    assert got == case.expect, {cid: checks[cid]["summary"] for cid in case.expect}
    for cid, words in case.words.items():
        text = checks[cid]["summary"] + json.dumps(checks[cid]["evidence"]) + checks[cid]["remediation"]
        for w in words:
            assert w in text, (cid, w, checks[cid]["summary"])


def test_a_failed_rollout_is_final_on_the_first_attempt(reports: dict[str, Any]) -> None:
    """It does not wait out the retry deadline (20 s here) blaming reconciliation."""
    _, doc, _ = reports["failed-rollout"]
    (rev,) = [c for c in doc["checks"] if c["id"] == "revision"]
    assert len(rev["attempts"]) == 1, rev["summary"]
    assert "reconciling" not in rev["summary"]


def test_retries_stop_well_before_the_old_33_requests(reports: dict[str, Any]) -> None:
    """1 s, 2 s, 4 s (+ jitter) within a 6 s timeout: at most 3 requests, and the error says so."""
    _, doc, _ = reports["sidecar-first-broken+retry-discipline"]
    (sql,) = [c for c in doc["checks"] if c["id"] == "sql"]
    n = int(sql["summary"].split("gave up after ", 1)[1].split(" ", 1)[0])
    assert 1 <= n <= 3, sql["summary"]
