"""Import one module of a Google client library without running its package's ``__init__``.

``google.cloud.compute_v1/__init__.py`` imports every Compute service (about 100) to
re-export their clients, about a second of start-up for the handful gate uses; run_v2,
sqladmin and the ``types`` packages do the same on a smaller scale. ``narrow_import``
imports only the module asked for (and what that module itself imports).

How: before the import, each package of the library named in ``DEFERRED`` is put in
``sys.modules`` as the real module object, built from the real spec by the import
system's own ``module_from_spec``, with ``__path__`` set but its ``__init__`` not yet
run. Submodules import as usual under it. The package stays correct for anyone
else: reading a submodule name from it imports that submodule (what the eager
``__init__`` would have done), and reading any other name (or ``dir()``) runs the
package's own ``__init__`` once, in place, before answering. After that the module
is an ordinary module, identical to one a plain ``import`` would have built. (Only
its raw ``__dict__``, read before then, lacks the names the ``__init__`` adds.) Nothing
in the client libraries is changed; their classes are used as they are. The
``__init__`` files also call ``api_core.check_python_version`` and
``check_dependency_versions``, which only warn about unsupported versions; those
warnings come when the package completes, if ever.

A package already in ``sys.modules`` (imported normally by someone) is left as it is.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import types
from typing import Any

# Packages whose ``__init__`` imports far more than gate reads (each service of the
# library and its async/gRPC transports, or every types module). Parents come before
# their children. Measured with ``python -X importtime`` (docs/PERFORMANCE.md).
DEFERRED: tuple[str, ...] = (
    "google.cloud.compute_v1",
    "google.cloud.compute_v1.types",
    "google.cloud.run_v2",
    "google.cloud.run_v2.types",
    "google.cloud.run_v2.services.services",
    "google.cloud.run_v2.services.revisions",
    "google.cloud.sqladmin_v1beta4",
    "google.cloud.sqladmin_v1beta4.types",
    "google.cloud.sqladmin_v1beta4.services.sql_instances_service",
    "google.cloud.sqladmin_v1beta4.services.sql_tiers_service",
    "google.cloud.secretmanager_v1",
    "google.cloud.secretmanager_v1.types",
    "google.cloud.secretmanager_v1.services.secret_manager_service",
    "google.cloud.redis_v1",
    "google.cloud.redis_v1.types",
    "google.cloud.redis_v1.services.cloud_redis",
    "google.cloud.vpcaccess_v1",
    "google.cloud.vpcaccess_v1.types",
    "google.cloud.vpcaccess_v1.services.vpc_access_service",
    "google.cloud.network_management_v1",
    "google.cloud.network_management_v1.types",
    "google.cloud.network_management_v1.services.reachability_service",
    # Monitoring is read over a session (no REST transport): only its message types.
    "google.cloud.monitoring_v3",
    "google.cloud.monitoring_v3.types",
)

# One lock for every deferral and every completion: both are rare (a handful per
# process) and short next to the imports around them.
_lock = threading.RLock()
_completing: set[str] = set()


class _DeferredPackage(types.ModuleType):
    """A package module whose ``__init__`` has not run yet (see the module docstring)."""

    def __getattr__(self, name: str) -> Any:
        # Only called for names not in the module's __dict__.
        if not name.startswith("__") and _is_submodule(self, name):
            # What `from package import submodule` and `package.submodule` get from an
            # eager package; the import system binds it on the package.
            return importlib.import_module(f"{self.__name__}.{name}")
        _complete(self)
        return types.ModuleType.__getattribute__(self, name)

    def __dir__(self) -> list[str]:
        _complete(self)  # every name the package's __init__ defines, as for an eager package
        return sorted(types.ModuleType.__getattribute__(self, "__dict__"))


def _is_submodule(package: types.ModuleType, name: str) -> bool:
    path = types.ModuleType.__getattribute__(package, "__path__")
    return importlib.machinery.PathFinder.find_spec(f"{package.__name__}.{name}", path) is not None


def _complete(module: types.ModuleType) -> None:
    """Run the package's own ``__init__`` in place, once; concurrent readers wait for it."""
    name = module.__name__
    with _lock:
        if type(module) is not _DeferredPackage:
            return  # completed while we waited
        if name in _completing:
            # The __init__ itself reads a name it has not defined yet, as in any
            # partially initialised module.
            raise AttributeError(f"partially initialized module {name!r}")
        _completing.add(name)
        try:
            spec = module.__spec__
            assert spec is not None and spec.loader is not None
            spec.loader.exec_module(module)
            _become_plain(module)
        finally:
            _completing.discard(name)


def _become_plain(module: types.ModuleType) -> None:
    module.__class__ = types.ModuleType  # an ordinary module from now on: no hook


def _defer(name: str) -> None:
    if name in sys.modules:
        return
    parent_name, _, child = name.rpartition(".")
    parent = importlib.import_module(parent_name)
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not an installed package: the plain import will say so
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _DeferredPackage
    sys.modules[name] = module
    setattr(parent, child, module)  # as the import system binds a loaded submodule


def narrow_import(name: str) -> types.ModuleType:
    """``importlib.import_module(name)``, without running the ``__init__`` of ``DEFERRED``
    packages of its library that are not imported yet."""
    library = ".".join(name.split(".")[:3])  # google.cloud.<library>
    if library not in sys.modules:
        with _lock:
            for package in DEFERRED:
                if package == library or package.startswith(library + "."):
                    _defer(package)
    # Not sys.modules[name]: a module another thread is importing is there before it
    # is complete, and import_module waits for it.
    return importlib.import_module(name)


def import_attr(ref: str) -> Any:
    """``"module:Name"`` imported with :func:`narrow_import`."""
    module, _, attr = ref.partition(":")
    return getattr(narrow_import(module), attr)
