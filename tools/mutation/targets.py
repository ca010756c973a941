"""What ``python -m tools.mutation`` mutates, against which tests, the goals, and the equivalent mutants."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    files: tuple[str, ...]  # mutated
    tests: tuple[str, ...]  # the target's own unit tests: nothing end to end
    goal: float
    # (label, functions, goal): a part of the target scored on its own
    subsets: tuple[tuple[str, tuple[str, ...], float], ...] = ()


@dataclass(frozen=True)
class Edit:
    """A mutant of code mutmut 3 does not mutate (module level, class bodies, properties).

    ``old`` (exactly once in ``file``) becomes ``new``.
    """

    file: str
    what: str
    old: str
    new: str
    function: str = ""  # a property's name ("Report.verdict") when the edit is inside one


@dataclass(frozen=True)
class Equivalent:
    """A surviving mutant that no test can kill because it does not change behaviour."""

    file: str
    function: str  # as the script names it: "Redactor.text", "redact_url"
    line: str  # the mutated line, stripped, as `mutmut show` prints it
    why: str


TARGETS: tuple[Target, ...] = (
    Target("redact", ("gate/redact.py",), ("tests/test_redact.py",), 0.95),
    Target(
        "netpath",
        ("gate/netpath/hops.py", "gate/netpath/firewall.py", "gate/netpath/destination.py"),
        (
            "tests/netpath/test_hops.py",
            "tests/netpath/test_firewall.py",
            "tests/netpath/test_firewall_policies.py",
            "tests/netpath/test_destination.py",
            "tests/netpath/test_netpath.py",
        ),
        0.90,
    ),
    Target("sql_tiers", ("gate/checks/sql_tiers.py",), ("tests/checks/test_sql_tiers.py",), 0.90),
    Target(
        "model",
        ("gate/model.py",),
        ("tests/test_model.py",),
        0.90,
        subsets=(("verdict", ("Report.verdict", "Report.exit_code", "CheckResult.blocking"), 1.0),),
    ),
)


def _edits(file: str, *changes: tuple[str, str, str], function: str = "") -> tuple[Edit, ...]:
    return tuple(Edit(file, what, old, new, function) for what, old, new in changes)


_REDACT = "gate/redact.py"
_KEY_VALUE = r"""    (
        re.compile(
            # the key must END in the credential word: "client_secret=x" is masked,
            # "secretmanager: HTTP 401" (an API name) is not
            r"(?i)\b([\w-]*(?:token|secret|passw(?:or)?d|api[-_]?key|access[-_]?key|private[-_]?key|secret[-_]?key))"
            r"(\"?\s*[=:]\s*)(\"?)([^\s\"&,;]{3,})"
        ),
        r"\1\2\3" + MASK,
    ),
