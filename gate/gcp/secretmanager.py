"""Secret Manager: secret and version *metadata* only.

Never calls accessSecretVersion: the gate proves a secret version exists and is
ENABLED, it never reads secret data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate.gcp import names
from gate.gcp.facts import need, need_enum, timestamp

if TYPE_CHECKING:
    from gate.gcp.transport.clients import Transport


@dataclass(frozen=True)
class Secret:
    name: str  # projects/p/secrets/s (the API answers with the project *number*)
    create_time: dt.datetime | None
    labels: tuple[tuple[str, str], ...]
    version_aliases: tuple[tuple[str, int], ...]
    etag: str


@dataclass(frozen=True)
class SecretVersion:
    name: str  # resolved: projects/p/secrets/s/versions/7 even when asked for "latest"
    state: str  # ENABLED / DISABLED / DESTROYED
    create_time: dt.datetime | None
    destroy_time: dt.datetime | None

    @property
    def version(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def enabled(self) -> bool:
        return self.state == "ENABLED"


class SecretManagerProvider:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def secret_name(self, secret: str) -> str:
        return names.full(secret, f"projects/{self.transport.project}", "secrets")

    def secret(self, secret: str, *, deadline: float, fresh: bool = False) -> Secret:
        full = self.secret_name(secret)

        def get(dl: float) -> Secret:
            client = self.transport.client("secretmanager")
            m = self.transport.call(
                "secretmanager",
                "GetSecret",
                lambda t: client.get_secret(name=full, retry=None, timeout=t),
                deadline=dl,
                resource=full,
                permission="secretmanager.secrets.get",
            )
            return Secret(
                name=need(m.name, "name", full),
                create_time=timestamp(m.create_time),
                labels=tuple(sorted(m.labels.items())),
                version_aliases=tuple(sorted((k, int(v)) for k, v in m.version_aliases.items())),
                etag=m.etag,
            )

        return self.transport.fetch(("secretmanager.secret", full), get, deadline=deadline, fresh=fresh)

    def version(
        self, secret: str, version: str = "latest", *, deadline: float, fresh: bool = False
    ) -> SecretVersion:
        """Version metadata; ``latest`` is the most recently created version, whatever its state."""
        full = f"{self.secret_name(secret)}/versions/{version or 'latest'}"

        def get(dl: float) -> SecretVersion:
            client = self.transport.client("secretmanager")
            m = self.transport.call(
                "secretmanager",
                "GetSecretVersion",
                lambda t: client.get_secret_version(name=full, retry=None, timeout=t),
                deadline=dl,
                resource=full,
                permission="secretmanager.versions.get",
            )
            return parse_version(m, full)

        return self.transport.fetch(("secretmanager.version", full), get, deadline=deadline, fresh=fresh)


def parse_version(m: Any, asked: str) -> SecretVersion:
    return SecretVersion(
        name=need(m.name, "name", asked),
        state=need_enum(m.state, "state", asked),
        create_time=timestamp(m.create_time),
        destroy_time=timestamp(m.destroy_time),
    )
