"""What gate masks before anything is shown or written: registered values and credential shapes."""

from __future__ import annotations

import pytest

from gate.redact import CREDENTIAL_PARAMS, MASK, MIN_LENGTH, Redactor, redact_url

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9iZSJ9.c2lnbmF0dXJlLWJ5dGVz"


# -- registered values ---------------------------------------------------------------


def test_a_registered_value_is_masked_wherever_it_appears() -> None:
    r = Redactor(["s3cr3t-value"])
    assert r.text("a s3cr3t-value b s3cr3t-value") == f"a {MASK} b {MASK}"


def test_values_added_later_are_masked_too() -> None:
    r = Redactor()
    assert r.text("x=hunter22") == "x=hunter22"
    r.add("hunter22")
    assert r.text("x=hunter22") == f"x={MASK}"


def test_the_longest_value_is_replaced_first() -> None:
    # Replacing "abcd" first would leave "1234" of the longer value visible.
    for order in (["abcd", "abcd1234"], ["abcd1234", "abcd"]):
        r = Redactor(order)
        assert r.text("v=abcd1234 w=abcd") == f"v={MASK} w={MASK}"
    # By length, not by name: "xyz9" sorts after "axyz9b" but is replaced after it.
    assert Redactor(["xyz9", "axyz9b"]).text("k=axyz9b") == f"k={MASK}"


def test_the_mask_is_three_stars() -> None:
    assert Redactor(["s3cr3t"]).text("s3cr3t") == "***"


def test_values_shorter_than_the_minimum_are_not_registered() -> None:
    assert MIN_LENGTH == 4
    r = Redactor(["abc", ""])
    r.add(None)
    assert r.text("abc is an ordinary word") == "abc is an ordinary word"
    r.add("abcd")
    assert r.text("abc abcd") == f"abc {MASK}"


def test_deep_masks_strings_inside_data_but_not_keys() -> None:
    r = Redactor(["tok-1234"])
    data = {"tok-1234": ["a tok-1234", ("tok-1234", 3)], "n": None, "b": True, "f": 1.5}
    assert r.deep(data) == {"tok-1234": [f"a {MASK}", [MASK, 3]], "n": None, "b": True, "f": 1.5}
    assert r.deep("tok-1234") == MASK
    assert r.deep(7) == 7


# -- shapes masked without registration ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Authorization: Bearer abcd.efgh-ijkl", f"Authorization: Bearer {MASK}"),
        ("authorization: bearer abcd", f"authorization: bearer {MASK}"),
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: Basic {MASK}"),
        ("BEARER   abcdefgh done", f"BEARER {MASK} done"),
        ("bearer abc", "bearer abc"),  # too short to be a token
        ("a bearerabcd", "a bearerabcd"),  # not a word on its own
    ],
)
def test_bearer_and_basic_credentials(text: str, want: str) -> None:
    assert Redactor().text(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (f"token was {JWT} (expired)", f"token was {MASK} (expired)"),
        ("eyJhbGciOi.eyJzdWIi.", MASK),  # unsigned: an empty third part
        ("eyJabcd.eyJzdWIi.sig", "eyJabcd.eyJzdWIi.sig"),  # too short to be a JWT header
        ("xeyJhbGciOi.eyJzdWIi.sig", "xeyJhbGciOi.eyJzdWIi.sig"),  # not at a word boundary
    ],
)
def test_jwts_are_masked(text: str, want: str) -> None:
    assert Redactor().text(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Sec-WebSocket-Protocol: jwt.abcd1234.x", f"Sec-WebSocket-Protocol: jwt.{MASK}"),
        ("subprotocols ['jwt.q/w+e=r~t', 'v1']", f"subprotocols ['jwt.{MASK}', 'v1']"),
        ("jwt.abc", "jwt.abc"),
        ("myjwt.abcdef", "myjwt.abcdef"),
    ],
)
def test_the_jwt_subprotocol_is_masked(text: str, want: str) -> None:
    assert Redactor().text(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("password=hunter2 next", f"password={MASK} next"),
        ("PASSWD: hunter2", f"PASSWD: {MASK}"),
        ("db_pwd=x passwd=abc", f"db_pwd=x passwd={MASK}"),
        ('{"client_secret": "abc123"}', f'{{"client_secret": "{MASK}"}}'),
        ("refresh_token=abc&x=1", f"refresh_token={MASK}&x=1"),
        ("API-KEY=abcdef", f"API-KEY={MASK}"),
        ("apikey: abcdef", f"apikey: {MASK}"),
        ("access_key=AKIA1234", f"access_key={MASK}"),
        ("private-key = abcd", f"private-key = {MASK}"),
        ("aws_secret_key=abcd;", f"aws_secret_key={MASK};"),
        ("token=ab", "token=ab"),  # too short to be a credential
        ("secretmanager: HTTP 401", "secretmanager: HTTP 401"),  # an API name, not a key
        ("tokens: 3 left", "tokens: 3 left"),
    ],
)
def test_credential_pairs_in_free_text(text: str, want: str) -> None:
    assert Redactor().text(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "GET https://x.example/cb?code=4/0AbCd&state=ok failed",
            f"GET https://x.example/cb?code={MASK}&state=ok failed",
        ),
        ("'https://h/p?key=AIzaSyAbc&alt=json'", f"'https://h/p?key={MASK}&alt=json'"),
        ("https://h/p?sig=abc", f"https://h/p?sig={MASK}"),
        (
            "https://b.s3.example/o?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA%2F1",
            f"https://b.s3.example/o?X-Amz-Signature={MASK}&X-Amz-Credential={MASK}",
        ),
        ("https://h/?SESSION_ID=abc", f"https://h/?SESSION_ID={MASK}"),
        ("https://h/cb#access_token=abc&type=bearer", f"https://h/cb#access_token={MASK}&type=bearer"),
        ("https://h/cb#code=abc&state=x", f"https://h/cb#code={MASK}&state=x"),
        ("https://h/?auth=abc&page=2", f"https://h/?auth={MASK}&page=2"),
        ("https://h/?monkey=abc&code", "https://h/?monkey=abc&code"),
        ("https://h/?x%2Dapi%2Dkey=abc", f"https://h/?x%2Dapi%2Dkey={MASK}"),
        ("see ?key= for more", "see ?key= for more"),
    ],
)
def test_credential_url_parameters_in_free_text(text: str, want: str) -> None:
    assert Redactor().text(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("redirected to https://bob:hunter2@h.example/x", f"redirected to https://{MASK}@h.example/x"),
        ("POSTGRES postgresql://app:pw@10.0.0.3:5432/db", f"POSTGRES postgresql://{MASK}@10.0.0.3:5432/db"),
        ("HTTPS://U:P@H/", f"HTTPS://{MASK}@H/"),
        ("https://h.example/a@b", "https://h.example/a@b"),  # an @ in the path is not userinfo
        ("mail bob@h.example", "mail bob@h.example"),
    ],
)
def test_userinfo_in_urls_in_free_text(text: str, want: str) -> None:
    assert Redactor().text(text) == want


