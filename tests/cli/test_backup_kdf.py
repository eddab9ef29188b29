"""Backup KDF parameters are bounded before use (issue 13 item 8): a header
asking scrypt for 16 GiB is one clear line, not an allocation and a traceback."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from server.backup import MAGIC, SCRYPT, BackupError, create_backup, read_backup
from tests.helpers import PASSPHRASE, berjasa


def _with_header(path, **changes):
    raw = path.read_bytes()
    header_line, _, cipher = raw[len(MAGIC):].partition(b"\n")
    header = {**json.loads(header_line), **changes}
    out = path.with_name(f"ubah-{len(changes)}-{abs(hash(str(changes)))}.bjb")
    out.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + cipher)
    return out


@pytest.fixture(scope="module")
def backup(_template_data_dir, tmp_path_factory):
    """A real backup of a copy of the test folder (in-process: the CLI path is
    tested below), made once, and the tests only read
    the backup (altered copies go beside it under their own names)."""
    folder = tmp_path_factory.mktemp("backup-kdf")
    shutil.copytree(_template_data_dir, folder / "kelurahan")
    return create_backup(folder / "kelurahan", folder / "cadangan.bjb", PASSPHRASE).path


def test_huge_scrypt_n_is_one_clear_line(backup, tmp_path):
    bad = _with_header(backup, n=2**24)
    started = time.monotonic()
    answer = berjasa("restore", str(bad), "--passphrase-stdin", "--data-dir",
                     str(tmp_path / "pulih"), stdin=PASSPHRASE + "\n")
    assert answer.returncode != 0 and "Traceback" not in answer.stderr
    lines = [line for line in answer.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "n=16777216" in lines[0] and "KDF" in lines[0]
    assert time.monotonic() - started < 30
    assert not (tmp_path / "pulih" / "kelurahan.db").exists()


@pytest.mark.parametrize("changes", [
    {"n": 2**24}, {"n": 3 * 2**12}, {"n": "32768"}, {"n": True}, {"r": 10**6}, {"p": 0},
    {"p": 2**30}, {"r": -1}, {"n": 2**20, "r": 32}, {"kdf": "argon9"}, {"n": None},
])
def test_every_out_of_bounds_parameter_is_refused_before_the_kdf(backup, changes):
    with pytest.raises(BackupError, match="KDF"):
        read_backup(_with_header(backup, **changes), PASSPHRASE)


@pytest.mark.slow
def test_the_parameters_berjasa_writes_still_restore(_template_data_dir, tmp_path):
    """A ``berjasa backup`` process writes the product's scrypt parameters (the
    tests' own process makes cheaper ones, tests/conftest.py), and they restore."""
    folder = tmp_path / "kelurahan"
    shutil.copytree(_template_data_dir, folder)
    target = tmp_path / "cadangan.bjb"
    answer = berjasa("backup", str(target), "--passphrase-stdin", "--data-dir", str(folder),
                     stdin=PASSPHRASE + "\n", process=True)
    assert answer.returncode == 0, answer.stderr
    header, files = read_backup(target, PASSPHRASE)
    assert "kelurahan.db" in files
    assert {name: header[name] for name in SCRYPT} == SCRYPT == {"n": 2**15, "r": 8, "p": 1}


def test_the_tests_own_backups_are_cheaper_and_restore_alike(backup):
    header, files = read_backup(backup, PASSPHRASE)
    assert "kelurahan.db" in files and header["n"] == 2**10
