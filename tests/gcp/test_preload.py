"""The background import of a run's client modules: which modules, in which order."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from gate import registry
from gate.gcp.transport.clients import APIS, CLIENTS, PRELOAD_ORDER, preload_modules
from gate.model import CheckSpec, Policy
from gate.runner import _apis

ROOT = Path(__file__).resolve().parents[2]


def test_every_api_has_a_place_in_the_preload_order() -> None:
    assert sorted(PRELOAD_ORDER) == sorted(APIS)


def test_a_provider_name_covers_its_clients_and_cloud_run_comes_first() -> None:
    mods = preload_modules(["compute", "run", "secretmanager"])
    assert mods[0] == CLIENTS["run"][0]
    compute = [m for key, (m, _) in CLIENTS.items() if key.startswith("compute.")]
    assert set(compute) <= set(mods)
    assert mods.index(CLIENTS["run"][0]) < mods.index(CLIENTS["compute.networks"][0])
    assert preload_modules([]) == []
    assert preload_modules(["logging"]) == ["google.auth.transport.requests"]


def test_a_check_declares_only_the_apis_its_params_use() -> None:
    reach = registry.get("network.reachability")
    redis = reach.apis_for({"service": "s", "redis": "r"})
    assert "redis" in redis and "compute" in redis
    assert "sqladmin" not in redis and "networkmanagement" not in redis
    assert "networkmanagement" in reach.apis_for({"service": "s", "sql": "db", "confirm": True})
    health = registry.get("http.health")
    assert health.apis_for({"url": "https://example.com/health"}) == ()
    assert health.apis_for({"service": "s"}) == ("run",)


def test_a_run_preloads_the_apis_of_its_checks() -> None:
    specs = [
        CheckSpec(id="a", type="http.health", params={"url": "https://x/health"}),
        CheckSpec(id="b", type="run.env", params={"service": "s", "required": ["A"]}),
        CheckSpec(id="c", type="logs.boot", params={"service": "s"}),
    ]
    policy = Policy(project="p", region="r", checks=tuple(specs))
    assert _apis(policy) == ["run", "secretmanager", "logging"]


def run(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_preload_imports_in_the_background_and_survives_a_failing_module() -> None:
    got = run(
        f"""
        import json, sys
        from gate.gcp.transport.preload import Preload
        p = Preload(["gate.no_such_module", {CLIENTS["redis"][0]!r}]).start()
        p.join()
        print(json.dumps({CLIENTS["redis"][0]!r} in sys.modules))
        """
    )
    assert got is True


def test_a_stopped_preload_imports_nothing_more() -> None:
    got = run(
        f"""
        import json, sys
        from gate.gcp.transport.preload import Preload
        p = Preload([{CLIENTS["redis"][0]!r}])
        p.stop()
        p.start().join()
        print(json.dumps({CLIENTS["redis"][0]!r} in sys.modules))
        """
    )
    assert got is False


def test_modules_already_imported_start_no_thread() -> None:
    from gate.gcp.transport.preload import Preload

    p = Preload(["json", "gate.model"]).start()
    assert p.modules == [] and p._thread is None


def test_stopping_waits_for_the_module_in_progress_so_nothing_imports_at_exit(tmp_path: Path) -> None:
    # A module whose import takes a while: stop() must return only once it is done, or an
    # exiting interpreter races the import (weakref's exit hook printed a traceback).
    slow = tmp_path / "gate_slow_module.py"
    slow.write_text("import time\ntime.sleep(0.5)\n", encoding="utf-8")
    got = run(
        f"""
        import json, sys, threading, time
        sys.path.insert(0, {str(tmp_path)!r})
        from gate.gcp.transport.preload import Preload
        p = Preload(["gate_slow_module", {CLIENTS["redis"][0]!r}]).start()
        while "gate_slow_module" not in sys.modules:
            time.sleep(0.01)
        p.stop()
        alive = any(t.name == "gate-preload" for t in threading.enumerate())
        print(json.dumps([alive, {CLIENTS["redis"][0]!r} in sys.modules]))
        """
    )
    assert got == [False, False]