def test_patterns_apply_after_registered_values() -> None:
    r = Redactor(["Bearer"])
    assert r.text("Bearer abcdefgh") == f"{MASK} abcdefgh"


# -- redact_url ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "access_token",
        "id_token",
        "client_secret",
        "password",
        "passwd",
        "db_password",
        "api_key",
        "apikey",
        "x-api-key",
        "key",
        "sig",
        "signature",
        "auth",
        "authorization",
        "code",
        "credential",
        "credentials",
        "session",
        "session_id",
        "X-Amz-Signature",
        "x-amz-security-token",
        "access_key",
        "accesskey_id",
        "TOKEN",
        "Api-Key",
        "SIG",
    ],
)
def test_every_credential_parameter_name_is_masked(name: str) -> None:
    assert CREDENTIAL_PARAMS.match(name)
    assert (
        redact_url(f"https://h.example/p?{name}=v4lue&page=2") == f"https://h.example/p?{name}={MASK}&page=2"
    )


@pytest.mark.parametrize("name", ["page", "keys", "monkey", "sigma", "authority", "codec", "region", "q"])
def test_ordinary_parameters_are_kept(name: str) -> None:
    assert not CREDENTIAL_PARAMS.match(name)
    assert redact_url(f"https://h.example/p?{name}=v") == f"https://h.example/p?{name}=v"


def test_redact_url_masks_userinfo_and_keeps_the_rest() -> None:
    assert (
        redact_url("https://user:pw@h.example:8443/a/b?x=1#top")
        == f"https://{MASK}@h.example:8443/a/b?x=1#top"
    )
    assert redact_url("https://a@b:c@h.example/") == f"https://{MASK}@h.example/"
    assert redact_url("https://h.example/a@b") == "https://h.example/a@b"


def test_redact_url_masks_credentials_in_the_fragment() -> None:
    assert redact_url("https://h/cb#access_token=abc&scope=x") == f"https://h/cb#access_token={MASK}&scope=x"
    assert redact_url("https://h/docs#section-2") == "https://h/docs#section-2"


def test_redact_url_keeps_blank_values_and_urls_without_a_query() -> None:
    assert redact_url("https://h/p?flag=&token=") == f"https://h/p?flag=&token={MASK}"
    assert redact_url("https://h/p") == "https://h/p"
    assert redact_url("wss://h/ws") == "wss://h/ws"


def test_an_unparseable_url_is_masked_whole() -> None:
    assert redact_url("http://[::1/health?token=abc") == MASK
