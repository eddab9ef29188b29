"""On Windows a descriptor from ``os.open`` is in the C runtime's text mode unless
O_BINARY is given: each LF written becomes CR LF. A reviewer showed a Windows backup
that no longer read back, a restored database SQLite called malformed and a USB file
central refused. Every ``os.open`` of the product goes through
``berjasa.paths.open_private``, which adds it (Python's own ``open()`` adds it itself,
also for an ``opener``)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from berjasa import paths

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("berjasa", "server", "central", "sync")


def _os_open_calls(source: Path) -> list[int]:
    """Lines of ``os.open(...)`` called as a function, not handed to open() as opener."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    openers = {id(node.value) for node in ast.walk(tree)
               if isinstance(node, ast.keyword) and node.arg == "opener"}
    inside_opener = {id(inner) for node in ast.walk(tree) if id(node) in openers
                     for inner in ast.walk(node)}
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "open" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "os" and id(node) not in inside_opener]


def test_every_os_open_of_the_product_goes_through_open_private():
    found = {str(path.relative_to(ROOT)): lines
             for package in PACKAGES for path in (ROOT / package).rglob("*.py")
             if (lines := _os_open_calls(path))}
    assert found == {"berjasa/paths.py": found.get("berjasa/paths.py")} and len(found) == 1, found


def test_open_private_asks_for_binary_mode_and_owner_only(monkeypatch, tmp_path):
    seen, real_open = {}, os.open

    def recording_open(path, flags, mode=0o777):
        seen.update(flags=flags, mode=mode)
        return real_open(path, flags & ~0x8000, mode)

    monkeypatch.setattr(paths, "BINARY", 0x8000)  # Windows' O_BINARY
    monkeypatch.setattr(paths.os, "open", recording_open)
    paths.write_private(tmp_path / "f.bin", b"a\nb")
    assert seen["flags"] & 0x8000 and seen["mode"] == 0o600
    assert (tmp_path / "f.bin").read_bytes() == b"a\nb"


def test_a_replace_windows_refuses_a_moment_is_tried_again(monkeypatch, tmp_path):
    """An antivirus scan holds a file just written open for a moment: os.replace
    fails with PermissionError on Windows, and the command failed after its work."""
    real_replace, refusals = os.replace, []

    def refusing(source, target):
        if len(refusals) < 2:
            refusals.append(source)
            raise PermissionError(13, "The process cannot access the file")
        real_replace(source, target)

    monkeypatch.setattr(paths.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(paths.os, "replace", refusing)
    paths.write_private(tmp_path / "settings.toml", b"a = 1\n")
    assert len(refusals) == 2 and (tmp_path / "settings.toml").read_bytes() == b"a = 1\n"


def test_a_replace_refused_for_good_still_fails(monkeypatch, tmp_path):
    def refusing(source, target):
        raise PermissionError(13, "Access is denied")

    monkeypatch.setattr(paths.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(paths.os, "replace", refusing)
    with pytest.raises(PermissionError):  # a lasting refusal is not swallowed
        paths.replace_patiently(tmp_path / "a", tmp_path / "b", tries=3)
