"""Mutation testing of gate's central pure modules (``python -m tools.mutation``); see docs/MUTATION.md."""
