"""What ``gate init`` found in a project: names and decisions only, never a value.

Discovery (``gate.starter.discover``) fills these from the APIs; the renderer
(``gate.starter.render``) turns them into a policy. Nothing here can hold an env
value, an IP address or a URL: the renderer cannot leak what it never receives.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EnvName:
    name: str
    secret: str | None = None  # the Secret Manager secret's name when secret-backed
    empty: bool = False  # a literal set to "" on the serving revision
    port: bool = False  # a literal that is a port number (1-65535)
    url: bool = False  # a literal that is scheme://host...


@dataclass(frozen=True)
class RedisUse:
    name: str  # instance id, short (the list is the region's)
    why: str  # "on network staging-vpc, the revision's", "its host is in env REDIS_HOST"


@dataclass(frozen=True)
class SqlUse:
    name: str  # instance name
    project: str
    connection_name: str  # project:region:instance
    tier: str
    engine_prefix: str  # "POSTGRES_", "MYSQL_", "SQLSERVER_"
    why: str  # how the revision uses it
    private_path: bool  # a network.reachability check is written
    no_path_reason: str = ""  # why not, when not


@dataclass(frozen=True)
class Health:
    path: str
    confirmed: bool  # init's own GET of the service URL + path answered 200
    how: str  # what init saw, for the comment


@dataclass(frozen=True)
class BootLog:
    entries: int  # read from the serving revision's first minutes
    marker: str | None  # the regex to require; None: no known marker was seen
    offences: int  # lines the default deny list or the ERROR threshold would reject


@dataclass(frozen=True)
class ServiceFound:
    name: str
    revision: str  # the serving revision (short name) the contract is learnt from
    share: int  # its percent of traffic (0: not serving; learnt from the latest ready one)
    container: str  # the ingress container's name
    sidecars: tuple[str, ...]
    env: tuple[EnvName, ...]
    skipped_env: tuple[str, ...]  # names run.env cannot require (not POSIX names)
    vpc: str  # "connector staging-connector on network staging-vpc", "no VPC access"
    redis: tuple[RedisUse, ...]
    sql: tuple[SqlUse, ...]
    health: Health | None  # None: the service has no URL
    boot_log: BootLog | None  # None: the log could not be read (see notes)
    notes: tuple[str, ...] = ()  # REVIEW lines


@dataclass(frozen=True)
class Inventory:
    project: str
    region: str
    services: tuple[ServiceFound, ...]
    skipped: tuple[str, ...] = ()  # services not covered, each with the reason
    notes: tuple[str, ...] = field(default_factory=tuple)  # project-wide REVIEW lines