"""
REDACT_EDITS = _edits(
    _REDACT,
    ("mask", 'MASK = "***"', 'MASK = "**"'),
    ("minimum length 5", "MIN_LENGTH = 4", "MIN_LENGTH = 5"),
    ("minimum length 3", "MIN_LENGTH = 4", "MIN_LENGTH = 3"),
    # CREDENTIAL_PARAMS: each name dropped, case, the end anchor
    ("param: no *token*", "^(.*token.*|", "^("),
    ("param: no *secret*", "|.*secret.*|", "|"),
    ("param: no *password*", "|.*passw(or)?d.*|", "|"),
    ("param: no *api_key*", "|.*api[-_]?key.*|", "|"),
    ("param: no key", ".*|key|sig|", ".*|sig|"),
    ("param: no sig", "|sig|signature|", "|signature|"),
    ("param: no signature", "|signature|auth|", "|auth|"),
    ("param: no auth", "|auth|authorization|", "|authorization|"),
    ("param: no authorization", '|authorization|"', '|"'),
    ("param: no code", 'r"code|credential', 'r"credential'),
    ("param: no credential*", "|credential.*|", "|"),
    ("param: no session*", "|session.*|", "|"),
    ("param: no x-amz-*", "|x-amz-.*|", "|"),
    ("param: no access_key*", '|access[-_]?key.*)$"', ')$"'),
    ("param: case-sensitive", 'r"(?i)^(.*token', 'r"^(.*token'),
    ("param: no end anchor", '.*)$"\n)', '.*)"\n)'),
    # bearer / basic
    (
        "no bearer pattern",
        '    (re.compile(r"(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/=-]{4,}"), r"\\1 " + MASK),\n',
        "",
    ),
    ("bearer only", "(bearer|basic)", "(bearer)"),
    ("basic only", "(bearer|basic)", "(basic)"),
    ("bearer: case-sensitive", 'r"(?i)\\b(bearer', 'r"\\b(bearer'),
    ("bearer: 5 characters", '=-]{4,}"), r"\\1 "', '=-]{5,}"), r"\\1 "'),
    ("bearer: 3 characters", '=-]{4,}"), r"\\1 "', '=-]{3,}"), r"\\1 "'),
    # JWT and jwt.<token>
    (
        "no JWT pattern",
        '    (re.compile(r"\\beyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*"), MASK),\n',
        "",
    ),
    ("JWT: two parts", '{5,}\\.[A-Za-z0-9_-]*"), MASK', '{5,}"), MASK'),
    ("JWT: no word boundary", 'r"\\beyJ', 'r"eyJ'),
    ("no jwt.<token> pattern", '    (re.compile(r"\\bjwt\\.[A-Za-z0-9._~+/=-]{4,}"), "jwt." + MASK),\n', ""),
    ("jwt.: 3 characters", '=-]{4,}"), "jwt."', '=-]{3,}"), "jwt."'),
    ("jwt.: no word boundary", 'r"\\bjwt', 'r"jwt'),
    # user:password@
    (
        "no userinfo pattern",
        '    (re.compile(r"(?i)\\b([a-z][a-z0-9+.-]*://)[^/\\s@\\"\'<>?#]+@"), r"\\1" + MASK + "@"),\n',
        "",
    ),
    ("userinfo: case-sensitive", 'r"(?i)\\b([a-z][a-z0-9+.-]*://)', 'r"\\b([a-z][a-z0-9+.-]*://)'),
    ("userinfo: across the path", "://)[^/\\s@", "://)[^\\s@"),
    # key=value in free text
    ("no key=value pattern", _KEY_VALUE, ""),
    ("key=value: no token", "(?:token|secret|", "(?:secret|"),
    ("key=value: no secret", "|secret|passw", "|passw"),
    ("key=value: no password", "|passw(?:or)?d|", "|"),
    ("key=value: no api_key", "|api[-_]?key|access", "|access"),
    ("key=value: no access_key", "|access[-_]?key|private", "|private"),
    ("key=value: no private_key", "|private[-_]?key|", "|"),
    ("key=value: no secret_key", "|secret[-_]?key))", "))"),
    ("key=value: case-sensitive", 'r"(?i)\\b([\\w-]*(?:token', 'r"\\b([\\w-]*(?:token'),
    ("key=value: 4 characters", '&,;]{3,})"', '&,;]{4,})"'),
    ("key=value: 2 characters", '&,;]{3,})"', '&,;]{2,})"'),
    # credential parameters of URLs in free text
    ("url param: not after #", 'r"([?&#])(', 'r"([?&])('),
    ("url param: not after &", 'r"([?&#])(', 'r"([?#])('),
    ("url param: not after ?", 'r"([?&#])(', 'r"([&#])('),
)

_HOPS, _FIREWALL, _DEST = "gate/netpath/hops.py", "gate/netpath/firewall.py", "gate/netpath/destination.py"
NETPATH_EDITS = (
    *_edits(
        _HOPS,
        ("no 10/8", '("10.0.0.0/8", ', "("),
        ("no 172.16/12", '"172.16.0.0/12", ', ""),
        ("172.16/11", '"172.16.0.0/12"', '"172.16.0.0/11"'),
        ("172.16/13", '"172.16.0.0/12"', '"172.16.0.0/13"'),
        ("no 192.168/16", '"192.168.0.0/16", ', ""),
        ("192.168/17", '"192.168.0.0/16"', '"192.168.0.0/17"'),
        ("no 100.64/10 (RFC 6598)", ', "100.64.0.0/10")', ")"),
        ("100.64/9", '"100.64.0.0/10"', '"100.64.0.0/9"'),
        ("100.64/11", '"100.64.0.0/10"', '"100.64.0.0/11"'),
        ("implied egress priority", "IMPLIED_EGRESS_PRIORITY = 65535", "IMPLIED_EGRESS_PRIORITY = 65534"),
        (
            "PSA peering name",
            'PSA_PEERING = "servicenetworking-googleapis-com"',
            'PSA_PEERING = "servicenetworking"',
        ),
        ("Redis peering prefix", 'REDIS_PEERING_PREFIX = "redis-peer-"', 'REDIS_PEERING_PREFIX = "redis-"'),
        ("hop state ok", 'OK = "ok"', 'OK = "OK"'),
        ("hop state broken", 'BROKEN = "broken"', 'BROKEN = "BROKEN"'),
        ("hop state unknown", 'UNKNOWN = "unknown"', 'UNKNOWN = "UNKNOWN"'),
        ("hop remediation default", '    remediation: str = ""\n', '    remediation: str = "?"\n'),
        ("peering details default", '    state_details: str = ""', '    state_details: str = "?"'),
    ),
    *_edits(
        _FIREWALL,
        ("tcp is not 6", '"tcp": "6"', '"tcp": "7"'),
        ("udp is not 17", '"udp": "17"', '"udp": "18"'),
        ("icmp is not 1", '"icmp": "1"', '"icmp": "2"'),
        (
            "rules enabled by default",
            "    target_service_accounts: tuple[str, ...] = ()\n    disabled: bool = False",
            "    target_service_accounts: tuple[str, ...] = ()\n    disabled: bool = True",
        ),
        # firewall policies: the types and orders of the API, the defaults, what a sure match is
        ("hierarchy type", 'HIERARCHY = "HIERARCHY"', 'HIERARCHY = "HIERARCHICAL"'),
        ("no SYSTEM type", '("SYSTEM", "SYSTEM_GLOBAL", ', '("SYSTEM_GLOBAL", '),
        ("no SYSTEM_GLOBAL type", '"SYSTEM_GLOBAL", "SYSTEM_REGIONAL")', '"SYSTEM_REGIONAL")'),
        ("no SYSTEM_REGIONAL type", ', "SYSTEM_REGIONAL")', ")"),
        ("network type", 'NETWORK = "NETWORK"', 'NETWORK = "GLOBAL_NETWORK"'),
        ("regional network type", 'NETWORK_REGIONAL = "NETWORK_REGIONAL"', 'NETWORK_REGIONAL = "REGIONAL"'),
        ("after classic", 'AFTER = "AFTER_CLASSIC_FIREWALL"', 'AFTER = "AFTER_CLASSIC"'),
        ("before classic", 'BEFORE = "BEFORE_CLASSIC_FIREWALL"', 'BEFORE = "BEFORE_CLASSIC"'),
        (
            "policy rules enabled by default",
            "    disabled: bool = False\n    target_type",
            "    disabled: bool = True\n    target_type",
        ),
        ("policy rule target type", '    target_type: str = ""', '    target_type: str = "INSTANCES"'),
        (
            "targets every network",
            "targets_network: bool | None = None",
            "targets_network: bool | None = True",
        ),
        ("association priority", "    priority: int = 0  #", "    priority: int = 1  #"),
        ("label: hierarchical", 'HIERARCHY: "hierarchical firewall', 'HIERARCHY: "hierarchical'),
        ("label: network", 'NETWORK: "network firewall policy"', 'NETWORK: "global firewall policy"'),
        (
            "label: regional",
            'NETWORK_REGIONAL: "regional network firewall policy"',
            'NETWORK_REGIONAL: "network firewall policy"',
        ),
        ("label: system", '"system firewall policy" if', '"firewall policy" if'),
        ("label: system not in", "if self.type in SYSTEM else", "if self.type not in SYSTEM else"),
        ("label: other", 'else "firewall policy")', 'else "policy")'),
        ("verdicts not sure by default", "    sure: bool = True", "    sure: bool = False"),
        ("a level passes by default", "    passes: bool = False", "    passes: bool = True"),
        ("not applying is maybe", '_NOT_APPLIES = (_Applies.NO, "")', '_NOT_APPLIES = (_Applies.MAYBE, "")'),
        ("applying is maybe", '_APPLIES = (_Applies.YES, "")', '_APPLIES = (_Applies.MAYBE, "")'),
    ),
    *_edits(
        _DEST,
        ("postgres port", '"POSTGRES": 5432', '"POSTGRES": 5433'),
        ("mysql port", '"MYSQL": 3306', '"MYSQL": 3307'),
        ("sqlserver port", '"SQLSERVER": 1433', '"SQLSERVER": 1434'),
        ("no postgres", '"POSTGRES": 5432, ', ""),
        ("no mysql", '"MYSQL": 3306, ', ""),
        ("no sqlserver", ', "SQLSERVER": 1433', ""),
    ),
)

SQL_TIERS_EDITS = _edits(
    "gate/checks/sql_tiers.py",
    ("MiB is 1000 * 1000", "MIB = 1024 * 1024", "MIB = 1000 * 1000"),
    ("f1-micro vCPU", '"db-f1-micro": (0.2, 614)', '"db-f1-micro": (0.25, 614)'),
    ("f1-micro memory", '"db-f1-micro": (0.2, 614)', '"db-f1-micro": (0.2, 615)'),
    ("g1-small vCPU", '"db-g1-small": (0.5, 1740)', '"db-g1-small": (0.6, 1740)'),
    ("g1-small memory", '"db-g1-small": (0.5, 1740)', '"db-g1-small": (0.5, 1741)'),
    ("no f1-micro", '{"db-f1-micro": (0.2, 614), ', "{"),
    ("no g1-small", ', "db-g1-small": (0.5, 1740)}', "}"),
    ("custom: no end anchor", r'-(\d+)-(\d+)$"', r'-(\d+)-(\d+)"'),
    ("n1-standard per vCPU", '(\\d+)$"): 3840', '(\\d+)$"): 3841'),
    ("n1-highmem per vCPU", '(\\d+)$"): 6656', '(\\d+)$"): 6657'),
    ("perf-optimized per vCPU", '(\\d+)$"): 8192', '(\\d+)$"): 8193'),
    ("no n1-standard", '    re.compile(r"^db-n1-standard-(\\d+)$"): 3840,\n', ""),
    ("no n1-highmem", '    re.compile(r"^db-n1-highmem-(\\d+)$"): 6656,\n', ""),
    ("no perf-optimized", '    re.compile(r"^db-perf-optimized-N-(\\d+)$"): 8192,\n', ""),
    ("families: no end anchor", 'standard-(\\d+)$"', 'standard-(\\d+)"'),
    ("trailing vCPU: case-sensitive", ", re.IGNORECASE)", ")"),
    ("trailing vCPU: no end anchor", '+?-(\\d+)$"', '+?-(\\d+)"'),
)

_MODEL = "gate/model.py"
MODEL_EDITS = _edits(
    _MODEL,
    *(
        (f"status {v}", f'    {v} = "{v}"', f'    {v} = "{v.lower()}"')
        for v in ("WARN", "ERROR", "SKIP", "CANCELLED")
    ),
    ("severity block", 'BLOCK = "block"', 'BLOCK = "BLOCK"'),
    ("severity warn", 'WARN = "warn"', 'WARN = "WARN"'),
    ("verdict inconclusive", 'INCONCLUSIVE = "INCONCLUSIVE"', 'INCONCLUSIVE = "inconclusive"'),
    ("verdict interrupted", 'INTERRUPTED = "INTERRUPTED"', 'INTERRUPTED = "interrupted"'),
    ("exit pass", "    PASS = 0", "    PASS = 4"),
    ("exit fail", "    FAIL = 1\n", "    FAIL = 5\n"),
    ("exit usage", "    USAGE = 2", "    USAGE = 6"),
    ("exit inconclusive", "    INCONCLUSIVE = 3", "    INCONCLUSIVE = 7"),
    ("exit SIGINT", "INTERRUPTED = 130", "INTERRUPTED = 131"),
    ("exit SIGTERM", "TERMINATED = 143", "TERMINATED = 144"),
    ("timeout 10s", "timeout: float = 10.0", "timeout: float = 11.0"),
    ("interval 5s", "interval: float = 5.0", "interval: float = 6.0"),
    ("deadline 0", "deadline: float = 0.0", "deadline: float = 1.0"),
    ("successes 1", "successes: int = 1", "successes: int = 2"),
    (
        "check severity warn",
        "    severity: Severity = Severity.BLOCK",
        "    severity: Severity = Severity.WARN",
    ),
    ("policy source", 'source: str = "<memory>"', 'source: str = ""'),
    ("policy apiVersion", 'api_version: str = "gate/v1"', 'api_version: str = "gate/v2"'),
    ("outcome final", "    final: bool = False", "    final: bool = True"),
    ("result duration", "    duration: float = 0.0\n    metrics", "    duration: float = 1.0\n    metrics"),
    ("report target", '    target: str = ""', '    target: str = "google"'),
)

# mutmut 3.8 skips @property bodies: the verdict logic is mutated here.
VERDICT_EDITS = (
    *_edits(
        _MODEL,
        ("interrupted: not", "        if self.interrupted_by:", "        if not self.interrupted_by:"),
        ("interrupted: no early return", "            return Verdict.INTERRUPTED\n", "            pass\n"),
        ("advisory checks count", "for r in self.results if r.blocking]", "for r in self.results]"),
        (
            "only advisory checks count",
            "for r in self.results if r.blocking]",
            "for r in self.results if not r.blocking]",
        ),
        ("any FAIL -> all FAIL", "if any(r.status is Status.FAIL", "if all(r.status is Status.FAIL"),
        ("FAIL -> ERROR", "if any(r.status is Status.FAIL", "if any(r.status is Status.ERROR"),
        ("FAIL: is not", "if any(r.status is Status.FAIL", "if any(r.status is not Status.FAIL"),
        (
            "FAIL -> INCONCLUSIVE",
            "            return Verdict.FAIL\n",
            "            return Verdict.INCONCLUSIVE\n",
        ),
        ("no passing check needed", ") and any(\n", ") and (\n"),  # a generator is always truthy
        ("and -> or", ") and any(\n", ") or any(\n"),
        (
            "a waived check proves",
            "r.status is Status.PASS for r in blocking",
            "r.status in (Status.PASS, Status.WAIVED) for r in blocking",
        ),
        (
            "all PASS -> any PASS",
            "if all(r.status in (Status.PASS, Status.WAIVED)",
            "if any(r.status in (Status.PASS, Status.WAIVED)",
        ),
        (
            "PASS: not in",
            "all(r.status in (Status.PASS, Status.WAIVED)",
            "all(r.status not in (Status.PASS, Status.WAIVED)",
        ),
        ("WAIVED blocks", "all(r.status in (Status.PASS, Status.WAIVED)", "all(r.status in (Status.PASS,)"),
        (
            "PASS -> INCONCLUSIVE",
            "            return Verdict.PASS\n",
            "            return Verdict.INCONCLUSIVE\n",
        ),
        ("otherwise PASS", "        return Verdict.INCONCLUSIVE\n", "        return Verdict.PASS\n"),
        function="Report.verdict",
    ),
    *_edits(
        _MODEL,
        (
            "interrupted: is not",
            "if verdict is Verdict.INTERRUPTED:",
            "if verdict is not Verdict.INTERRUPTED:",
        ),
        ("SIGTERM -> SIGINT", '== "SIGTERM"', '== "SIGINT"'),
        ("SIGTERM: !=", '== "SIGTERM"', '!= "SIGTERM"'),
        ("130 and 143 swapped", "ExitCode.TERMINATED if", "ExitCode.INTERRUPTED if"),
        ("PASS exits 1", "Verdict.PASS: ExitCode.PASS", "Verdict.PASS: ExitCode.FAIL"),
        ("FAIL exits 3", "Verdict.FAIL: ExitCode.FAIL", "Verdict.FAIL: ExitCode.INCONCLUSIVE"),
        (
            "INCONCLUSIVE exits 0",
            "Verdict.INCONCLUSIVE: ExitCode.INCONCLUSIVE",
            "Verdict.INCONCLUSIVE: ExitCode.PASS",
        ),
        function="Report.exit_code",
    ),
    *_edits(
        _MODEL,
        (
            "a check's blocking: is not",
            "brought it in\n\n    @property\n    def blocking(self) -> bool:\n"
            "        return self.severity is Severity.BLOCK",
            "brought it in\n\n    @property\n    def blocking(self) -> bool:\n"
            "        return self.severity is not Severity.BLOCK",
        ),
        function="CheckSpec.blocking",
    ),
    *_edits(
        _MODEL,
        (
            "a result's blocking: is not",
            "what it did\n\n    @property\n    def blocking(self) -> bool:\n"
            "        return self.severity is Severity.BLOCK",
            "what it did\n\n    @property\n    def blocking(self) -> bool:\n"
            "        return self.severity is not Severity.BLOCK",
        ),
        function="CheckResult.blocking",
    ),
    *_edits(
        _MODEL,
        (
            "line and col swapped",
            'f"{self.file}:{self.line}:{self.col}"',
            'f"{self.file}:{self.col}:{self.line}"',
        ),
        function="SourceRef.__str__",
    ),
)

TIER_KEY_EDITS = _edits(
    "gate/checks/sql_tiers.py",
    (
        "unknown vCPU orders",
        "        if self.vcpu is None:\n            raise",
        "        if self.vcpu is not None:\n            raise",
    ),
    ("shared above dedicated", "(0 if self.shared else 1,", "(1 if self.shared else 0,"),
    ("memory before vCPUs", "self.vcpu, self.memory_mib)", "self.memory_mib, self.vcpu)"),
    function="TierSize.key",
)

EDITS: tuple[Edit, ...] = (
    *REDACT_EDITS,
    *TIER_KEY_EDITS,
    *NETPATH_EDITS,
    *SQL_TIERS_EDITS,
    *MODEL_EDITS,
    *VERDICT_EDITS,
)

EQUIVALENT: tuple[Equivalent, ...] = (
    Equivalent(
        _MODEL,
        "DeployTarget.applies_to",
        'short = service.rsplit("/", )[-1]',
        "the last piece of a split on '/' is the same with any maxsplit",
    ),
    Equivalent(
        _MODEL,
        "DeployTarget.applies_to",
        'short = service.rsplit("/", 2)[-1]',
        "the last piece of a split on '/' is the same with any maxsplit",
    ),
    Equivalent(
        _MODEL,
        "DeployTarget.applies_to",
        'return self.service.rsplit("/", )[-1] == short',
        "the last piece of a split on '/' is the same with any maxsplit",
    ),
    Equivalent(
        _MODEL,
        "DeployTarget.applies_to",
        'return self.service.rsplit("/", 2)[-1] == short',
        "the last piece of a split on '/' is the same with any maxsplit",
    ),
    Equivalent(
        _MODEL,
        "DeployTarget.applies_to",
        'return self.revision.split("/services/", 1)[1].split("/", )[0] == short',
        "the first piece of a split on '/' is the same with any maxsplit",
    ),
    Equivalent(
        _MODEL,
        "DeployTarget.applies_to",
        'return self.revision.split("/services/", 1)[1].split("/", 2)[0] == short',
        "the first piece of a split on '/' is the same with any maxsplit",
    ),
    Equivalent(
        _MODEL,
        "DeployTarget.applies_to",
        'return self.revision.split("/services/", )[1].split("/", 1)[0] == short',
        "a Cloud Run resource name holds '/services/' once, so every split keeps the same second piece",
    ),
    Equivalent(
        _MODEL,
        "DeployTarget.applies_to",
        'return self.revision.split("/services/", 2)[1].split("/", 1)[0] == short',
        "a Cloud Run resource name holds '/services/' once, so every split keeps the same second piece",
    ),
    Equivalent(
        _MODEL,
        "DeployTarget.applies_to",
        'return self.revision.rsplit("/services/", 1)[1].split("/", 1)[0] == short',
        "a Cloud Run resource name holds '/services/' once, so split and rsplit agree",
    ),
    Equivalent(
        _REDACT,
        "_mask_params",
        'return urlencode([(k, MASK if CREDENTIAL_PARAMS.match(k) else v) for k, v in pairs], safe="XX*XX")',
        "adds only 'X' to the safe characters, and urlencode never escapes a letter",
    ),
    Equivalent(
        _HOPS,
        "contains",
        "net = ipaddress.ip_network(cidr, strict=None)",
        "strict=None is as falsy as strict=False",
    ),
    *(
        Equivalent(
            _FIREWALL,
            "protocol_matches",
            f"want = {{protocol.lower(), _PROTOCOL_NUMBERS.get(protocol.lower(), {default})}}",
            "the default is used only for a protocol without a known number, and gate asks about tcp only",
        )
        for default in ("None", "", '"XXXX"')
    ),
    Equivalent(_FIREWALL, "_applies", "maybe = None", "None is as falsy as False, the only use of maybe"),
    *(
        Equivalent(_FIREWALL, "_source_overlap", line, "strict=None is as falsy as strict=False")
        for line in (
            "src = ipaddress.ip_network(cidr, strict=None)",
            "nets = [ipaddress.ip_network(r, strict=None) for r in ranges]",
        )
    ),
    Equivalent(
        _FIREWALL,
        "evaluate_egress",
        'rules: Sequence[FwRule], ip: IPv4, port: int, src: Source, protocol: str = "TCP"',
        "protocol_matches lower-cases the protocol",
    ),
)
