"""gate.narrow_import: one client module without its package's __init__, and the package
still whole for anyone who uses it afterwards.

Import state is per process, so every case runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from gate.gcp.transport.clients import APIS, CLIENTS, preload_modules
from gate.narrow_import import DEFERRED

ROOT = Path(__file__).resolve().parents[1]
COMPUTE = "google.cloud.compute_v1"


def run(code: str) -> Any:
    """Run ``code`` in a fresh interpreter; it prints one JSON document last."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_client_module_imports_without_the_other_services_of_its_package() -> None:
    got = run(
        f"""
        import json, sys
        from gate.narrow_import import narrow_import
        narrow_import("{COMPUTE}.services.networks.client")
        services = sorted({{m.split(".")[4] for m in sys.modules if m.startswith("{COMPUTE}.services.")}})
        print(json.dumps({{"services": services, "types": "{COMPUTE}.types.compute" in sys.modules,
                          "package": type(sys.modules["{COMPUTE}"]).__name__}}))
        """
    )
    # Without narrow_import the package's __init__ imports every service (more than 100);
    # the networks client itself imports the global operations service (its long-running
    # operations).
    assert "networks" in got["services"] and len(got["services"]) <= 3, got
    assert got["types"] and got["package"] == "_DeferredPackage"


def test_a_later_plain_import_gets_the_whole_package_with_the_same_classes() -> None:
    got = run(
        f"""
        import json, types
        from gate.narrow_import import narrow_import
        narrow = narrow_import("{COMPUTE}.services.networks.client").NetworksClient
        import google.cloud.compute_v1 as compute
        from google.cloud.compute_v1 import FirewallsClient, Network
        print(json.dumps({{
            "same_client": compute.NetworksClient is narrow,
            "same_type": Network is compute.types.compute.Network,
            "firewalls": FirewallsClient.__module__,
            "plain_module": type(compute) is types.ModuleType,
            "all_resolve": all(hasattr(compute, n) for n in compute.__all__),
            "names": len(compute.__all__),
            "version": compute.__version__,
        }}))
        """
    )
    assert got["same_client"] and got["same_type"] and got["plain_module"] and got["all_resolve"]
    assert got["firewalls"] == f"{COMPUTE}.services.firewalls.client"
    assert got["names"] > 1000 and got["version"]


@pytest.mark.parametrize("package", [p for p in DEFERRED if p.count(".") == 2])
def test_a_deferred_package_completed_later_equals_a_plain_import(package: str) -> None:
    """Same public names, and every submodule attribute is the submodule (the package's
    __init__ rebinds none of them, which reading a submodule name before it runs relies on)."""
    probe = f"""
        import json, sys, types, importlib, pkgutil
        {{setup}}
        pkg = importlib.import_module("{package}")
        names = sorted(n for n in dir(pkg) if not n.startswith("__"))
        subs = {{}}
        for p in [m for m in list(sys.modules) if m.startswith("{package}.")]:
            parent, _, child = p.rpartition(".")
            subs[p] = getattr(sys.modules[parent], child, None) is sys.modules[p]
        print(json.dumps({{"names": names, "subs": subs, "plain": type(pkg) is types.ModuleType}}))
        """
    clients = [m for m, _ in CLIENTS.values() if m.startswith(package + ".")]
    setup = "from gate.narrow_import import narrow_import\n        " + "\n        ".join(
        f"narrow_import({m!r})" for m in clients or [package + ".types"]
    )
    narrow = run(probe.replace("{setup}", setup))
    plain = run(probe.replace("{setup}", "pass"))
    assert narrow["plain"] and plain["plain"]
    assert narrow["names"] == plain["names"]
    assert all(narrow["subs"].values()), [k for k, v in narrow["subs"].items() if not v]


def test_every_deferred_package_of_a_library_stays_deferred_while_gate_builds_its_clients() -> None:
    """No module of a client gate uses reads a name the package's __init__ defines, so
    importing every module gate needs never runs a deferred __init__."""
    modules = preload_modules({api.split(".")[0] for api in APIS})
    got = run(
        f"""
        import json, sys
        from gate.narrow_import import narrow_import, DEFERRED
        for m in {modules!r}:
            narrow_import(m)
        print(json.dumps({{p: type(sys.modules.get(p)).__name__ for p in DEFERRED}}))
        """
    )
    assert got == dict.fromkeys(DEFERRED, "_DeferredPackage")


def test_a_package_already_imported_is_left_alone() -> None:
    got = run(
        f"""
        import json, sys, types
        import google.cloud.compute_v1
        from gate.narrow_import import narrow_import
        cls = narrow_import("{COMPUTE}.services.routes.client").RoutesClient
        print(json.dumps({{"plain": type(sys.modules["{COMPUTE}"]) is types.ModuleType,
                          "same": cls is google.cloud.compute_v1.RoutesClient}}))
        """
    )
    assert got == {"plain": True, "same": True}


def test_threads_that_read_the_package_while_it_completes_all_get_the_whole_package() -> None:
    got = run(
        f"""
        import json, threading
        from gate.narrow_import import narrow_import
        narrow_import("{COMPUTE}.services.networks.client")
        import google.cloud.compute_v1 as compute
        start = threading.Barrier(8)
        found = []
        def read():
            start.wait()
            found.append(compute.InstancesClient.__module__)
        threads = [threading.Thread(target=read) for _ in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(json.dumps(found))
        """
    )
    assert got == [f"{COMPUTE}.services.instances.client"] * 8


def test_a_missing_name_is_still_an_attribute_error() -> None:
    got = run(
        f"""
        import json
        from gate.narrow_import import narrow_import
        narrow_import("{COMPUTE}.services.networks.client")
        import google.cloud.compute_v1 as compute
        try:
            compute.NoSuchClient
            print(json.dumps("no error"))
        except AttributeError as e:
            print(json.dumps(type(e).__name__))
        """
    )
    assert got == "AttributeError"
