"""The facade a run's check types read facts through: one provider per Google API.

Each provider is built on first use (a duplicate built by a race is harmless: the
state lives in the transport) and imports only its own client then, so a
policy that never reads Compute never pays for ``google.cloud.compute_v1``. The
plumbing (clients, retries, memo, statistics) is :class:`Transport`; providers
depend on it, never on this module.

One name per API everywhere: the attribute here, the provider's module in
``gate.gcp`` and the API key in ``Transport`` / the emulator are the same word.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from gate.gcp.transport.clients import CallStats, Transport
from gate.gcp.transport.connection import Connection

if TYPE_CHECKING:
    from gate.gcp.compute import ComputeProvider
    from gate.gcp.logging import LoggingProvider
    from gate.gcp.monitoring import MonitoringProvider
    from gate.gcp.networkmanagement import NetworkManagementProvider
    from gate.gcp.redis import RedisProvider
    from gate.gcp.run import RunProvider
    from gate.gcp.secretmanager import SecretManagerProvider
    from gate.gcp.sqladmin import SqlAdminProvider
    from gate.gcp.vpcaccess import VpcAccessProvider


class Cloud:
    def __init__(self, connection: Connection, project: str, region: str, *, concurrency: int = 16) -> None:
        self.transport = Transport(connection, project, region, concurrency=concurrency)
        self.project = project
        self.region = region

    @property
    def stats(self) -> CallStats:
        return self.transport.stats

    @functools.cached_property
    def run(self) -> RunProvider:
        from gate.gcp.run import RunProvider

        return RunProvider(self.transport)

    @functools.cached_property
    def vpcaccess(self) -> VpcAccessProvider:
        from gate.gcp.vpcaccess import VpcAccessProvider

        return VpcAccessProvider(self.transport)

    @functools.cached_property
    def redis(self) -> RedisProvider:
        from gate.gcp.redis import RedisProvider

        return RedisProvider(self.transport)

    @functools.cached_property
    def sqladmin(self) -> SqlAdminProvider:
        from gate.gcp.sqladmin import SqlAdminProvider

        return SqlAdminProvider(self.transport)

    @functools.cached_property
    def compute(self) -> ComputeProvider:
        from gate.gcp.compute import ComputeProvider

        return ComputeProvider(self.transport)

    @functools.cached_property
    def secretmanager(self) -> SecretManagerProvider:
        from gate.gcp.secretmanager import SecretManagerProvider

        return SecretManagerProvider(self.transport)

    @functools.cached_property
    def networkmanagement(self) -> NetworkManagementProvider:
        from gate.gcp.networkmanagement import NetworkManagementProvider

        return NetworkManagementProvider(self.transport)

    @functools.cached_property
    def logging(self) -> LoggingProvider:
        from gate.gcp.logging import LoggingProvider

        return LoggingProvider(self.transport)

    @functools.cached_property
    def monitoring(self) -> MonitoringProvider:
        from gate.gcp.monitoring import MonitoringProvider

        return MonitoringProvider(self.transport)
