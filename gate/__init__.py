"""gate: a deployment gate for Google Cloud.

The public Python API is :func:`gate.run` and :func:`gate.rollout`; they are
imported lazily so that ``import gate`` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from gate.model import Report

__all__ = ["__version__", "rollout", "run"]


def run(*args: Any, **kwargs: Any) -> Report:
    """Run a policy in-process and return its Report. See :func:`gate.api.run`."""
    from gate.api import run as _run

    return _run(*args, **kwargs)


def rollout(*args: Any, **kwargs: Any) -> Report:
    """Progressive delivery in-process; returns the Report. See :func:`gate.api.rollout`."""
    from gate.api import rollout as _rollout

    return _rollout(*args, **kwargs)
