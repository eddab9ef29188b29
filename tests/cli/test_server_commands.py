"""cli: berjasa init / user add / serve: ``serve``, the environment's data folder
and the product's argon2 parameters as real subprocesses, the rest through the
in-process runner (tests/helpers.py)."""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher

from berjasa import processes
from tests.helpers import BERJASA, PASSWORD
from tests.helpers import berjasa as run


def start_server(data_dir: Path, port: int) -> subprocess.Popen:
    """``berjasa serve`` in the background, once /health answers."""
    return processes.start_server(["serve", "--port", str(port), "--data-dir", str(data_dir)],
                                  f"http://127.0.0.1:{port}", timeout=30)


def test_init_creates_the_database_with_wal_and_is_safe_to_repeat(tmp_path):
    first = run("init", "--kelurahan", "73.71.13.1001", "--json", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    answer = json.loads(first.stdout.splitlines()[-1])
    assert answer["kelurahan_code"] == "73.71.13.1001"
    assert answer["applied_migrations"][0].startswith("0001")
    conn = sqlite3.connect(tmp_path / "kelurahan.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    conn.close()
    again = run("init", "--kelurahan", "73.71.13.1001", "--json", data_dir=tmp_path)
    assert again.returncode == 0
    assert json.loads(again.stdout.splitlines()[-1])["applied_migrations"] == []
    conn = sqlite3.connect(tmp_path / "kelurahan.db")
    assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations")] == versions
    conn.close()


def test_init_with_unknown_code_says_how_to_find_it(tmp_path):
    answer = run("init", "--kelurahan", "73.71.99.1001", data_dir=tmp_path)
    assert answer.returncode != 0
    assert "Traceback" not in answer.stderr
    assert "makassar_wilayah.csv" in answer.stderr and "73.71" in answer.stderr


def test_init_refuses_to_switch_a_folder_to_another_kelurahan(tmp_path):
    assert run("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path).returncode == 0
    other = run("init", "--kelurahan", "73.71.01.1002", data_dir=tmp_path)
    assert other.returncode != 0 and "73.71.01.1001" in other.stderr


@pytest.mark.slow
def test_data_dir_comes_from_the_environment(tmp_path):
    env = {**os.environ, "BERJASA_DATA_DIR": str(tmp_path / "env")}
    answer = subprocess.run([*BERJASA, "init", "--kelurahan", "73.71.01.1001"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert answer.returncode == 0, answer.stderr
    assert (tmp_path / "env" / "kelurahan.db").exists()


@pytest.mark.slow
def test_user_add_hashes_with_argon2_and_refuses_duplicates(tmp_path):
    run("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path)
    # a real process: this one hashes with the product's argon2 parameters
    added = run("user", "add", "rina", "--role", "supervisor", "--password-stdin",
                stdin="rahasia-panjang\n", data_dir=tmp_path, process=True)
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip().splitlines()[-1] == "rina"
    conn = sqlite3.connect(tmp_path / "kelurahan.db")
    stored = conn.execute("SELECT role, password_hash FROM users").fetchone()
    conn.close()
    assert stored[0] == "supervisor" and stored[1].startswith("$argon2id$")
    # argon2-cffi's defaults (RFC 9106 low-memory), not the tests' cheap ones
    defaults = PasswordHasher()
    assert f"$m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}$" \
        in stored[1]
    again = run("user", "add", "RINA", "--role", "admin", "--password-stdin",
                stdin="rahasia-panjang\n", data_dir=tmp_path)
    assert again.returncode != 0 and "sudah dipakai" in again.stderr


def test_the_only_admin_who_forgot_the_password_is_helped_from_the_command_line(
        data_dir, live_server, api):
    """A kelurahan with one admin who forgot the password had to add a second admin,
    reset through the page, then deactivate it: `user reset-password`, `disable`,
    `enable` and `list` do it directly, audited as the command line's."""
    def login(name: str, password: str) -> int:
        return requests.post(f"{live_server}/api/v1/auth/token", timeout=30,
                             json={"username": name, "password": password}).status_code

    done = run("user", "reset-password", "admin", "--password-stdin", stdin="sandi-baru-lurah-1\n",
               data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert login("admin", "sandi-baru-lurah-1") == 200 and login("admin", PASSWORD) == 401
    supervisor = api("supervisor")
    assert run("user", "disable", "supervisor", data_dir=data_dir).returncode == 0
    assert supervisor.get("/api/v1/auth/me").status_code == 401  # its tokens end
    listed = json.loads(run("user", "list", "--json", data_dir=data_dir).stdout)
    assert {"username": "supervisor", "role": "supervisor", "active": False} in listed
    assert run("user", "enable", "supervisor", data_dir=data_dir).returncode == 0
    assert login("supervisor", PASSWORD) == 200
    missing = run("user", "disable", "siapa", data_dir=data_dir)
    assert missing.returncode != 0 and "Pengguna 'siapa' tidak ada" in missing.stderr
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    trail = conn.execute("SELECT actor FROM audit_log WHERE action = 'user.update' ORDER BY seq")
    actors = [row[0] for row in trail]
    conn.close()
    assert actors == [f"cli:{getpass.getuser()}"] * 3


@pytest.mark.parametrize("args,stdin,needle", [
    (["--role", "pilot"], "rahasia-panjang\n", "pilot"),
    (["--role", "admin"], "pendek\n", "minimal"),
])
def test_user_add_bad_input_is_one_clear_line(tmp_path, args, stdin, needle):
    run("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path)
    answer = run("user", "add", "x", *args, "--password-stdin", stdin=stdin, data_dir=tmp_path)
    assert answer.returncode != 0
    assert needle in answer.stderr and "Traceback" not in answer.stderr


def test_commands_before_init_say_so(tmp_path):
    answer = run("user", "add", "x", "--role", "admin", "--password-stdin", stdin="x" * 10,
                 data_dir=tmp_path / "empty")
    assert answer.returncode != 0 and "berjasa init" in answer.stderr


@pytest.mark.slow
def test_serve_answers_health_and_login(tmp_path):
    run("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path)
    run("user", "add", "ani", "--role", "enumerator", "--password-stdin",
        stdin="rahasia-panjang\n", data_dir=tmp_path)
    port = processes.free_port()
    server = start_server(tmp_path, port)
    try:
        health = requests.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
        assert health["kelurahan_code"] == "73.71.01.1001"
        token = requests.post(f"http://127.0.0.1:{port}/api/v1/auth/token",
                              json={"username": "ani", "password": "rahasia-panjang"}, timeout=10)
        assert token.status_code == 200 and token.json()["role"] == "enumerator"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_a_started_server_keeps_answering_after_a_pipes_worth_of_log_lines(tmp_path):
    """Each request writes a ~250-byte log line to the server's stderr. When that
    was a pipe nobody read (the demo's servers), the server froze mid-request after
    ~250 requests, once the pipe's 64 KB were full."""
    from concurrent.futures import ThreadPoolExecutor

    run("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path)
    port = processes.free_port()
    server = start_server(tmp_path, port)
    try:
        def health(_: int) -> int:
            return requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(health, range(600)))  # ~150 KB of log lines
        assert codes == [200] * 600
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_a_server_that_stops_while_starting_says_why(tmp_path):
    port = processes.free_port()
    with pytest.raises(processes.ServerDidNotStart) as stopped:
        start_server(tmp_path / "belum-ada", port)  # never initialised
    assert "berjasa init" in str(stopped.value)


def test_another_programs_answer_on_the_port_never_passes_for_the_started_server(tmp_path):
    """The demo's central once found port 8090 taken by another program that answered
    /health 200: the demo took it for its own central and registered laptops there."""
    import http.server
    import threading

    class Stranger(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # http.server's name for it
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    run("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path)
    stranger = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stranger)
    threading.Thread(target=stranger.serve_forever, daemon=True).start()
    try:
        with pytest.raises(processes.ServerDidNotStart, match="sudah dilayani program lain"):
            start_server(tmp_path, stranger.server_address[1])
    finally:
        stranger.shutdown()
        stranger.server_close()


@pytest.mark.slow
def test_a_stopped_servers_port_is_free_at_once_for_the_next_one(tmp_path):
    """The server closes each ``Connection: close`` answer first, so its port keeps
    connections in TIME_WAIT for a minute after it stops: ``berjasa demo`` started
    again at once said its port was taken."""
    run("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path)
    port = processes.free_port()
    server = start_server(tmp_path, port)
    try:
        for _ in range(3):
            assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5,
                                headers={"Connection": "close"}).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert processes.free_port(port) == port
    again = start_server(tmp_path, port)
    try:
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    finally:
        again.terminate()
        again.wait(timeout=10)


# Both servers bind through one core helper (berjasa.commandline), so each takes one
# of the two kinds of bad host: a name that resolves to nothing, a malformed address.
@pytest.mark.slow
@pytest.mark.parametrize(("command", "host"), [(("serve",), "bad.invalid"),
                                               (("central", "serve"), "999.1.1.1")])
def test_a_host_that_is_no_address_is_one_clear_line(tmp_path, command, host):
    if command[0] == "central":
        run("central", "init", data_dir=tmp_path, check=True)
    else:
        run("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path, check=True)
    done = run(*command, "--host", host, "--port", str(processes.free_port()),
               data_dir=tmp_path, timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert f"Galat: alamat --host {host} tidak dikenal" in done.stderr
    assert " di http://" not in done.stderr and "berjalan di" not in done.stdout


@pytest.mark.slow
def test_serve_on_port_0_says_the_port_it_got(tmp_path):
    run("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path, check=True)
    server = subprocess.Popen([*BERJASA, "serve", "--port", "0", "--data-dir", str(tmp_path)],
                              stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while " di http://" not in line:
            line = server.stderr.readline()
            assert line, "the server stopped before saying where it listens"
        port = int(line.rsplit(":", 1)[1].strip("/\n"))
        assert port > 0
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_data_dir_may_come_before_the_command(data_dir, tmp_path):
    """`berjasa --data-dir DIR sync status` as well as after the command; the command's
    own --data-dir wins."""
    before = run("--data-dir", str(data_dir), "user", "list", "--json")
    assert before.returncode == 0, before.stderr
    assert {u["username"] for u in json.loads(before.stdout)} >= {"admin", "supervisor"}
    own = run("--data-dir", str(data_dir), "user", "list", "--data-dir", str(tmp_path / "lain"))
    assert own.returncode != 0 and "berjasa init" in own.stderr
    status = run("--data-dir", str(data_dir), "sync", "status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["registered"] is False
