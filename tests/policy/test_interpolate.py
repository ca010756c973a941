"""gate.policy.interpolate: ${var} substitution, $${ escapes, unbound parameters, --var coercion."""

from __future__ import annotations

from typing import Any

import pytest

from gate.model import SourceRef
from gate.policy import interpolate as ip
from gate.policy.interpolate import Unbound
from gate.policy.yamlsafe import Document, Key

DOC = Document("p.yaml", {}, values={("vars",): (3, 1)}, keys={("vars",): (3, 1)})
SCOPE: dict[str, Any] = {"project": "netra", "region": "us-central1", "n": 3, "fast": True, "ratio": 0.5}


class Run:
    def __init__(self) -> None:
        self.added: list[tuple[Key, str, bool]] = []
        self.placed: list[tuple[SourceRef, str]] = []

    def add(self, doc: Document, path: Key, message: str, *, key: bool = False) -> None:
        self.added.append((path, message, key))

    def at(self, where: tuple[SourceRef, str], message: str) -> None:
        self.placed.append((where[0], message))


def sub(value: Any, scope: dict[str, Any] = SCOPE) -> tuple[Any, list[str]]:
    run = Run()
    out = ip.interpolate(value, scope, DOC, ("checks", 0), run)
    return out, [m for _, m, _ in run.added]


# -- substitution ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("${project}", "netra"),
        ("${n}", 3),  # exactly ${x}: the variable's YAML type
        ("${fast}", True),
        ("${ratio}", 0.5),
        ("https://${project}.run.app/${n}", "https://netra.run.app/3"),
        ("flag=${fast}", "flag=true"),  # booleans are written in lower case
        ("${project}-${region}", "netra-us-central1"),
        ("$${HOME}", "${HOME}"),  # $${ is a literal ${
        ("$${n} is ${n}", "${n} is 3"),
        ("no variables", "no variables"),
        ("a $ sign and {braces}", "a $ sign and {braces}"),
        (7, 7),
        (None, None),
    ],
)
def test_substitution(value: Any, want: Any) -> None:
    assert sub(value) == (want, [])


def test_containers_are_walked_and_keys_left_alone() -> None:
    run = Run()
    out = ip.interpolate(
        {"${n}": ["${project}", {"deep": "${n}"}], "undefined": "${nope}"}, SCOPE, DOC, ("checks", 0), run
    )
    assert out == {"${n}": ["netra", {"deep": 3}], "undefined": Unbound("nope")}
    assert run.added == [(("checks", 0, "undefined"), 'undefined variable "nope"', False)]


def test_substitution_is_one_pass() -> None:
    assert sub("${a}", {"a": "${b}", "b": "x"}) == ("${b}", [])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("${projct}", 'undefined variable "projct" (did you mean "project"?)'),
        ("x-${projct}", 'undefined variable "projct" (did you mean "project"?)'),
        ("${zzz}", 'undefined variable "zzz"'),
        ("${1abc}", 'invalid variable reference "${1abc}"'),
        ("${}", 'invalid variable reference "${}"'),
        ("${a b}", 'invalid variable reference "${a b}"'),
        ("oops ${project", 'unterminated "${" (write "$${" for a literal "${")'),
    ],
)
def test_mistakes_are_reported_where_they_are(value: str, message: str) -> None:
    _, messages = sub(value)
    assert messages == [message]


def test_an_undefined_variable_becomes_unbound_and_is_reported_once() -> None:
    whole, messages = sub("${service}")
    assert whole == Unbound("service") and len(messages) == 1
    text, messages = sub("https://${service}.run.app")
    assert text == f"https://{ip.UNBOUND_MARK}service{ip.UNBOUND_MARK}.run.app" and len(messages) == 1
    assert ip.is_unbound(whole) and ip.is_unbound(text) and not ip.is_unbound("https://x")


def test_invalid_references_are_left_as_written() -> None:
    assert sub("${1abc} and ${project}")[0] == "${1abc} and netra"


# -- helpers ---------------------------------------------------------------------------------


def test_text() -> None:
    assert (ip.text(True), ip.text(False), ip.text(3), ip.text(0.5), ip.text("s")) == (
        "true",
        "false",
        "3",
        "0.5",
        "s",
    )
    assert ip.text(Unbound("x")) == f"{ip.UNBOUND_MARK}x{ip.UNBOUND_MARK}"


def test_has_unbound_looks_inside_containers() -> None:
    mark = ip.text(Unbound("x"))
    assert ip.has_unbound(Unbound("x")) and ip.has_unbound(f"a{mark}")
    assert ip.has_unbound({"a": [1, {"b": Unbound("x")}]}) and ip.has_unbound([mark])
    assert not ip.has_unbound({"a": [1, "two", None]}) and not ip.has_unbound(3)


def test_scalars_keeps_well_formed_entries_only() -> None:
    got = ip.scalars(
        {"a": "x", "n": 3, "f": 0.5, "b": False, "u": Unbound("u"), "l": [1], "m": {}, "bad-name": 1}
    )
    assert got == {"a": "x", "n": 3, "f": 0.5, "b": False, "u": Unbound("u")}
    assert ip.scalars(["a"]) == {} and ip.scalars(None) == {}


# -- --var -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "given", "want"),
    [
        ("text", "other", "other"),
        (3, "5", 5),
        (3, " 7 ", 7),
        (0.5, "2.5", 2.5),
        (0.5, "2", 2.0),
        (True, "false", False),
        (False, " TRUE ", True),
    ],
)
def test_cli_vars_keep_the_declared_type(declared: Any, given: str, want: Any) -> None:
    declared_vars = {"v": declared}
    run = Run()
    ip.apply_cli_vars(DOC, declared_vars, {"v": given}, run)
    assert run.placed == [] and declared_vars["v"] == want
    assert type(declared_vars["v"]) is type(want)


@pytest.mark.parametrize(
    ("declared", "given", "message"),
    [
        (3, "many", "--var v=many: expected an integer, like the policy's value 3"),
        (3, "5.0", "--var v=5.0: expected an integer, like the policy's value 3"),
        (0.5, "half", "--var v=half: expected a number, like the policy's value 0.5"),
        (True, "yes", "--var v=yes: expected true or false, like the policy's value true"),
    ],
)
def test_cli_vars_of_the_wrong_type_are_errors(declared: Any, given: str, message: str) -> None:
    declared_vars = {"v": declared}
    run = Run()
    ip.apply_cli_vars(DOC, declared_vars, {"v": given}, run)
    assert run.placed == [(SourceRef("p.yaml", 3, 1), message)]
    assert declared_vars["v"] == declared


def test_a_cli_var_the_policy_does_not_declare_is_an_error() -> None:
    declared_vars: dict[str, Any] = {"service": "a"}
    run = Run()
    ip.apply_cli_vars(DOC, declared_vars, {"servce": "b"}, run)
    assert run.placed == [
        (
            SourceRef("p.yaml", 3, 1),
            '--var servce: the policy has no variable "servce" (did you mean "service"?)',
        )
    ]
    assert declared_vars == {"service": "a"}


def test_builtins_cannot_be_declared_as_vars() -> None:
    run = Run()
    ip.reserved_vars(DOC, ("vars",), {"project": "x", "region": "y", "mine": "z"}, run)
    assert run.added == [
        (("vars", "project"), '"project" is a builtin variable; set it with the top-level project:', True),
        (("vars", "region"), '"region" is a builtin variable; set it with the top-level region:', True),
    ]
    ip.reserved_vars(DOC, ("vars",), ["project"], run)  # not a mapping: the schema reports it
    assert len(run.added) == 2
