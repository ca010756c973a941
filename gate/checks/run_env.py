"""``run.env``: the revision's container has the environment it needs. Names only, never values.

Catches S5 (POSTGRES_HOST empty, POSTGRES_PORT missing) without repeating the
S12 mistake (a validator that assumed one monolithic database configuration
and blocked healthy deploys): ``any_of`` lists the alternatives. Every message
names the variable and the rule (``POSTGRES_PORT does not match ^[0-9]+$``),
never the value: a value may be a credential, and a message is copied into
reports, CI logs and annotations.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gate.checks.base import CheckType
from gate.checks.target import TARGET_PROPERTIES, choose_container, resolve_target, target_errors
from gate.errors import NotFoundError
from gate.model import CheckSpec, Outcome
from gate.redact import CREDENTIAL_PARAMS

if TYPE_CHECKING:  # annotations only: `gate validate` imports this module for its schema
    from gate.context import AttemptContext
    from gate.gcp.facts_run import EnvVar

_NAME = "^[A-Za-z_][A-Za-z0-9_]*$"

# Rules that read the value; on a secret-backed variable they cannot be judged.
VALUE_RULES = ("pattern", "integer", "port", "url", "one_of", "forbidden", "forbid_values")
_INT = re.compile(r"^[+-]?[0-9]+$")

RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "required": {"type": "boolean", "description": "must be set (default true)"},
        "non_empty": {"type": "boolean", "description": "must not be the empty string (default true)"},
        "pattern": {"type": "string", "description": "regular expression searched in the value (anchor it)"},
        "integer": {"type": "boolean"},
        "port": {"type": "boolean", "description": "an integer from 1 to 65535"},
        "url": {"type": "boolean", "description": "scheme://host..."},
        "one_of": {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}},
        "forbidden": {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}},
        "forbid_values": {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}},
    },
}


def _text(v: Any) -> str:
    # YAML reads `true` and `8000` as non-strings; env values are always strings.
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@dataclass(frozen=True)
class Rule:
    name: str
    required: bool = True
    non_empty: bool = True
    pattern: re.Pattern[str] | None = None
    integer: bool = False
    port: bool = False
    url: bool = False
    one_of: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()

    @classmethod
    def parse(cls, name: str, spec: Mapping[str, Any]) -> Rule:
        forbidden = [*spec.get("forbidden", ()), *spec.get("forbid_values", ())]
        return cls(
            name=name,
            required=bool(spec.get("required", True)),
            non_empty=bool(spec.get("non_empty", True)),
            pattern=re.compile(str(spec["pattern"])) if spec.get("pattern") is not None else None,
            integer=bool(spec.get("integer", False)),
            port=bool(spec.get("port", False)),
            url=bool(spec.get("url", False)),
            one_of=tuple(_text(v) for v in spec.get("one_of", ())),
            forbidden=tuple(_text(v) for v in forbidden),
        )

    def value_rules(self) -> list[str]:
        """Descriptions of the rules that need the value (for 'not checked' reports)."""
        out = []
        if self.pattern is not None:
            out.append(f"pattern {self.pattern.pattern}")
        for flag in ("integer", "port", "url"):
            if getattr(self, flag):
                out.append(flag)
        if self.one_of:
            out.append("one_of")
        if self.forbidden:
            out.append("forbidden")
        return out

    def problems(self, value: str) -> list[str]:
        """What is wrong with ``value``, naming the variable only."""
        n = self.name
        if value == "":
            return [f"{n} is empty"] if self.non_empty else []
        out = []
        if self.pattern is not None and not self.pattern.search(value):
            out.append(f"{n} does not match {self.pattern.pattern}")
        if self.integer and not _INT.match(value.strip()):
            out.append(f"{n} is not an integer")
        if self.port and not (_INT.match(value.strip()) and 1 <= int(value) <= 65535):
            out.append(f"{n} is not a port number (1-65535)")
        if self.url and not _is_url(value):
            out.append(f"{n} is not a URL (scheme://host...)")
        if self.one_of and value not in self.one_of:
            out.append(f"{n} is not one of {', '.join(self.one_of)}")
        if self.forbidden and value.strip().lower() in {f.lower() for f in self.forbidden}:
            # Which forbidden value it is would reveal the value: say only that it is one.
            out.append(f"{n} is set to a forbidden value")
        return out


def _is_url(value: str) -> bool:
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc)


def rule_errors(name: str, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Policy-time problems of one ``vars`` entry (path relative to ``with``)."""
    errors: list[tuple[str, str]] = []
    if spec.get("pattern") is not None:
        try:
            re.compile(str(spec["pattern"]))
        except re.error as e:
            errors.append((f"vars.{name}.pattern", f"invalid regular expression: {e}"))
    return errors


