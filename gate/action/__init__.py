"""The GitHub Action's script (``python -m gate.action``), kept in the package so it is testable.

It runs ``gate check`` as a child process (the real CLI, its real exit code),
with the ``github`` format on stdout (annotations, and the Markdown summary
appended to ``$GITHUB_STEP_SUMMARY``) and the JSON and JUnit reports written to
files, then sets the step's outputs. It exits with gate's own exit code, so
every verdict but PASS fails the step, INCONCLUSIVE (3) included.
"""
