"""A stand-in for the two gcloud commands a deploy pipeline runs, against GATE_EMULATOR_HOST.

``python -m tests.gcloud run deploy SERVICE --image IMAGE [--no-traffic] [--tag TAG] ...`` and
``python -m tests.gcloud run services update-traffic SERVICE --to-tags T=P | --to-revisions R=P
| --to-latest ...`` send what gcloud sends to the Cloud Run Admin API, through the official
client over REST (tests put a ``gcloud`` script on PATH that runs this module):

- ``run deploy`` reads the service, sets the ingress container's image (and
  ``--update-env-vars`` / ``--remove-env-vars``), names the revision
  client-side as gcloud does (``SERVICE-{generation+1:05d}-xxx``,
  serverless_operations._AddRevisionForcingChange), and for ``--no-traffic`` pins LATEST's share
  to the current latest ready revision (TrafficTargets.ZeroLatestTraffic); ``--tag`` moves the
  tag to the new revision (TrafficTargets.UpdateTags). It fails, like gcloud, when the revision
  does not become Ready.
- ``update-traffic`` applies TrafficTargets.UpdateTraffic: percent targets merged per revision,
  tags moved to 0% targets, unspecified serving targets scaled to fill 100%, untagged 0% targets
  dropped.

Only what the tests and the README's commands use is implemented.
"""

from __future__ import annotations

import argparse
import os
import random
import string
import sys
from typing import Any

LATEST_KEY = "LATEST"


def _client() -> Any:
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import run_v2

    host = os.environ.get("GATE_EMULATOR_HOST")
    if not host:
        sys.exit("tests.gcloud: GATE_EMULATOR_HOST is not set (this stand-in only talks to the emulator)")
    return run_v2.ServicesClient(
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        transport="rest",
        client_options=ClientOptions(api_endpoint=f"http://{host}"),
    )


def _types() -> tuple[Any, Any]:
    from google.cloud import run_v2

    return run_v2.TrafficTarget, run_v2.TrafficTargetAllocationType


def _key(t: Any) -> str:
    _, kinds = _types()
    return LATEST_KEY if t.type_ == kinds.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST else str(t.revision)


def _target(key: str, percent: int = 0, tag: str = "") -> Any:
    target, kinds = _types()
    if key == LATEST_KEY:
        return target(type_=kinds.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent=percent, tag=tag)
    return target(type_=kinds.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision=key, percent=percent, tag=tag)


def _normalized(traffic: list[Any]) -> tuple[dict[str, int], list[Any]]:
    percents: dict[str, int] = {}
    tags = []
    for t in traffic:
        if t.tag:
            tags.append(_target(_key(t), 0, t.tag))
        if t.percent:
            percents[_key(t)] = percents.get(_key(t), 0) + t.percent
    return percents, tags


def update_traffic(traffic: list[Any], new: dict[str, int]) -> list[Any]:
    """TrafficTargets.UpdateTraffic for ``new`` (key -> percent)."""
    current, tags = _normalized(traffic or [_target(LATEST_KEY, 100)])
    if sum(current.values()) != 100:
        raise SystemExit(f"ERROR: Current traffic allocation of {sum(current.values())} is not 100 percent")
    if sum(new.values()) > 100:
        raise SystemExit("ERROR: Over 100% of traffic is specified.")
    unassigned = {k: v for k, v in current.items() if k not in new}
    rest = 100 - sum(new.values())
    if rest and not unassigned:
        raise SystemExit(
            "ERROR: Every target with traffic is updated but 100% of traffic has not been specified."
        )
    merged: dict[str, float] = dict(new)
    if rest:
        total = sum(unassigned.values())
        merged.update({k: v * rest / total for k, v in unassigned.items()})
    ints = {k: int(v) for k, v in merged.items()}
    order = sorted(merged, key=lambda k: (1 - (merged[k] - ints[k]), merged[k], (k == LATEST_KEY, k)))
    for k in order[: round(sum(merged.values())) - sum(ints.values())]:
        ints[k] += 1
    out = [_target(k, pct) for k, pct in ints.items() if not (k in new and new[k] == 0) and pct]
    out.sort(key=lambda t: (_key(t) == LATEST_KEY, _key(t)))
    return out + tags


def update_tags(traffic: list[Any], tags: dict[str, str]) -> list[Any]:
    """TrafficTargets.UpdateTags(to_update=tags, to_remove=[], clear_others=False)."""
    out = []
    for t in traffic or [_target(LATEST_KEY, 100)]:
        tag = "" if t.tag in tags else t.tag
        if t.percent or tag:
            out.append(_target(_key(t), t.percent, tag))
    out.extend(_target(key, 0, tag) for tag, key in sorted(tags.items()))
    return out


