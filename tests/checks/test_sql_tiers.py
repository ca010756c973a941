"""gate.checks.sql_tiers: Cloud SQL tier sizes and their documented order, without the API."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gate.checks import sql_tiers as st
from gate.checks.sql_tiers import TierSize

MIB = 1024 * 1024


@dataclass(frozen=True)
class Listed:
    tier: str
    ram_bytes: int


# -- tiers known by name -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "size"),
    [
        ("db-f1-micro", TierSize("db-f1-micro", True, 0.2, 614, "table")),
        ("db-g1-small", TierSize("db-g1-small", True, 0.5, 1740, "table")),
        ("db-custom-2-7680", TierSize("db-custom-2-7680", False, 2.0, 7680, "name")),
        ("db-custom-96-638976", TierSize("db-custom-96-638976", False, 96.0, 638976, "name")),
        ("db-n1-standard-1", TierSize("db-n1-standard-1", False, 1.0, 3840, "table")),
        ("db-n1-standard-16", TierSize("db-n1-standard-16", False, 16.0, 61440, "table")),
        ("db-n1-highmem-2", TierSize("db-n1-highmem-2", False, 2.0, 13312, "table")),
        ("db-perf-optimized-N-8", TierSize("db-perf-optimized-N-8", False, 8.0, 65536, "table")),
    ],
)
def test_known_tiers(tier: str, size: TierSize) -> None:
    assert st.known(tier) == size


@pytest.mark.parametrize(
    "tier",
    [
        "db-whatever",
        "db-custom-2",
        "db-custom-2-7680-x",
        "xdb-custom-2-7680",
        "db-n1-standard-",
        "db-n1-standard-4x",
        "my-db-n1-standard-4",
        "db-n1-highmem-two",
        "db-perf-optimized-N-",
        "db-perf-optimized-n-8",  # the family is spelled with a capital N
        "db-f1-micro-2",
        "DB-F1-MICRO",
        "",
    ],
)
def test_names_gate_does_not_know(tier: str) -> None:
    assert st.known(tier) is None


# -- tiers sized through the tiers API --------------------------------------------------------


def test_a_listed_tier_takes_its_memory_from_the_api_and_vcpus_from_its_name() -> None:
    listed = [Listed("db-n2-standard-2", 8 * 1024 * MIB), Listed("db-n2-standard-4", 16 * 1024 * MIB)]
    assert st.from_api("db-n2-standard-4", listed) == TierSize(
        "db-n2-standard-4", False, 4.0, 16384, "tiers API"
    )


def test_memory_is_rounded_down_to_whole_mib() -> None:
    got = st.from_api("db-x-2", [Listed("db-x-2", 3 * MIB + MIB - 1)])
    assert got is not None and got.memory_mib == 3


def test_the_trailing_vcpu_count_ignores_case() -> None:
    got = st.from_api("DB-NEW-Family-32", [Listed("DB-NEW-Family-32", 4 * MIB)])
    assert got is not None and got.vcpu == 32.0


@pytest.mark.parametrize("tier", ["db-enterprise-plus", "db-4", "db-x-4y", "xdb-x-4"])
def test_a_listed_tier_without_a_trailing_vcpu_count_has_none(tier: str) -> None:
    got = st.from_api(tier, [Listed(tier, 4 * MIB)])
    assert got is not None and got.vcpu is None and got.memory_mib == 4


def test_an_unlisted_or_memoryless_tier_is_not_sized() -> None:
    assert st.from_api("db-x-2", []) is None
    assert st.from_api("db-x-2", [Listed("db-y-2", MIB)]) is None
    assert st.from_api("db-x-2", [Listed("db-x-2", 0)]) is None  # the API reports no memory
    one_byte = st.from_api("db-x-2", [Listed("db-x-2", 1)])
    assert one_byte is not None and one_byte.memory_mib == 0
    assert st.from_api("db-x-2", [Listed("db-x-2", 0), Listed("db-x-2", 2 * MIB)]) == TierSize(
        "db-x-2", False, 2.0, 2, "tiers API"
    )


# -- the order -------------------------------------------------------------------------------


def _size(tier: str) -> TierSize:
    size = st.known(tier)
    assert size is not None
    return size


def test_shared_core_is_below_every_dedicated_tier() -> None:
    micro, small = _size("db-f1-micro"), _size("db-g1-small")
    tiny = TierSize("db-custom-1-10", False, 1.0, 10, "name")  # less memory than either
    assert st.at_least(small, micro) and not st.at_least(micro, small)
    assert st.at_least(tiny, small) and not st.at_least(small, tiny)


def test_dedicated_tiers_order_by_vcpus_then_memory() -> None:
    a, b, c = _size("db-custom-2-7680"), _size("db-custom-2-13312"), _size("db-custom-4-3840")
    assert st.at_least(b, a) and not st.at_least(a, b)  # same vCPUs, more memory
    assert st.at_least(c, b) and not st.at_least(b, c)  # more vCPUs beats memory


def test_a_tier_is_at_least_itself() -> None:
    a = _size("db-n1-standard-2")
    assert st.at_least(a, a)
    assert st.at_least(a, _size("db-custom-2-7680"))  # the same size by another name


def test_an_unknown_vcpu_count_cannot_be_ordered() -> None:
    unknown = TierSize("db-enterprise-plus", False, None, 4096, "tiers API")
    with pytest.raises(ValueError) as e:
        st.at_least(unknown, _size("db-f1-micro"))
    assert str(e.value) == "tier db-enterprise-plus: vCPU count unknown"
    with pytest.raises(ValueError):
        st.at_least(_size("db-f1-micro"), unknown)


def test_sort_key() -> None:
    assert _size("db-g1-small").key == (0, 0.5, 1740)
    assert _size("db-custom-2-7680").key == (1, 2.0, 7680)


# -- how a size is shown ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (TierSize("db-f1-micro", True, 0.2, 614, "table"), "shared core (0.2 vCPU) / 0.60 GiB"),
        (TierSize("db-custom-2-7680", False, 2.0, 7680, "name"), "2 vCPU / 7.50 GiB"),
        (TierSize("db-x", False, None, 1536, "tiers API"), "? vCPU / 1.50 GiB"),
        (TierSize("db-y", True, None, 512, "tiers API"), "shared core (? vCPU) / 0.50 GiB"),
        (TierSize("db-z", False, 2.5, 1000, "tiers API"), "2.5 vCPU / 0.98 GiB"),
    ],
)
def test_describe(size: TierSize, text: str) -> None:
    assert size.describe() == text
