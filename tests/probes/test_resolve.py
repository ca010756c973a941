"""gate.probes.resolve: curl --resolve style rewriting of public origins to local servers."""

from __future__ import annotations

import pytest

from gate.probes.resolve import Resolver, Rewritten

LOCAL = "http://127.0.0.1:8123"


def test_an_exact_origin_is_sent_to_its_base_with_the_original_host() -> None:
    r = Resolver({"https://api.example.com": LOCAL})
    assert r.rewrite("https://api.example.com/health?deep=1#top") == Rewritten(
        f"{LOCAL}/health?deep=1", "api.example.com", "https://api.example.com/health?deep=1#top"
    )


def test_default_ports_and_case_do_not_matter() -> None:
    r = Resolver({"HTTPS://API.Example.com:443": LOCAL})
    assert r.rewrite("https://api.example.com/").url == f"{LOCAL}/"
    assert r.rewrite("https://api.example.com:443/").host == "api.example.com:443"
    assert Resolver({"http://h": LOCAL}).rewrite("http://h:80/x").url == f"{LOCAL}/x"
    assert Resolver({"wss://h": LOCAL}).rewrite("wss://h:443/ws").url == f"{LOCAL}/ws"


def test_scheme_and_port_must_match() -> None:
    r = Resolver({"https://api.example.com": LOCAL})
    for url in ("http://api.example.com/", "https://api.example.com:8443/", "https://other.example.com/"):
        assert r.rewrite(url) == Rewritten(url, url.split("/")[2], url)


def test_a_wildcard_matches_subdomains_only() -> None:
    r = Resolver({"https://*.run.app": LOCAL})
    assert r.rewrite("https://svc-abc-uc.a.run.app/h").url == f"{LOCAL}/h"
    assert r.rewrite("https://x.run.app/").host == "x.run.app"
    for url in ("https://run.app/", "https://evilrun.app/", "https://x.run.app.evil.com/"):
        assert r.rewrite(url).url == url


def test_the_first_matching_rule_wins() -> None:
    r = Resolver()
    r.add("https://api.example.com", "http://127.0.0.1:1")
    r.add("https://*.example.com", "http://127.0.0.1:2")
    assert r.rewrite("https://api.example.com/").url == "http://127.0.0.1:1/"
    assert r.rewrite("https://www.example.com/").url == "http://127.0.0.1:2/"


def test_a_base_path_is_a_prefix() -> None:
    r = Resolver({"https://api.example.com": "http://127.0.0.1:8123/prefix/"})
    assert r.rewrite("https://api.example.com/health").url == "http://127.0.0.1:8123/prefix/health"
    assert Resolver({"https://a": "http://127.0.0.1:1/"}).rewrite("https://a/b").url == "http://127.0.0.1:1/b"


def test_the_host_header_never_carries_credentials() -> None:
    r = Resolver({"https://api.example.com": LOCAL})
    rewritten = r.rewrite("https://user:pw@api.example.com/x")
    assert (rewritten.url, rewritten.host) == (f"{LOCAL}/x", "api.example.com")
    assert Resolver().rewrite("https://user:pw@h.example:8443/").host == "h.example:8443"


def test_parse_reads_origin_base_pairs() -> None:
    r = Resolver.parse([" https://*.run.app = http://127.0.0.1:9 ", "http://a=http://127.0.0.1:8"])
    assert r.rewrite("https://x.run.app/").url == "http://127.0.0.1:9/"
    assert r.rewrite("http://a/").url == "http://127.0.0.1:8/"


@pytest.mark.parametrize(
    "spec", ["https://a", "https://a=", "a=http://127.0.0.1:1", "https://a=127.0.0.1:1", ""]
)
def test_parse_refuses_what_is_not_origin_equals_base(spec: str) -> None:
    with pytest.raises(ValueError) as e:
        Resolver.parse([spec])
    assert str(e.value) == (
        f"expected ORIGIN=BASE like https://api.example.com=http://127.0.0.1:8080, got {spec!r}"
    )


def test_an_empty_resolver_is_false_and_changes_nothing() -> None:
    assert not Resolver() and not Resolver.parse([])
    assert Resolver({"https://a": LOCAL})
    assert Resolver().rewrite("https://a/b") == Rewritten("https://a/b", "a", "https://a/b")
