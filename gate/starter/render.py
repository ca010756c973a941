"""An :class:`~gate.starter.inventory.Inventory` as a starter policy (YAML text).

Pure: no API, no value. The policy includes the ``checks/`` library where a
library file fits (``cloud-run.yaml``, ``run-diff.yaml``, ``boot-log.yaml``,
``cloud-sql.yaml``) and writes its own checks where the discovered contract is a
list the library cannot take as a parameter (``run.env``'s variable names) or
where there is one check per destination (``http.health``,
``network.reachability``). Comments say what was found and mark with REVIEW
what a person must confirm. Output is deterministic: services, variables and
destinations are sorted.
"""

from __future__ import annotations

import json
import re

from gate.starter.inventory import Inventory, ServiceFound, SqlUse

RULE = "-" * 78
_BARE = re.compile(r"^[A-Za-z0-9_/][A-Za-z0-9_./@-]*$")
WIDTH = 100  # comment lines are wrapped here
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def scalar(value: str) -> str:
    """A YAML scalar for ``value``: bare when unambiguous, else double-quoted (JSON is valid YAML)."""
    if _BARE.match(value) and value.lower() not in _YAML_WORDS and not _numeric(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def comment(text: str) -> str:
    """One comment line's text: no newline or control character can end the comment early."""
    return _CONTROL.sub(" ", text).strip()


def wrapped(indent: str, text: str, *, first: str = "") -> list[str]:
    """``text`` as comment lines starting with ``indent + "# "``; ``first`` prefixes line one."""
    import textwrap

    lead = f"{indent}# "
    return textwrap.wrap(
        comment(text),
        width=WIDTH,
        initial_indent=lead + first,
        subsequent_indent=lead + " " * len(first),
        break_long_words=False,
        break_on_hyphens=False,
    )


def var_name(service: str, what: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", service) + "_" + what


def render(inv: Inventory, *, output: str) -> str:
    """The policy text; ``output`` is where it will be written (for the next-step commands)."""
    out: list[str] = []
    out += _header(inv, output)
    out += [
        "apiVersion: gate/v1",
        "kind: Policy",
        f"project: {scalar(inv.project)}",
        f"region: {scalar(inv.region)}",
        f"description: {scalar(_description(inv))}",
    ]
    health = [s for s in inv.services if s.health is not None]
    if health:
        out += [
            "vars:",
            "  # REVIEW the health path of each service: gate init sent GET <service URL><path>.",
        ]
        for s in health:
            assert s.health is not None
            mark = "" if s.health.confirmed else "REVIEW: "
            out.append(
                f"  {var_name(s.name, 'health_path')}: {scalar(s.health.path)}"
                f"  # {mark}{comment(s.health.how)}"
            )
    out += ["defaults:", "  timeout: 10s", "include:"]
    sql_done: set[str] = set()
    inline_sql: list[tuple[ServiceFound, SqlUse]] = []
    for s in inv.services:
        out += _section(s)
        out += _includes(inv, s, sql_done, inline_sql)
    out.append("checks:")
    for s in inv.services:
        out += _section(s)
        out += _checks(inv, s)
    for s, use in inline_sql:
        out += _sql_inline(s, use)
    return "\n".join(out) + "\n"


def _description(inv: Inventory) -> str:
    n = len(inv.services)
    return (
        f"Starter policy written by gate init for {n} Cloud Run service{'s' if n != 1 else ''} of "
        f"{inv.project}; review the REVIEW comments before relying on it."
    )


def _header(inv: Inventory, output: str) -> list[str]:
    lines = [
        f"# Starter policy for Google Cloud project {inv.project}, region {inv.region}, written by",
        "# `gate init` from what runs there now. It holds names only: no env value, IP address or",
        "# URL was copied into it. Review every line marked REVIEW, then:",
        f"#   gate validate {output}",
        f"#   gate check --project {inv.project}",
        "# Reference: docs/POLICY.md and docs/checks/ (gate explain TYPE).",
    ]
    for note in inv.notes:
        lines += wrapped("", note, first="REVIEW: ")
    for skipped in inv.skipped:
        lines += wrapped("", f"not covered: {skipped}", first="REVIEW: ")
    return lines


def _section(s: ServiceFound) -> list[str]:
    title = f"  # {s.name} "
    return [title + "-" * max(4, len(RULE) - len(title))]


def _about(s: ServiceFound) -> list[str]:
    share = f"{s.share}% of traffic" if s.share else "no traffic; the latest ready revision"
    container = f"ingress container {s.container or '(unnamed)'}"
    if s.sidecars:
        container += f", other containers {', '.join(s.sidecars)} (their changes are in run.diff)"
    lines = wrapped("  ", f"Learnt from the serving revision {s.revision} ({share}); {container}; {s.vpc}.")
    for n in s.notes:
        lines += wrapped("  ", n, first="REVIEW: ")
    return lines


def _includes(
    inv: Inventory, s: ServiceFound, sql_done: set[str], inline: list[tuple[ServiceFound, SqlUse]]
) -> list[str]:
    svc = scalar(s.name)
    out = _about(s)
    out += [
        "  - file: cloud-run.yaml  # run.revision: the revision being promoted is Ready",
        f"    vars: {{service: {svc}}}",
    ]
    # The library's env contract is Netra's: always replaced (below, when the service has env).
    out.append(f"    exclude: [{scalar(s.name + '-env')}]  # the library's env contract is Netra's")
    out += [
        "  - file: run-diff.yaml  # run.diff: what a new revision loses against the serving one blocks",
        f"    vars: {{service: {svc}}}",
    ]
    out += _boot_log(s)
    for use in s.sql:
        if use.connection_name in sql_done:
            out += wrapped("  ", f"Cloud SQL {use.connection_name} ({use.why}): checked once, above.")
            continue
        sql_done.add(use.connection_name)
        if use.project != inv.project:
            inline.append((s, use))
            continue
        out += wrapped("  ", f"Cloud SQL {use.connection_name}: {use.why}; tier {use.tier} today.")
        out += [
            "  # REVIEW min_tier: the current tier is the minimum; lower it if a smaller one is acceptable.",
            "  - file: cloud-sql.yaml  # sql.instance: RUNNABLE, big enough, and used by the service",
            f"    vars: {{instance: {scalar(use.name)}, service: {svc}, min_tier: {scalar(use.tier)}, "
            f"database_version_prefix: {scalar(use.engine_prefix)}}}",
        ]
    return out


def _boot_log(s: ServiceFound) -> list[str]:
    svc = scalar(s.name)
    log = s.boot_log
    head = "  - file: boot-log.yaml  # logs.boot: a start marker and no crash in the boot log"
    if log is not None and log.entries and log.marker:
        out = []
        if log.offences:
            out += wrapped(
                "  ",
                f"the serving revision's boot log already has {log.offences} line(s) this check rejects "
                "(a crash pattern, or ERROR and above): allow known noise (docs/checks/logs.boot.md).",
                first="REVIEW: ",
            )
        return [*out, head, f"    vars: {{service: {svc}, marker: {scalar(log.marker)}}}"]
    if log is None:
        why = "its boot log could not be read (see above)"
    elif not log.entries:
        why = "the serving revision logged nothing in its first 10 minutes, so this check would be an ERROR"
    else:
        why = (
            f"none of the {log.entries} boot log lines matches a known start marker: set `marker` to a "
            "line the service logs once it is ready"
        )
    return [
        *wrapped("  ", f"boot log check left out: {why}.", first="REVIEW: "),
        f"  # {head.strip()}",
        f'  #   vars: {{service: {svc}, marker: "STARTUP (TCP|HTTP|GRPC) probe succeeded"}}',
    ]


def _checks(inv: Inventory, s: ServiceFound) -> list[str]:
    svc = scalar(s.name)
    out: list[str] = []
    if s.env:
        out += _env_check(s)
    else:
        out.append("  # No environment variables on the ingress container: no run.env check.")
    if s.health is not None:
        var = var_name(s.name, "health_path")
        out += [
            f"  - id: {scalar(s.name + '-health')}",
            "    type: http.health",
            f"    description: {scalar(f'{s.name} answers its health path on the service URL.')}",
            f"    needs: [{scalar(s.name + '-revision')}]",
            "    retry: {interval: 5s, deadline: 30s}",
            "    with:",
            f"      service: {svc}",
            f"      path: ${{{var}}}",
            "      expect: {status: 200}",
        ]
    for r in s.redis:
        out += wrapped("  ", f"Memorystore for Redis {r.name}: {r.why}.")
        out += [
            f"  - id: {scalar(f'{s.name}-reaches-redis-{r.name}')}",
            "    type: network.reachability",
            f"    description: {scalar(f'{s.name} reaches Redis {r.name} through its VPC path.')}",
            "    timeout: 60s",
            f"    with: {{service: {svc}, redis: {scalar(r.name)}}}",
        ]
    for use in s.sql:
        if not use.private_path:
            out += wrapped(
                "  ", f"Cloud SQL {use.connection_name}: no network.reachability check: {use.no_path_reason}."
            )
            continue
        ref = use.name if use.project == inv.project else use.connection_name
        out += wrapped("  ", f"Cloud SQL {use.connection_name}: {use.why}; its private IP is checked.")
        out += [
            f"  - id: {scalar(f'{s.name}-reaches-sql-{use.name}')}",
            "    type: network.reachability",
            f"    description: {scalar(f'{s.name} reaches Cloud SQL {use.name} on its private IP.')}",
            "    timeout: 60s",
            f"    with: {{service: {svc}, sql: {scalar(ref)}}}",
        ]
    return out


def _env_check(s: ServiceFound) -> list[str]:
    secrets = sum(1 for e in s.env if e.secret)
    about = f"{len(s.env)} variable(s) on {s.revision}'s ingress container"
    if secrets:
        about += (
            f", {secrets} from Secret Manager (checked through metadata: the secret and the version "
            "exist and are ENABLED; never read)"
        )
    out = [
        *wrapped("  ", about + "."),
        f"  - id: {scalar(s.name + '-env')}",
        "    type: run.env",
        f"    description: {scalar(f'{s.name} has every variable its serving revision has (names only).')}",
        "    timeout: 15s",
        "    with:",
        f"      service: {scalar(s.name)}",
        "      required:",
    ]
    for e in s.env:
        note = (
            f"  # secret {e.secret}" if e.secret else ("  # empty on the serving revision" if e.empty else "")
        )
        out.append(f"        - {scalar(e.name)}{note}")
    rules = [e for e in s.env if e.empty or e.port or e.url]
    if rules:
        out.append("      vars:")
        for e in rules:
            rule = "{non_empty: false}" if e.empty else "{port: true}" if e.port else "{url: true}"
            out.append(f"        {scalar(e.name)}: {rule}")
    return out


def _sql_inline(s: ServiceFound, use: SqlUse) -> list[str]:
    ident = f"{use.project}-{use.name}-sql"
    return [
        *wrapped("  ", f"Cloud SQL {use.connection_name}: {use.why}; tier {use.tier} today."),
        "  # REVIEW min_tier: the current tier is the minimum; lower it if a smaller one is acceptable.",
        f"  - id: {scalar(ident)}",
        "    type: sql.instance",
        "    timeout: 15s",
        "    with:",
        f"      instance: {scalar(use.connection_name)}",
        f"      min_tier: {scalar(use.tier)}",
        f"      database_version_prefix: {scalar(use.engine_prefix)}",
        f"      connected_from: {{service: {scalar(s.name)}}}",
    ]
