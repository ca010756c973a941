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

EDITS: tuple[Edit, ...] = REDACT_EDITS

EQUIVALENT: tuple[Equivalent, ...] = (
    Equivalent(
        _REDACT,
        "_mask_params",
        'return urlencode([(k, MASK if CREDENTIAL_PARAMS.match(k) else v) for k, v in pairs], safe="XX*XX")',
        "adds only 'X' to the safe characters, and urlencode never escapes a letter",
    ),
)
