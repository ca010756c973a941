# ruff: noqa: E501  (expected messages are kept whole, one per line)
"""`waivers:` in a policy: what the loader accepts, what it refuses (file:line:col), and
expiry against an injected date. Dates are written relative to TODAY, so the tests never rot."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from gate.errors import InputError
from gate.model import SourceRef, Waiver
from gate.policy.loader import inspect_file, load_policy, validate_file
from tests.typefixtures import test_types  # noqa: F401  (autouse)

TODAY = date(2031, 3, 14)
LATER = (TODAY + timedelta(days=60)).isoformat()
WEB = Path(__file__).parent / "files" / "checks" / "web.yaml"

HEAD = f"""\
apiVersion: gate/v1
project: p
region: r
vars:
  svc: web
include:
  - file: {WEB}
    vars: {{service: "${{svc}}"}}
    exclude: [web-extra]
checks:
  - id: own-ping
    type: test.ping
    with: {{url: "http://localhost/"}}
waivers:
"""


def policy(tmp_path: Path, waivers: str) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(HEAD + waivers)
    return p


def errors(path: Path, today: date = TODAY) -> list[str]:
    return [str(d).replace(str(path), "@") for d in validate_file(path, today=today)]


def test_a_waiver_loads_with_its_terms_and_where_it_is_written(tmp_path: Path) -> None:
    p = policy(
        tmp_path,
        f"""\
  - check: own-ping
    reason: OPS-12 fixes the endpoint
    owner: web-team@example.com
    expires: {LATER}
    match: "HTTP 5\\\\d\\\\d"
""",
    )
    (w,) = load_policy(p, today=TODAY).waivers
    assert w == Waiver(
        "own-ping",
        "OPS-12 fixes the endpoint",
        "web-team@example.com",
        TODAY + timedelta(days=60),
        r"HTTP 5\d\d",
        SourceRef(str(p), 15, 5),
    )


def test_an_included_check_is_waived_by_its_final_id_and_variables_work(tmp_path: Path) -> None:
    p = policy(tmp_path, f"  - {{check: '${{svc}}-count', reason: r, owner: o, expires: {LATER}}}\n")
    (w,) = load_policy(p, today=TODAY).waivers
    assert w.check == "web-count" and w.match is None


def test_what_the_loader_refuses_in_a_waiver(tmp_path: Path) -> None:
    p = policy(
        tmp_path,
        f"""\
  - {{check: web-cuont, reason: r, owner: o, expires: {LATER}}}
  - {{check: web-extra, reason: r, owner: o, expires: {LATER}}}
  - {{check: own-ping, reason: r, owner: o, expires: 2031-02-30}}
  - {{check: web-ping, reason: r, owner: o, expires: "14/03/2031"}}
  - {{check: web-count, reason: r, owner: o, expires: {LATER}, match: "tier ("}}
  - {{check: web-count, reason: r, owner: o, expires: {LATER}}}
""",
    )
    assert errors(p) == [
        '@:15:13: waivers[0].check: no check "web-cuont" to waive (did you mean "web-count"?)',
        '@:16:13: waivers[1].check: check "web-extra" is excluded by its include: entry: there is nothing to waive',
        '@:17:53: waivers[2].expires: "2031-02-30" is not a calendar date',
        '@:18:53: waivers[3].expires: expected a date like "2025-07-01" (YYYY-MM-DD), got "14/03/2031"',
        '@:19:73: waivers[4].match: invalid regular expression "tier (": missing ), unterminated subpattern at position 5',
        '@:20:13: waivers[5].check: a second waiver for check "web-count" (the first is at @:19:5): '
        "give one waiver per check; its match: can list several messages (a|b)",
    ]


def test_a_waiver_needs_its_reason_owner_and_date_and_nothing_else(tmp_path: Path) -> None:
    p = policy(
        tmp_path,
        f'  - {{check: web-ping, owner: "", expires: {LATER}, until: {LATER}}}\n  - {{check: own-ping}}\n',
    )
    assert errors(p) == [
        '@:15:5: waivers[0]: missing required key "reason"',
        "@:15:30: waivers[0].owner: expected a non-empty string",
        '@:15:55: waivers[0].until: unknown key "until"',
        '@:16:5: waivers[1]: missing required key "reason"',
        '@:16:5: waivers[1]: missing required key "owner"',
        '@:16:5: waivers[1]: missing required key "expires"',
    ]


def test_an_expired_waiver_is_an_input_error_naming_it(tmp_path: Path) -> None:
    gone = (TODAY - timedelta(days=1)).isoformat()
    p = policy(tmp_path, f"  - {{check: web-ping, reason: r, owner: web-team, expires: {gone}}}\n")
    with pytest.raises(InputError) as e:
        load_policy(p, today=TODAY)
    (d,) = e.value.diagnostics
    assert d.source == SourceRef(str(p), 15, 5)
    assert d.message == (
        f'waiver for check "web-ping" (owner web-team) expired at the end of {gone} UTC (yesterday): '
        "fix the check, or renew the waiver with a later expires: date if the failure is still accepted"
    )


def test_a_waiver_is_in_force_on_its_last_day_and_expired_the_next(tmp_path: Path) -> None:
    p = policy(tmp_path, f"  - {{check: web-ping, reason: r, owner: o, expires: {TODAY.isoformat()}}}\n")
    assert load_policy(p, today=TODAY).waivers[0].expires == TODAY
    assert errors(p, TODAY + timedelta(days=1))[0].startswith('@:15:5: waiver for check "web-ping"')


def test_validate_warns_ten_days_ahead_and_never_fails_for_it(tmp_path: Path) -> None:
    def warnings(days: int) -> list[str]:
        expires = (TODAY + timedelta(days=days)).isoformat()
        p = policy(tmp_path, f"  - {{check: web-ping, reason: r, owner: o, expires: {expires}}}\n")
        problems, warned = inspect_file(p, today=TODAY)
        assert problems == []
        return [str(d).replace(str(p), "@") for d in warned]

    assert warnings(11) == [] and warnings(60) == []
    (line,) = warnings(10)
    assert line.startswith('@:15:5: waiver for check "web-ping" (owner o) expires at the end of ')
    assert "(in 10 days); after that a failure of the check blocks again" in line
    assert "(today)" in warnings(0)[0]


def test_a_library_cannot_waive(tmp_path: Path) -> None:
    lib = tmp_path / "lib.yaml"
    lib.write_text(
        'apiVersion: gate/v1\nkind: CheckLibrary\nchecks:\n  - {id: a, type: test.ping, with: {url: "http://x/"}}\n'
        f"waivers:\n  - {{check: a, reason: r, owner: o, expires: {LATER}}}\n"
    )
    assert [str(d).replace(str(lib), "@") for d in validate_file(lib, today=TODAY)] == [
        '@:5:1: waivers: unknown key "waivers"'
    ]
