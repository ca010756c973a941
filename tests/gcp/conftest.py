"""Providers against the emulator over real HTTP, through the official clients."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from gate.emulator import Emulator, parse_world
from gate.gcp.cloud import Cloud
from gate.gcp.transport.connection import Connection

PROJECT = "netra-staging"
REGION = "us-central1"
LOC = f"projects/{PROJECT}/locations/{REGION}"
SERVICE = f"{LOC}/services/netra-backend-staging"
REVISION = f"{SERVICE}/revisions/netra-backend-staging-00042-abc"
NETWORK = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/global/networks/staging-vpc"

BASE: dict[str, Any] = {
    "run": {
        "services": [
            {
                "name": SERVICE,
                "generation": "7",
                "observedGeneration": "7",
                "uri": "https://netra-backend-staging-pnovr5vsba-uc.a.run.app",
                "urls": [
                    "https://netra-backend-staging-701982941522.us-central1.run.app",
                    "https://netra-backend-staging-pnovr5vsba-uc.a.run.app",
                ],
                "latestCreatedRevision": REVISION,
                "latestReadyRevision": REVISION,
                "terminalCondition": {
                    "type": "Ready",
                    "state": "CONDITION_SUCCEEDED",
                    "lastTransitionTime": "2025-11-20T10:00:00Z",
                },
                "conditions": [
                    {"type": "RoutesReady", "state": "CONDITION_SUCCEEDED"},
                    {
                        "type": "ConfigurationsReady",
                        "state": "CONDITION_FAILED",
                        "reason": "CONTAINER_MISSING",
                        "message": "image gone",
                    },
                ],
                "traffic": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
                "trafficStatuses": [
                    {
                        "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                        "revision": "netra-backend-staging-00042-abc",
                        "percent": 100,
                    },
                    {
                        "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                        "tag": "canary",
                        "revision": "netra-backend-staging-00042-abc",
                        "uri": "https://canary---netra-backend-staging-pnovr5vsba-uc.a.run.app",
                    },
                ],
                "etag": '"abc123"',
            }
        ],
        "revisions": [
            {
                "name": REVISION,
                "service": "netra-backend-staging",
                "generation": "1",
                "createTime": "2025-11-20T09:59:00Z",
                "serviceAccount": "backend@netra-staging.iam.gserviceaccount.com",
                "conditions": [
                    {"type": "Ready", "state": "CONDITION_SUCCEEDED"},
                    {
                        "type": "ContainerHealthy",
                        "state": "CONDITION_FAILED",
                        "revisionReason": "HEALTH_CHECK_CONTAINER_ERROR",
                        "message": "exited 3",
                    },
                ],
                "containers": [
                    {
                        "name": "backend",
                        "image": "gcr.io/netra-staging/backend:abc",
                        "env": [
                            {"name": "POSTGRES_HOST", "value": "10.0.0.5"},
                            {"name": "DATABASE_URL", "value": "postgres://u:hunter2@db/x"},
                            {
                                "name": "JWT_SECRET_KEY",
                                "valueSource": {
                                    "secretKeyRef": {"secret": "jwt-secret-key-staging", "version": "latest"}
                                },
                            },
                        ],
                    }
                ],
                "vpcAccess": {
                    "connector": f"{LOC}/connectors/staging-connector",
                    "egress": "PRIVATE_RANGES_ONLY",
                },
                "volumes": [
                    {
                        "name": "cloudsql",
                        "cloudSqlInstance": {
                            "instances": ["netra-staging:us-central1:staging-shared-postgres"]
                        },
                    }
                ],
            }
        ],
    },
    "secretmanager": {
        "secrets": [
            {
                "name": f"projects/{PROJECT}/secrets/jwt-secret-key-staging",
                "replication": {"automatic": {}},
                "createTime": "2025-01-01T00:00:00Z",
            }
        ],
        "versions": [
            {
                "name": f"projects/{PROJECT}/secrets/jwt-secret-key-staging/versions/1",
                "state": "ENABLED",
                "createTime": "2025-01-01T00:00:00Z",
            },
            {
                "name": f"projects/{PROJECT}/secrets/jwt-secret-key-staging/versions/2",
                "state": "DISABLED",
                "createTime": "2025-02-01T00:00:00Z",
            },
        ],
    },
    "sqladmin": {
        "instances": [
            {
                "name": "staging-shared-postgres",
                "project": PROJECT,
                "state": "RUNNABLE",
                "databaseVersion": "POSTGRES_15",
                "region": REGION,
                "gceZone": "us-central1-c",
                "connectionName": "netra-staging:us-central1:staging-shared-postgres",
                "settings": {
                    "tier": "db-g1-small",
                    "availabilityType": "ZONAL",
                    "activationPolicy": "ALWAYS",
                    "ipConfiguration": {
                        "ipv4Enabled": False,
                        "privateNetwork": f"projects/{PROJECT}/global/networks/staging-vpc",
                    },
                },
                "ipAddresses": [{"type": "PRIVATE", "ipAddress": "10.20.0.3"}],
            }
        ],
        "tiers": [
            {
                "tier": "db-g1-small",
                "RAM": "1825361920",
                "DiskQuota": "3078632557568",
                "region": ["us-central1"],
            },
            {
                "tier": "db-custom-2-7680",
                "RAM": "8053063680",
                "DiskQuota": "3078632557568",
                "region": ["us-central1", "europe-west1"],
            },
        ],
    },
    "vpcaccess": {
        "connectors": [
            {
                "name": f"{LOC}/connectors/staging-connector",
                "network": "staging-vpc",
                "ipCidrRange": "10.1.0.0/28",
                "state": "READY",
                "minInstances": 2,
                "maxInstances": 10,
                "minThroughput": 200,
                "maxThroughput": 1000,
            }
        ]
    },
    "redis": {
        "instances": [
            {
                "name": f"{LOC}/instances/staging-redis-f1adc35c",
                "host": "10.166.204.83",
                "port": 6379,
                "state": "READY",
                "authorizedNetwork": f"projects/{PROJECT}/global/networks/staging-vpc",
                "connectMode": "PRIVATE_SERVICE_ACCESS",
                "reservedIpRange": "10.166.204.80/29",
                "locationId": "us-central1-a",
                "authEnabled": True,
                "transitEncryptionMode": "SERVER_AUTHENTICATION",
            }
        ]
    },
    "compute": {
        "networks": [
            {
                "name": "staging-vpc",
                "selfLink": NETWORK,
                "autoCreateSubnetworks": False,
                "peerings": [
                    {
                        "name": "servicenetworking-googleapis-com",
                        "state": "ACTIVE",
                        "network": "https://www.googleapis.com/compute/v1/projects/sn-tp/global/"
                        "networks/servicenetworking",
                    }
                ],
            }
        ],
        "subnetworks": [
            {
                "name": "staging-subnet",
                "region": f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/regions/{REGION}",
                "network": NETWORK,
                "ipCidrRange": "10.10.0.0/24",
            }
        ],
        "firewalls": [
            {
                "name": "deny-redis",
                "network": NETWORK,
                "direction": "EGRESS",
                "priority": 900,
                "denied": [{"IPProtocol": "tcp", "ports": ["6379"]}],
                "destinationRanges": ["10.166.204.80/29"],
            },
            {
                "name": "allow-internal",
                "network": NETWORK,
                "direction": "INGRESS",
                "allowed": [{"IPProtocol": "all"}],
                "sourceRanges": ["10.0.0.0/8"],
                "targetTags": ["db"],
            },
            {
                "name": "other-net",
                "network": NETWORK.replace("staging-vpc", "default"),
                "direction": "INGRESS",
                "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}],
                "sourceRanges": ["0.0.0.0/0"],
            },
        ],
        "routes": [
            {
                "name": "default-internet",
                "network": NETWORK,
                "destRange": "0.0.0.0/0",
                "priority": 1000,
                "nextHopGateway": f"projects/{PROJECT}/global/gateways/default-internet-gateway",
            }
        ],
        "addresses": [
            {
                "name": "google-managed-services-staging-vpc",
                "address": "10.166.204.0",
                "prefixLength": 22,
                "purpose": "VPC_PEERING",
                "network": NETWORK,
                "addressType": "INTERNAL",
            }
        ],
    },
}


def make_world(**overrides: Any) -> Any:
    data: dict[str, Any] = {"apiVersion": "gate/v1", "kind": "World", "name": "gcp-tests", "project": PROJECT}
    data.update(copy.deepcopy(BASE))
    data.update(overrides)
    return parse_world(yaml.safe_dump(data, sort_keys=False), "<tests/gcp>")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(make_world(), port=0) as e:
        yield e


@pytest.fixture
def cloud(emu: Emulator) -> Iterator[Cloud]:
    emu.clear_faults()
    emu.clear_requests()
    yield Cloud(Connection(emulator_host=emu.api_host), PROJECT, REGION, concurrency=16)
    emu.clear_faults()


def soon(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


def sent(emu: Emulator, api: str | None = None, method: str | None = None) -> list[Any]:
    return [
        r for r in emu.requests if (api is None or r.api == api) and (method is None or r.method == method)
    ]
