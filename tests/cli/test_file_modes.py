"""The data folder is owner-only on POSIX (issue 13 item 7): 0700 folder, 0600
files; `init` tightens an existing folder; restore never writes keys 0644."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.helpers import PASSPHRASE
from tests.helpers import berjasa as run_berjasa

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX modes; Windows uses ACLs "
                                "(docs/operator-guide.md, not testable here)")


def berjasa(*args, stdin=None):
    return run_berjasa(*args, stdin=stdin, check=True)


def _modes(folder: Path) -> dict[str, int]:
    modes = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        modes[str(path.relative_to(folder))] = stat.S_IMODE(path.stat().st_mode)
    return modes


def _assert_private(folder: Path) -> None:
    for name, mode in _modes(folder).items():
        path = folder / name
        assert mode == (0o700 if path.is_dir() else 0o600), (name, oct(mode))


def test_init_makes_and_tightens_an_owner_only_folder(tmp_path):
    old = os.umask(0o022)
    try:
        folder = tmp_path / "data"
        folder.mkdir(mode=0o755)
        (folder / "catatan.txt").write_text("x")
        os.chmod(folder / "catatan.txt", 0o644)
        berjasa("init", "--kelurahan", "73.71.01.1001", "--data-dir", str(folder))
        berjasa("user", "add", "siti", "--role", "admin", "--password-stdin", "--data-dir",
                str(folder), stdin="kata-sandi-panjang-1\n")
        _assert_private(folder)
        central = tmp_path / "pusat"
        central.mkdir(mode=0o755)
        berjasa("central", "init", "--data-dir", str(central))
        _assert_private(central)
        # an import writes its rejects file (NIKs, names) inside the data folder
        extract = tmp_path / "dtsen.csv"
        extract.write_text("nik;desil\n7371014101900001;2\n7371014101900002;3\n7.37E+15;1\n")
        berjasa("central", "import", "dtsen", str(extract), "--data-dir", str(central))
        assert list((central / "imports").glob("dtsen-*-rejects.csv"))
        _assert_private(central)
    finally:
        os.umask(old)


def test_restore_writes_keys_and_secret_owner_only(data_dir, tmp_path):
    old = os.umask(0o022)
    try:
        (data_dir / "secret_key").write_text("rahasia-sesi")
        (data_dir / "device_key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
        target = tmp_path / "cadangan.bjb"
        berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(data_dir),
                stdin=PASSPHRASE + "\n")
        restored = tmp_path / "pulih"
        berjasa("restore", str(target), "--passphrase-stdin", "--data-dir", str(restored),
                stdin=PASSPHRASE + "\n")
        assert (restored / "device_key.pem").exists() and (restored / "secret_key").exists()
        _assert_private(restored)
    finally:
        os.umask(old)


@pytest.mark.slow
def test_a_command_that_fails_on_a_new_folder_leaves_it_owner_only(tmp_path):
    """``serve`` on a folder never initialised takes its lock (making the folder) and
    then refuses: the folder it leaves is 0700, not the default 0755."""
    folder = tmp_path / "belum" / "ada"
    done = run_berjasa("serve", "--port", "0", "--data-dir", str(folder))
    assert done.returncode != 0 and "berjasa init" in done.stderr
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