def worth_registering(name: str, value: str) -> bool:
    """Should this literal value be registered with the redactor?

    Every value that could be a credential is. Short values ("staging",
    "netra") and plain addresses ("10.166.204.83", "https://api.example.com")
    are not credentials, and registering them would mask resource names, IPs and
    URLs in every other check's report (e.g. ``netra-backend-staging``).
    run.env itself never prints any value, registered or not.
    """
    if not value:
        return False
    if CREDENTIAL_PARAMS.match(name) or re.search(r"(?i)(pass|secret|token|key|cred|authorization)", name):
        return True
    v = value.strip()
    if len(v) < 8 or _INT.match(v):
        return False
    try:
        ipaddress.ip_address(v)
        return False
    except ValueError:
        pass
    try:
        parts = urlsplit(v)
    except ValueError:
        return True
    plain_url = (
        parts.scheme in ("http", "https") and parts.netloc and "@" not in parts.netloc and not parts.query
    )
    return not plain_url


class RequiredEnv(CheckType):
    name = "run.env"
    summary = "The revision's container has the environment variables it needs (names only, never values)."
    description = (
        "Reads the target revision (default: the latest created; `revision:` or `tag:` to choose) "
        "and one container (`container:`; default the ingress container: the one that declares "
        "`ports`, wherever it is listed, or the only container).\n\n"
        "`required: [A, B]` — each must be set and not empty. `vars: {NAME: {rules}}` — per "
        "variable: `required` (default true), `non_empty` (default true), `pattern` (a regex "
        "searched in the value; anchor it), `integer`, `port` (1-65535), `url`, `one_of`, "
        "`forbidden` (alias `forbid_values`, compared case-insensitively). `any_of: [[POSTGRES_HOST, "
        "POSTGRES_PORT], [DATABASE_URL]]` — at least one group must be complete (set and not "
        "empty): the S12 lesson, do not assume one monolithic database configuration.\n\n"
        "Secret-backed variables (secretKeyRef) are checked through Secret Manager *metadata*: "
        "the secret and the referenced version must exist and be ENABLED (`latest` is the most "
        "recently created version whatever its state, so a DISABLED or DESTROYED newest version "
        "fails). Their values are never read, so value rules on them are reported as "
        "'not checked (value held in Secret Manager)' in the evidence; presence rules still apply.\n\n"
        "No message, evidence or remediation ever contains a value: a mismatch reads "
        "`POSTGRES_PORT does not match ^[0-9]+$`. Literal values that could be credentials are "
        "also registered with the run's redactor so an accidental echo elsewhere is masked."
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["service"],
        "anyOf": [{"required": ["required"]}, {"required": ["vars"]}, {"required": ["any_of"]}],
        "properties": {
            **TARGET_PROPERTIES,
            "required": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "pattern": _NAME},
                "default": [],
                "description": "Variables that must be set and not empty.",
            },
            "vars": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": _NAME},
                "additionalProperties": RULE_SCHEMA,
                "default": {},
                "description": "Rules per variable: required (default true), non_empty (default true), "
                "pattern, integer, port, url, one_of, forbidden.",
            },
            "any_of": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": _NAME}},
                "default": [],
                "description": "Groups of variables of which at least one must be complete "
                "(set and not empty), e.g. [[POSTGRES_HOST, POSTGRES_PORT], [DATABASE_URL]].",
            },
            "check_secrets": {
                "type": "boolean",
                "default": True,
                "description": "Check that every secret-backed variable's secret and version exist and "
                "are ENABLED (metadata only; values are never read).",
            },
        },
    }
    example = {
        "id": "backend-env",
        "type": "run.env",
        "with": {
            "service": "netra-backend-staging",
            "required": ["REDIS_HOST", "REDIS_PORT", "JWT_SECRET_KEY"],
            "any_of": [["POSTGRES_HOST", "POSTGRES_PORT"], ["DATABASE_URL"]],
            "vars": {
                "POSTGRES_PORT": {"required": False, "port": True},
                "REDIS_PORT": {"port": True},
                "ENVIRONMENT": {"one_of": ["staging"]},
                "DEBUG": {"required": False, "forbidden": ["true", "1"]},
            },
        },
    }
    apis = ("run", "secretmanager")

    def __init__(self, spec: CheckSpec) -> None:
        super().__init__(spec)
        vars_ = self.params.get("vars") or {}
        self.rules = {name: Rule.parse(name, s or {}) for name, s in vars_.items()}
        for name in self.params.get("required") or []:
            self.rules.setdefault(name, Rule(name))
        self.any_of = [list(g) for g in self.params.get("any_of") or []]

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        errors = target_errors(params)
        for name, spec in (params.get("vars") or {}).items():
            if isinstance(spec, Mapping):
                errors.extend(rule_errors(str(name), spec))
        return errors

    def attempt(self, ctx: AttemptContext) -> Outcome:
        target = resolve_target(ctx, self.params)
        container, chosen_as = choose_container(target.revision, self.params.get("container"))
        env = {e.name: e for e in container.env}
        for e in container.env:
            if e.value is not None and worth_registering(e.name, e.value.reveal()):
                ctx.secret(e.value.reveal())
        problems: list[str] = []
        status: dict[str, str] = {}
        not_checked: list[str] = []
        for name, rule in self.rules.items():
            problems.extend(self._judge(rule, env.get(name), status, not_checked))
        any_of_note = self._any_of(env, problems, status)
        secret_problems = self._secrets(ctx, env, status) if self.params.get("check_secrets", True) else []
        where = f"{target.revision.short_name}/{container.name or 'container 0'}"
        evidence: dict[str, Any] = {
            **target.evidence,
            "container": container.name,
            "container_selected_as": chosen_as,
            "variables": dict(sorted(status.items())),
            "set": sorted(env),
        }
        if any_of_note:
            evidence["any_of"] = any_of_note
        if not_checked:
            evidence["not_checked"] = not_checked
        everything = problems + secret_problems
        if everything:
            return Outcome.failed(
                f"{len(everything)} environment problem(s) on {where}: {'; '.join(everything)}",
                evidence=evidence,
                remediation=_remediation(ctx, target.service.short_name, problems, secret_problems),
                # A revision's env never changes; a secret version can be re-enabled.
                final=not secret_problems,
            )
        extra = (
            f" ({len(not_checked)} value rule(s) not checked: value held in Secret Manager)"
            if not_checked
            else ""
        )
        return Outcome.passed(
            f"{where}: {len(status)} variable(s) satisfy the policy{extra}", evidence=evidence
        )

    def _judge(
        self, rule: Rule, var: EnvVar | None, status: dict[str, str], not_checked: list[str]
    ) -> list[str]:
        if var is None:
            if rule.required:
                status[rule.name] = "missing"
                return [f"{rule.name} is not set"]
            status[rule.name] = "not set (optional)"
            return []
        if var.secret is not None:
            status.setdefault(rule.name, "secret")
            not_checked.extend(
                f"{rule.name}: {r} not checked (value held in Secret Manager)" for r in rule.value_rules()
            )
            return []
        problems = rule.problems(var.value.reveal() if var.value is not None else "")
        status[rule.name] = (
            "ok" if not problems else ("empty" if problems[0].endswith(" is empty") else "invalid")
        )
        return problems

    def _any_of(self, env: Mapping[str, EnvVar], problems: list[str], status: dict[str, str]) -> str:
        if not self.any_of:
            return ""
        states = []
        for group in self.any_of:
            missing = [_state(env.get(n), n) for n in group]
            gaps = [m for m in missing if m]
            if not gaps:
                for n in group:
                    status.setdefault(n, "ok")
                return f"satisfied by [{', '.join(group)}]"
            states.append(f"[{', '.join(group)}] ({', '.join(gaps)})")
        problems.append("none of the alternatives is complete: " + "; ".join(states))
        for group in self.any_of:
            for n in group:
                status.setdefault(n, "missing" if n not in env else "empty")
        return "no alternative complete"

    def _secrets(self, ctx: AttemptContext, env: Mapping[str, EnvVar], status: dict[str, str]) -> list[str]:
        out = []
        for name, var in env.items():
            if var.secret is None:
                continue
            ref = var.secret
            secret = ref.secret.rsplit("/", 1)[-1]
            label = f"{name} (secret {secret}, version {ref.version})"
            try:
                version = ctx.cloud.secretmanager.version(
                    ref.secret, ref.version, deadline=ctx.deadline, fresh=ctx.attempt > 1
                )
            except NotFoundError:
                status[name] = f"secret {secret} version {ref.version}: not found"
                out.append(f"{label}: the secret or version does not exist")
                continue
            resolved = version.version
            via = f" (resolves to version {resolved})" if resolved != ref.version else ""
            status[name] = f"secret {secret} version {resolved}: {version.state}"
            if not version.enabled:
                out.append(f"{label}{via} is {version.state}")
        return out


def _state(var: EnvVar | None, name: str) -> str:
    if var is None:
        return f"{name} missing"
    if var.secret is None and not (var.value and var.value.reveal()):
        return f"{name} empty"
    return ""


def _remediation(ctx: AttemptContext, service: str, env: list[str], secrets: list[str]) -> str:
    out = []
    if env:
        out.append(
            f"Set the variables on the service and deploy a new revision: gcloud run services update "
            f"{service} --region {ctx.region} --update-env-vars NAME=VALUE (or --update-secrets "
            "NAME=SECRET:VERSION for credentials)."
        )
    if secrets:
        out.append(
            "Enable the referenced secret version or point the variable at an enabled one: gcloud "
            "secrets versions list SECRET --project " + ctx.project + " ; gcloud secrets versions "
            "enable VERSION --secret SECRET. Avoid `latest` when the newest version may be disabled."
        )
    return " ".join(out)
