"""Structured logs (issue 13): JSON lines with a request id that follows one
record from the phone through the kelurahan server and the agent to central,
with no personal data; ``log_format = "text"`` gives readable lines. Real
processes: `berjasa serve`, `berjasa sync run --once`, `berjasa central serve`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path

import pytest
import requests

from berjasa.logs import configure_logging, get_logger
from berjasa.processes import start_server
from tests.helpers import PASSWORD, berjasa, free_port


def _run(*args: str) -> subprocess.CompletedProcess:
    return berjasa(*args, check=True, timeout=180)


def _json_lines(text: str) -> list[dict]:
    lines = []
    for raw in text.splitlines():
        raw = raw.strip()
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


@pytest.mark.slow
def test_one_record_followed_from_phone_to_central_without_personal_data(data_dir, tmp_path,
                                                                         records):
    central_dir = tmp_path / "pusat"
    _run("central", "init", "--data-dir", str(central_dir))
    code = json.loads(_run("central", "device", "add", "--kelurahan", "73.71.01.1001", "--json",
                           "--data-dir", str(central_dir)).stdout.strip().splitlines()[-1])["code"]
    central_port = free_port()
    central_url = f"http://127.0.0.1:{central_port}"
    central_log = tmp_path / "central.log"
    kel_log = tmp_path / "kelurahan.log"
    with open(central_log, "wb") as c_err, open(kel_log, "wb") as k_err:
        central = start_server(["central", "serve", "--port", str(central_port), "--data-dir",
                                str(central_dir)], central_url, stderr=c_err)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(["serve", "--port", str(port), "--data-dir", str(data_dir)], base,
                              stderr=k_err)
        try:
            _run("sync", "register", "--central", central_url, "--code", code, "--data-dir",
                 str(data_dir))
            record = records.enrollment()
            token = requests.post(f"{base}/api/v1/auth/token", json={
                "username": "enumerator", "password": PASSWORD}, timeout=30).json()["token"]
            phone_id = "hp-uji-a1b2c3d4e5f6"
            created = requests.post(f"{base}/api/v1/enrollments", json=record, timeout=30,
                                    headers={"Authorization": f"Bearer {token}",
                                             "X-Request-Id": phone_id})
            assert created.status_code == 201 and created.headers["X-Request-Id"] == phone_id
            supervisor = requests.post(f"{base}/api/v1/auth/token", json={
                "username": "supervisor", "password": PASSWORD}, timeout=30).json()["token"]
            decided = requests.post(f"{base}/api/v1/enrollments/{record['id']}/review",
                                    json={"decision": "approve"}, timeout=30,
                                    headers={"Authorization": f"Bearer {supervisor}"})
            assert decided.status_code == 200, decided.text
            agent = _run("sync", "run", "--once", "--data-dir", str(data_dir))
        finally:
            server.kill()
            central.kill()
            server.wait()
            central.wait()
    kel = _json_lines(kel_log.read_text())
    agent_lines = _json_lines(agent.stderr)
    central_lines = _json_lines(central_log.read_text())
    rid = record["id"]
    at_kelurahan = [line for line in kel if rid in line.get("record_ids", [])]
    assert [line["request_id"] for line in at_kelurahan] == [phone_id]
    sent = [line for line in agent_lines if line.get("event") == "batch_sent"
            and rid in line.get("record_ids", [])]
    assert len(sent) == 1
    at_central = [line for line in central_lines if line.get("request_id") == sent[0]["request_id"]]
    assert any(rid in line.get("record_ids", []) for line in at_central)
    assert any(line.get("event") == "batch_received" for line in at_central)
    # no personal data anywhere: NIK, KK, names, phone, address
    everything = kel_log.read_text() + agent.stderr + central_log.read_text()
    for field in ("nik", "kk_number", "phone", "full_name", "mother_name", "address"):
        value = str(record.get(field) or "")
        for part in value.split():
            if len(part) >= 4:
                assert part not in everything, (field, part)


def test_log_format_text_gives_readable_lines(capsys):
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("INFO", "text")
        get_logger("berjasa.test").info("siap %s", "7371014101900001", extra={"event": "uji"})
        configure_logging("INFO", "json")
        get_logger("berjasa.test").info("siap %s", "7371 0141 0190 0001")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    readable, structured = capsys.readouterr().err.strip().splitlines()[-2:]
    assert not readable.startswith("{") and "siap 737101******0001" in readable
    assert "event=uji" in readable
    line = json.loads(structured)
    assert line["msg"] == "siap 737101******0001" and line["level"] == "INFO"
    assert os.environ.get("BERJASA_LOG_FORMAT") in (None, "", "json", "text")
    assert Path(__file__).exists()
