"""gate.errors: how a failed API call and a bad input are worded."""

from __future__ import annotations

import pytest

from gate.errors import ApiError, Diagnostic
from gate.model import SourceRef


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            ApiError(
                "run",
                "denied",
                code=403,
                status="PERMISSION_DENIED",
                permission="run.services.get",
                resource="services/api",
            ),
            "run: HTTP 403 PERMISSION_DENIED: denied; resource services/api; "
            "needs permission run.services.get",
        ),
        (ApiError("run", "", code=503), "run: HTTP 503"),
        (ApiError("run", "", status="UNAVAILABLE"), "run: UNAVAILABLE"),
        (
            ApiError("run", "GetService: malformed response", resource="r"),
            "run: GetService: malformed response; resource r",
        ),
        (ApiError("gate", "timed out waiting"), "gate: timed out waiting"),
        (ApiError("run", ""), "run"),
    ],
)
def test_api_error_wording(error: ApiError, text: str) -> None:
    assert str(error) == text


RETRYABLE = {None: True, 429: True, 500: True, 502: True, 503: True, 504: True}


@pytest.mark.parametrize("code", [None, 400, 401, 403, 404, 409, 429, 500, 501, 502, 503, 504])
def test_which_failures_time_could_cure(code: int | None) -> None:
    assert ApiError("run", "x", code=code).retryable is RETRYABLE.get(code, False)


def test_diagnostic_wording() -> None:
    assert (
        str(Diagnostic(SourceRef("p.yaml", 3, 5), "checks[0].id", "bad")) == "p.yaml:3:5: checks[0].id: bad"
    )
    assert str(Diagnostic(None, "", "bad")) == "bad"
