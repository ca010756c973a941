"""Cloud SQL machine tiers in one documented order, so ``min_tier`` means something.

Order: every shared-core tier is below every dedicated tier; shared-core tiers
are ordered db-f1-micro < db-g1-small; dedicated tiers by vCPU count, then by
memory. Sizes come from the public Cloud SQL machine-type tables:

===========================  ==============  ==========================
tier                         vCPU            memory
===========================  ==============  ==========================
db-f1-micro                  shared (0.2)    0.6 GB (614 MiB)
db-g1-small                  shared (0.5)    1.7 GB (1740 MiB)
db-custom-C-M                C               M MiB (as in the name)
db-n1-standard-N (legacy)    N               3.75 GB x N (3840 MiB x N)
db-n1-highmem-N (legacy)     N               6.5 GB x N (6656 MiB x N)
db-perf-optimized-N-C (N2)   C               8 GB x C (8192 MiB x C)
===========================  ==============  ==========================

Any other name is resolved through the tiers API (``sql.tiers.list``), which
reports RAM but not vCPUs; the vCPU count is then taken from a trailing
``-<number>`` (every predefined family ends with its vCPU count, e.g.
``db-n1-standard-4``). A tier whose vCPUs cannot be derived cannot be placed in
the order, and the check says so (ERROR) rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

MIB = 1024 * 1024
_SHARED = {"db-f1-micro": (0.2, 614), "db-g1-small": (0.5, 1740)}
_CUSTOM = re.compile(r"^db-custom-(\d+)-(\d+)$")
_FAMILIES = {
    re.compile(r"^db-n1-standard-(\d+)$"): 3840,
    re.compile(r"^db-n1-highmem-(\d+)$"): 6656,
    re.compile(r"^db-perf-optimized-N-(\d+)$"): 8192,
}
_TRAILING_VCPU = re.compile(r"^db-[a-z0-9-]+?-(\d+)$", re.IGNORECASE)


class ApiTier(Protocol):
    @property
    def tier(self) -> str: ...
    @property
    def ram_bytes(self) -> int: ...


@dataclass(frozen=True)
class TierSize:
    tier: str
    shared: bool
    vcpu: float | None  # None: not derivable (tiers API reports RAM only)
    memory_mib: int
    source: str  # "table", "name" or "tiers API"

    def describe(self) -> str:
        cpu = "? vCPU" if self.vcpu is None else f"{self.vcpu:g} vCPU"
        if self.shared:
            cpu = f"shared core ({cpu})"
        return f"{cpu} / {self.memory_mib / 1024:.2f} GiB"

    @property
    def key(self) -> tuple[int, float, int]:
        if self.vcpu is None:
            raise ValueError(f"tier {self.tier}: vCPU count unknown")
        return (0 if self.shared else 1, self.vcpu, self.memory_mib)


def known(tier: str) -> TierSize | None:
    """The size of a tier gate knows by name, or None."""
    if tier in _SHARED:
        cpu, mem = _SHARED[tier]
        return TierSize(tier, True, cpu, mem, "table")
    m = _CUSTOM.match(tier)
    if m:
        return TierSize(tier, False, float(m.group(1)), int(m.group(2)), "name")
    for pattern, per_cpu in _FAMILIES.items():
        m = pattern.match(tier)
        if m:
            n = int(m.group(1))
            return TierSize(tier, False, float(n), per_cpu * n, "table")
    return None


def from_api(tier: str, listed: Iterable[ApiTier]) -> TierSize | None:
    """Size from the tiers API (RAM), vCPUs from a trailing number; None if not listed."""
    for t in listed:
        if t.tier == tier and t.ram_bytes > 0:
            m = _TRAILING_VCPU.match(tier)
            vcpu = float(m.group(1)) if m else None
            return TierSize(tier, False, vcpu, t.ram_bytes // MIB, "tiers API")
    return None


def at_least(observed: TierSize, minimum: TierSize) -> bool:
    """``observed >= minimum`` in the documented order; ValueError if either vCPU is unknown."""
    return observed.key >= minimum.key
