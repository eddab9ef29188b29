"""A local stand-in for Dukcapil's NIK web service, answering the shapes
central/dukcapil.py expects from a CSV of people. For tests and the demo:
``berjasa central dukcapil-standin --csv FILE [--port N]``.

CSV columns (header row, case-insensitive): ``nik, full_name (nama_lgkp),
birth_date (tgl_lahir, YYYY-MM-DD), kk_number (no_kk), birth_place (tmpt_lhr),
address (alamat), status`` where ``status`` is empty (alive), ``deceased``,
``multiple`` (NIK held by more than one person) or ``inactive``, and an optional
``respond`` column that makes the stand-in misbehave for that NIK: ``timeout``,
``500``, ``garbage``, ``login_gagal``, ``incomplete`` (07), or any two-digit
response code (``04``, ``06``, ``08``, ``16``, ``17``...) answered as such. A NIK not in the file
is "not found" (13). ``quota`` calls a day, then 05. Every call is counted per
NIK (``GET /_calls``) so tests can see what was asked.
"""

from __future__ import annotations

import csv
import difflib
import threading
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request

from central.identity_match import SAME, VARIANT, compare_names

_COLUMNS = {"nik": ("nik",), "full_name": ("full_name", "nama_lgkp", "nama"),
            "birth_date": ("birth_date", "tgl_lahir"), "kk_number": ("kk_number", "no_kk"),
            "birth_place": ("birth_place", "tmpt_lhr"), "address": ("address", "alamat"),
            "status": ("status",), "respond": ("respond",)}
_STATUS_CODES = {"deceased": "11", "multiple": "12", "inactive": "14"}


def read_people(path: Path) -> dict[str, dict[str, str]]:
    """People by NIK from the CSV (UTF-8, BOM allowed)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = [h.strip().casefold() for h in next(reader, [])]
        index = {field: next((header.index(n) for n in names if n in header), None)
                 for field, names in _COLUMNS.items()}
        people = {}
        for row in reader:
            person = {field: (row[i].strip() if i is not None and i < len(row) else "")
                      for field, i in index.items()}
            if person["nik"]:
                people[person["nik"]] = person
    return people


def _element(field: str, sent: str, held: str) -> str:
    """"Sesuai" or "Tidak Sesuai (score)" for one element."""
    if field == "full_name":
        if compare_names(sent, held) in (SAME, VARIANT):
            return "Sesuai"
    elif " ".join(sent.casefold().split()) == " ".join(held.casefold().split()):
        return "Sesuai"
    score = round(difflib.SequenceMatcher(None, sent.casefold(), held.casefold()).ratio() * 100)
    return f"Tidak Sesuai ({score})"


def _iso(ddmmyyyy: str) -> str:
    parts = ddmmyyyy.split("-")
    return f"{parts[2]}-{parts[1]}-{parts[0]}" if len(parts) == 3 and len(parts[0]) == 2 else ddmmyyyy


def create_standin(people: dict[str, dict[str, str]], user_id: str = "berjasa",
                   password: str = "rahasia", quota: int = 1_000_000,
                   slow_seconds: float = 30.0,
                   released: threading.Event | None = None) -> Flask:
    """The stand-in app. A ``timeout`` NIK hangs ``slow_seconds``, or until
    ``released`` is set (a test sets it when it ends, so no worker thread is
    left hanging after it)."""
    app = Flask(__name__)
    released = released or threading.Event()
    calls: dict[str, int] = {}
    lock = threading.Lock()
    state = {"total": 0, "quota": quota}

    @app.post("/dukcapil/get_json/<agency>/CALL_VERIFY_BY_ELEMEN")
    def verify(agency: str):
        body = request.get_json(silent=True) or {}
        nik = str(body.get("NIK") or "")
        with lock:
            calls[nik] = calls.get(nik, 0) + 1
            state["total"] += 1
            total = state["total"]
        person = people.get(nik)
        respond = (person or {}).get("respond", "")
        if respond == "timeout":
            released.wait(slow_seconds)
        if respond == "500":
            return "Internal Server Error", 500
        if respond == "garbage":
            return "<html>Gateway sedang pemeliharaan</html>", 200, {"Content-Type": "text/html"}
        if respond == "login_gagal" or body.get("USER_ID") != user_id \
                or body.get("PASSWORD") != password:
            return jsonify({"content": [{"RESPON": "Login Gagal"}], "lastPage": True})
        if total > state["quota"]:
            return jsonify({"content": [{"RESPONSE_CODE": "05",
                                         "RESPON": "Kuota Akses Hari Ini Telah Habis"}]})
        if len(respond) == 2 and respond.isdigit():
            return jsonify({"content": [{"RESPONSE_CODE": respond, "RESPON": f"kode {respond}"}]})
        if respond == "incomplete" or not nik:
            return jsonify({"content": [{"RESPONSE_CODE": "07", "RESPON": "Permintaan tidak lengkap"}]})
        if person is None:
            return jsonify({"content": [{"RESPONSE_CODE": "13", "RESPON": "Data Tidak Ditemukan"}]})
        code = _STATUS_CODES.get(person.get("status", "").casefold())
        if code:
            return jsonify({"content": [{"RESPONSE_CODE": code, "NIK": nik}]})
        item: dict[str, Any] = {"RESPONSE_CODE": "01", "NIK": "Sesuai"}
        for element, field in (("NAMA_LGKP", "full_name"), ("TGL_LHR", "birth_date"),
                               ("NO_KK", "kk_number"), ("TMPT_LHR", "birth_place"),
                               ("ALAMAT", "address")):
            if element in body and person.get(field):
                sent = str(body[element])
                item[element] = _element(field, _iso(sent) if element == "TGL_LHR" else sent,
                                         person[field])
        return jsonify({"content": [item], "lastPage": True, "numberOfElements": 1})

    @app.get("/_calls")
    def counted():
        with lock:
            return jsonify({"total": state["total"], "by_nik": dict(calls)})

    @app.post("/_quota")
    def set_quota():
        with lock:
            state["quota"] = state["total"] + int((request.get_json(silent=True) or {}).get("more", 0))
            return jsonify({"quota": state["quota"]})

    return app
