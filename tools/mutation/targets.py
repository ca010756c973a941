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
    """A mutant of module-level code, which mutmut 3 does not mutate: ``old`` becomes ``new``."""

    file: str
    what: str
    old: str
    new: str


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
        subsets=(("verdict", ("Report.verdict", "Report.exit_code"), 1.0),),
    ),
)


def _edits(file: str, *changes: tuple[str, str, str]) -> tuple[Edit, ...]:
    return tuple(Edit(file, what, old, new) for what, old, new in changes)


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
        ("7 uncertain rules", "MAX_UNCERTAIN_RULES = 8", "MAX_UNCERTAIN_RULES = 7"),
        ("9 uncertain rules", "MAX_UNCERTAIN_RULES = 8", "MAX_UNCERTAIN_RULES = 9"),
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
        ("rules enabled by default", "    disabled: bool = False", "    disabled: bool = True"),
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

EDITS: tuple[Edit, ...] = (*REDACT_EDITS, *NETPATH_EDITS)

EQUIVALENT: tuple[Equivalent, ...] = (
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
        "for n in range(len(maybe) + 2)",
        "combinations of more rules than there are yield nothing",
    ),
    Equivalent(
        _FIREWALL,
        "evaluate_egress",
        'rules: Sequence[FwRule], ip: IPv4, port: int, src: Source, protocol: str = "TCP"',
        "protocol_matches lower-cases the protocol",
    ),
)
