"""gate.gcp.names: short names, full resource names and Compute self links."""

from __future__ import annotations

import pytest

from gate.gcp import names

PARENT = "projects/p/locations/us-central1"


def test_full_names_a_short_name_under_its_parent() -> None:
    assert names.full("api", PARENT, "services") == f"{PARENT}/services/api"


def test_full_keeps_a_full_name() -> None:
    name = "projects/other/locations/europe-west1/services/api"
    assert names.full(name, PARENT, "services") == name


@pytest.mark.parametrize("name", ["locations/r/services/api", "services/api", "api/"])
def test_full_refuses_a_partial_path(name: str) -> None:
    with pytest.raises(ValueError) as e:
        names.full(name, PARENT, "services")
    assert str(e.value) == f"{name!r} is neither a short name nor a full resource name"


@pytest.mark.parametrize(
    ("name", "last"),
    [
        ("projects/p/global/networks/vpc-a", "vpc-a"),
        ("projects/p/global/networks/vpc-a/", "vpc-a"),
        ("vpc-a", "vpc-a"),
        ("", ""),
    ],
)
def test_last(name: str, last: str) -> None:
    assert names.last(name) == last


def test_segment() -> None:
    name = f"{PARENT}/services/api/revisions/api-00001"
    assert names.segment(name, "locations") == "us-central1"
    assert names.segment(name, "projects") == "p"
    assert names.segment(name, "revisions") == "api-00001"
    assert names.segment(name, "jobs") is None
    assert names.segment("projects/p/locations", "locations") is None  # no id after it
    assert names.segment("", "projects") is None


@pytest.mark.parametrize(
    ("ref", "want"),
    [
        ("https://www.googleapis.com/compute/v1/projects/host/global/networks/vpc-a", ("host", "vpc-a")),
        ("https://compute.googleapis.com/compute/beta/projects/h2/regions/r/subnetworks/s", ("h2", "s")),
        ("http://127.0.0.1:9/compute/alpha/projects/h3/global/networks/n", ("h3", "n")),
        ("projects/host/global/networks/vpc-a", ("host", "vpc-a")),
        ("global/networks/vpc-a", ("dflt", "vpc-a")),
        ("vpc-a", ("dflt", "vpc-a")),
        ("https://www.googleapis.com/compute/v2/projects/x/global/networks/n", ("dflt", "n")),
    ],
)
def test_compute_ref(ref: str, want: tuple[str, str]) -> None:
    assert names.compute_ref(ref, "dflt") == want
