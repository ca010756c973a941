"""Developer tools that are not part of gate: not in the wheel, not run in CI."""
