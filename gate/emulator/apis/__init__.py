"""One module per Google API; each exposes ``ROUTES``."""

from __future__ import annotations

from gate.emulator.state import Route


def all_routes() -> list[Route]:
    from gate.emulator.apis import (
        compute,
        logging,
        monitoring,
        networkmanagement,
        redis,
        run,
        secretmanager,
        sqladmin,
        vpcaccess,
    )

    out: list[Route] = []
    for mod in (
        run,
        vpcaccess,
        redis,
        sqladmin,
        compute,
        logging,
        monitoring,
        secretmanager,
        networkmanagement,
    ):
        out.extend(mod.ROUTES)
    return out
