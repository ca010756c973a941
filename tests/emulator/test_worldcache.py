"""The validated-world cache: same world, checks skipped only for bytes that passed,
never trusted when corrupt, safe with concurrent writers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from gate.emulator import load_world, parse_world
from gate.emulator import worldcache as wc
from gate.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
WORLDS = ROOT / "gate" / "emulator" / "worlds"
S12 = WORLDS / "s12-healthy.yaml"


@pytest.mark.parametrize("world", sorted(WORLDS.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_world_parsed_without_the_message_checks_is_the_same_world(world: Path) -> None:
    text = world.read_text(encoding="utf-8")
    assert parse_world(text, str(world), proto_checks=False) == parse_world(text, str(world))


def _load_in_fresh_process(world: Path, cache: Path) -> dict[str, object]:
    """Load ``world`` in a new interpreter; which Google modules that imported."""
    code = textwrap.dedent(
        f"""
        import json, sys
        from gate.emulator import load_world
        w = load_world({str(world)!r})
        google = sorted(m for m in sys.modules if m.startswith("google.cloud."))
        print(json.dumps({{"name": w.name, "google": google}}))
        """
    )
    env = {"PATH": "", "GATE_CACHE_DIR": str(cache), "HOME": str(cache)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def test_the_second_load_of_a_valid_world_skips_the_message_type_imports(tmp_path: Path) -> None:
    first = _load_in_fresh_process(S12, tmp_path)
    markers = list((tmp_path / "worlds").glob("*.valid"))
    second = _load_in_fresh_process(S12, tmp_path)
    assert first["google"], "the first load validates against the clients' message types"
    assert len(markers) == 1
    assert second == {"name": first["name"], "google": []}


def test_a_corrupt_marker_is_not_trusted_and_is_rewritten(tmp_path: Path) -> None:
    _load_in_fresh_process(S12, tmp_path)
    (marker,) = (tmp_path / "worlds").glob("*.valid")
    good = marker.read_text(encoding="ascii")
    for bad in ("", good[:20], "0" * 64 + "\n", "\x00\xff"):
        marker.write_bytes(bad.encode("latin-1"))
        again = _load_in_fresh_process(S12, tmp_path)
        assert again["google"], f"a marker holding {bad!r} was trusted"
        assert marker.read_text(encoding="ascii") == good


def test_an_invalid_world_is_never_marked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(wc.CACHE_ENV, str(tmp_path))
    bad = tmp_path / "bad.yaml"
    text = S12.read_text(encoding="utf-8")
    bad.write_text(text.replace("  services:\n", "  services:\n  - {bogus: 1}\n", 1))
    for _ in range(2):  # the second load validates again and reports the same problem
        with pytest.raises(InputError):
            load_world(bad)
    assert not list(tmp_path.glob("worlds/*.valid"))


def test_a_world_edited_after_it_was_cached_is_validated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(wc.CACHE_ENV, str(tmp_path))
    world = tmp_path / "w.yaml"
    text = S12.read_text(encoding="utf-8")
    world.write_text(text)
    load_world(world)
    # An unknown field only the message-type check catches.
    assert "      name: staging-vpc\n" in text
    vpc = "      name: staging-vpc\n"
    world.write_text(text.replace(vpc, vpc + "      bogusField: 1\n", 1))
    with pytest.raises(InputError) as e:
        load_world(world)
    assert "bogusField" in str(e.value)


def test_no_cache_when_the_directory_is_off_or_unwritable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(wc.CACHE_ENV, "")
    assert load_world(S12).name
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv(wc.CACHE_ENV, str(blocked))
    assert load_world(S12).name  # validated in full, nothing written, no error
    assert blocked.read_text() == "not a directory"


def test_concurrent_writers_never_expose_a_partial_marker(tmp_path: Path) -> None:
    key = wc.key("world text")
    seen: list[bool] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            path = tmp_path / "worlds" / f"{key}.valid"
            if path.exists():
                seen.append(wc.is_validated(key, tmp_path))

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=wc.mark_validated, args=(key, tmp_path)) for _ in range(16)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    reader.join()
    assert wc.is_validated(key, tmp_path)
    assert all(seen)  # a marker that exists is always whole
    assert sorted(p.name for p in (tmp_path / "worlds").iterdir()) == [f"{key}.valid"]


def test_the_key_covers_the_text_the_validator_and_the_libraries() -> None:
    assert wc.key("a") != wc.key("b")
    assert any(name.startswith("google_cloud_compute-") for name in wc._libraries())
    assert any(name.startswith("protobuf-") for name in wc._libraries())


def test_the_cache_directory_follows_the_environment(tmp_path: Path) -> None:
    assert wc.cache_dir({"GATE_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert wc.cache_dir({"GATE_CACHE_DIR": ""}) is None
    assert wc.cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "gate"
