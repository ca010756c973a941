"""Providers: one module per Google API, returning frozen facts; memoised per run.

Nothing here imports a Google client at import time (``gate.gcp.cloud`` builds
them lazily), so importing a check type stays cheap. Providers never judge: a
fact that could not be read raises (``ApiError``, ``NotFoundError``,
``MissingFactError``); it is never replaced by an empty default.
"""