def zero_latest(traffic: list[Any], latest_ready: str) -> list[Any]:
    """TrafficTargets.ZeroLatestTraffic: LATEST's share pinned to the current latest ready revision."""
    percents, tags = _normalized(traffic or [_target(LATEST_KEY, 100)])
    if LATEST_KEY not in percents:
        return list(traffic)
    latest = percents.pop(LATEST_KEY)
    percents[latest_ready] = percents.get(latest_ready, 0) + latest
    out = [_target(k, v) for k, v in sorted(percents.items())]
    return out + tags


def _update_env(container: Any, args: argparse.Namespace) -> None:
    """--update-env-vars K=V,... then --remove-env-vars K,... on the ingress container."""
    from google.cloud import run_v2

    updates = dict(item.split("=", 1) for item in args.update_env_vars.split(",") if item)
    removed = {k for k in args.remove_env_vars.split(",") if k}
    env = [e for e in container.env if e.name not in removed and e.name not in updates]
    env += [run_v2.EnvVar(name=k, value=v) for k, v in updates.items()]
    del container.env[:]
    container.env.extend(env)


def _name(args: argparse.Namespace) -> str:
    return f"projects/{args.project}/locations/{args.region}/services/{args.service}"


def _pairs(text: str) -> dict[str, int]:
    out = {}
    for item in text.split(","):
        k, _, v = item.partition("=")
        out[k.strip()] = int(v)
    return out


def deploy(args: argparse.Namespace) -> int:
    client = _client()
    svc = client.get_service(name=_name(args), retry=None, timeout=10)
    template = svc.template
    ingress = next((c for c in template.containers if c.ports), template.containers[0])
    ingress.image = args.image
    _update_env(ingress, args)
    suffix = "".join(random.choice(string.ascii_lowercase) for _ in range(3))
    revision = f"{args.service}-{svc.generation + 1:05d}-{suffix}"
    template.revision = revision
    traffic = [_target(_key(t), t.percent, t.tag) for t in svc.traffic]
    if args.no_traffic:
        traffic = zero_latest(traffic, svc.latest_ready_revision.rsplit("/", 1)[-1])
    if args.tag:
        traffic = update_tags(traffic, {args.tag: revision})
    del svc.traffic[:]
    svc.traffic.extend(traffic)
    done = client.update_service(service=svc, retry=None, timeout=10).result(timeout=30)
    ready = done.terminal_condition
    if ready.state.name != "CONDITION_SUCCEEDED":
        print(f"ERROR: (gcloud.run.deploy) {ready.message}", file=sys.stderr)
        return 1
    share = sum(t.percent for t in done.traffic_statuses if t.revision == revision)
    print(
        f"Service [{args.service}] revision [{revision}] has been deployed and is serving {share} "
        "percent of traffic.",
        file=sys.stderr,
    )
    for t in done.traffic_statuses:
        if t.tag == args.tag and t.uri:
            print(f"The revision can be reached directly at {t.uri}", file=sys.stderr)
    return 0


def traffic(args: argparse.Namespace) -> int:
    client = _client()
    svc = client.get_service(name=_name(args), retry=None, timeout=10)
    if args.to_latest:
        new = {LATEST_KEY: 100}
    elif args.to_revisions:
        new = _pairs(args.to_revisions)
    else:
        by_tag = {t.tag: _key(t) for t in svc.traffic if t.tag}
        new = {}
        for tag, pct in _pairs(args.to_tags).items():
            if tag not in by_tag:
                print(f"ERROR: (gcloud.run.services.update-traffic) No tag [{tag}] found", file=sys.stderr)
                return 1
            new[by_tag[tag]] = pct
    updated = update_traffic([_target(_key(t), t.percent, t.tag) for t in svc.traffic], new)
    del svc.traffic[:]
    svc.traffic.extend(updated)
    done = client.update_service(service=svc, retry=None, timeout=10).result(timeout=30)
    for t in done.traffic_statuses:
        who = "LATEST" if not t.revision else t.revision
        print(f"  {t.percent}% {who}{' tag ' + t.tag if t.tag else ''}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gcloud")
    top = p.add_subparsers(dest="group", required=True)
    run = top.add_parser("run").add_subparsers(dest="command", required=True)
    d = run.add_parser("deploy")
    d.add_argument("service")
    d.add_argument("--image", required=True)
    d.add_argument("--no-traffic", action="store_true")
    d.add_argument("--tag", default="")
    d.add_argument("--update-env-vars", default="")
    d.add_argument("--remove-env-vars", default="")
    services = run.add_parser("services").add_subparsers(dest="verb", required=True)
    t = services.add_parser("update-traffic")
    t.add_argument("service")
    how = t.add_mutually_exclusive_group(required=True)
    how.add_argument("--to-tags")
    how.add_argument("--to-revisions")
    how.add_argument("--to-latest", action="store_true")
    for sub in (d, t):
        sub.add_argument("--region", required=True)
        sub.add_argument("--project", required=True)
        sub.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    return deploy(args) if args.command == "deploy" else traffic(args)


if __name__ == "__main__":
    sys.exit(main())
