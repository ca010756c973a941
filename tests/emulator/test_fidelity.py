"""Emulator behaviours the real APIs document and gate relies on: version aliases, Logging's
body page token with several empty pages, effective firewalls, RetryInfo, strict worlds."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
import yaml

from gate.emulator import Emulator, Fault, parse_world
from gate.errors import InputError
from tests.emulator.conftest import WORLDS, client

NO_RETRY = {"retry": None, "timeout": 5}
NET = "https://www.googleapis.com/compute/v1/projects/netra-staging/global/networks/staging-vpc"


def _s12() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORLDS / "s12-healthy.yaml").read_text())
    return copy.deepcopy(data)


def _world(data: dict[str, Any]) -> Any:
    return parse_world(yaml.safe_dump(data, sort_keys=False), "<fidelity>")


def test_secret_version_alias_resolves_to_its_number() -> None:
    from google.cloud import secretmanager_v1

    data = _s12()
    data["secretmanager"]["secrets"][0]["versionAliases"] = {"current": "2"}
    with Emulator(_world(data)) as emu:
        c = client(secretmanager_v1.SecretManagerServiceClient, emu)
        v = c.get_secret_version(
            name="projects/netra-staging/secrets/jwt-secret-key-staging/versions/current", **NO_RETRY
        )
        assert v.name.endswith("/versions/2") and v.state.name == "ENABLED"


def test_logging_reads_the_page_token_from_the_body_and_serves_new_tokens_on_empty_pages(
    emu: Emulator,
) -> None:
    emu.add_fault(Fault(api="logging", empty_page=True, times=3))
    url = f"{emu.api_endpoint}/v2/entries:list"
    body: dict[str, Any] = {"resourceNames": ["projects/netra-staging"], "pageSize": 1000}
    tokens, entries = [], 0
    for _ in range(10):
        page = httpx.post(url, json=body).json()
        entries += len(page.get("entries", []))
        token = page.get("nextPageToken")
        if not token:
            break
        tokens.append(token)
        body["pageToken"] = token
    assert len(tokens) == 3 and len(set(tokens)) == 3  # three empty pages, each a new token
    assert entries == 8  # then every entry of the world


def _with_policies(data: dict[str, Any]) -> dict[str, Any]:
    rule = {
        "priority": 100,
        "action": "deny",
        "direction": "EGRESS",
        "match": {"destIpRanges": ["10.0.0.0/8"], "layer4Configs": [{"ipProtocol": "all"}]},
    }
    data["compute"]["firewallPolicies"] = [
        {
            "name": "601234567890",
            "shortName": "org",
            "parent": "organizations/1",
            "associations": [{"name": "o", "attachmentTarget": "organizations/1"}],
            "rules": [rule],
        },
        {
            "name": "global-pol",
            "associations": [{"name": "a", "attachmentTarget": NET, "priority": 500}],
            "rules": [rule],
        },
        {
            "name": "regional-pol",
            "region": "https://www.googleapis.com/compute/v1/projects/netra-staging/regions/us-central1",
            "associations": [{"name": "a", "attachmentTarget": NET, "priority": 700}],
            "rules": [rule],
        },
        {"name": "unattached", "rules": [rule]},
    ]
    return data


def test_effective_firewalls_global_and_regional() -> None:
    from google.cloud import compute_v1

    with Emulator(_world(_with_policies(_s12()))) as emu:
        glob = client(compute_v1.NetworksClient, emu).get_effective_firewalls(
            project="netra-staging", network="staging-vpc", **NO_RETRY
        )
        regional = client(compute_v1.RegionNetworkFirewallPoliciesClient, emu).get_effective_firewalls(
            project="netra-staging", region="us-central1", network=NET, **NO_RETRY
        )
        elsewhere = client(compute_v1.RegionNetworkFirewallPoliciesClient, emu).get_effective_firewalls(
            project="netra-staging", region="europe-west1", network="staging-vpc", **NO_RETRY
        )
    assert [(p.type_, p.short_name, p.priority) for p in glob.firewall_policys] == [
        ("HIERARCHY", "org", 0),
        ("NETWORK", "", 500),
    ]
    assert [(p.type_, p.display_name or p.name) for p in regional.firewall_policys] == [
        ("HIERARCHY", "org"),
        ("NETWORK", "global-pol"),
        ("NETWORK_REGIONAL", "regional-pol"),
    ]
    assert [p.type_ for p in elsewhere.firewall_policys] == ["HIERARCHY", "NETWORK"]
    assert (
        {f.name for f in glob.firewalls}
        == {f.name for f in regional.firewalls}
        == {
            "allow-connector-to-redis",
            "serverless-to-vpc-connector",
        }
    )


def test_effective_firewalls_of_an_unknown_network_is_404(emu: Emulator) -> None:
    r = httpx.get(
        f"{emu.api_endpoint}/compute/v1/projects/netra-staging/global/networks/nope/getEffectiveFirewalls"
    )
    assert r.status_code == 404 and r.json()["error"]["errors"][0]["reason"] == "notFound"


def test_injected_error_can_carry_retry_info(emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", status=429, retry_delay="7s", times=1))
    r = httpx.get(f"{emu.api_endpoint}/v2/projects/netra-staging/locations/us-central1/services/x")
    (detail,) = r.json()["error"]["details"]
    assert detail == {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda d: d["compute"].update(
                firewallPolicies=[{"name": "p", "rules": [{"action": "deny", "direction": "OUTWARD"}]}]
            ),
            "compute.firewallPolicies[0].rules[0].direction",
        ),
        (
            lambda d: d["sqladmin"]["instances"][0]["settings"].update(activationPolicy="SOMETIMES"),
            "activationPolicy",
        ),
        (
            lambda d: d["networkmanagement"]["results"][0].update(
                source={
                    "cloudRunRevision": {
                        "uri": "projects/netra-staging/locations/us-central1/services/s/revisions/r"
                    }
                }
            ),
            "projects/{project}/locations/{location}/revisions/{revision}",
        ),
        (lambda d: d.update(faults=[{"api": "run", "status": 429, "retryDelay": "soon"}]), "Duration"),
    ],
    ids=["policy-enum", "activation-enum", "revision-uri", "retry-delay"],
)
def test_world_refuses_what_the_api_would_never_answer(change: Any, words: str) -> None:
    data = _s12()
    change(data)
    with pytest.raises(InputError) as e:
        _world(data)
    assert words in str(e.value)
