"""``berjasa central device list`` and cancelling registration codes with ``device
revoke KELURAHAN`` (both backends): the list names each device's kelurahan, when it
registered or was revoked and its last batch, and the codes still outstanding with
who made them and until when, never the code itself; revoking a kelurahan cancels
its outstanding codes (in the trail), and a cancelled code registers nothing."""

from __future__ import annotations

import json

import requests

from berjasa.settings import write_setting
from sync.protocol_auth import generate_private_key, public_key_text
from tests.helpers import berjasa as run

from .conftest import KELURAHAN_A, KELURAHAN_B, records


def _command(central, *args, check=True):
    write_setting(central.data_dir, "central_database_url", central.database_url)
    done = run("central", *args, data_dir=central.data_dir)
    assert not check or done.returncode == 0, done.stderr
    return done


def _register(central, code: str, kelurahan: str) -> requests.Response:
    return requests.post(f"{central.url}/api/v1/devices/register", timeout=10, json={
        "code": code, "public_key": public_key_text(generate_private_key()),
        "kelurahan_code": kelurahan, "label": "Laptop kantor lurah"})


def test_the_list_shows_devices_and_outstanding_codes_but_never_a_code(central):
    code = _command(central, "device", "add", "--kelurahan", KELURAHAN_A).stdout.split()[-1]
    laptop = central.register(KELURAHAN_B)
    laptop.send(records(2, KELURAHAN_B))
    listed = json.loads(_command(central, "device", "list", "--json").stdout)
    [device] = listed["devices"]
    assert device["device_id"] == laptop.device_id and device["kelurahan_code"] == KELURAHAN_B
    assert device["kelurahan_name"] and device["registered_at"] and device["revoked_at"] is None
    assert device["last_batch_at"] and device["batches"] == 1 and device["active"] is True
    [outstanding] = listed["codes"]
    assert outstanding["kelurahan_code"] == KELURAHAN_A
    assert outstanding["created_by"].startswith("cli:") and outstanding["expires_at"]
    assert set(outstanding) == {"kelurahan_code", "kelurahan_name", "created_at", "created_by",
                                "expires_at"}
    text = _command(central, "device", "list")
    assert code not in text.stdout and code not in json.dumps(listed)
    assert laptop.device_id in text.stdout and "Kode pendaftaran yang belum dipakai" in text.stdout
    assert text.stdout.splitlines()[-1] == "1"  # active devices, the value last


def test_revoking_a_kelurahan_cancels_its_outstanding_codes(central):
    code = _command(central, "device", "add", "--kelurahan", KELURAHAN_A).stdout.split()[-1]
    other = _command(central, "device", "add", "--kelurahan", KELURAHAN_B).stdout.split()[-1]
    revoked = _command(central, "device", "revoke", KELURAHAN_A)
    assert "1 kode pendaftaran" in revoked.stdout and "dibatalkan" in revoked.stdout
    refused = _register(central, code, KELURAHAN_A)
    assert refused.status_code == 403 and refused.json()["code"] == "registration_code_invalid"
    [entry] = central.query("SELECT actor, record_id, changes FROM audit_log"
                            " WHERE action = 'device.code_cancel'")
    details = json.loads(entry["changes"])
    assert entry["record_id"] == f"kelurahan:{KELURAHAN_A}" and entry["actor"].startswith("cli:")
    assert details["created_by"].startswith("cli:") and details["expires_at"]
    assert code not in repr(entry)
    listed = json.loads(_command(central, "device", "list", "--json").stdout)
    assert [c["kelurahan_code"] for c in listed["codes"]] == [KELURAHAN_B]
    # the other kelurahan's code still works; its device is then revoked with the kelurahan
    assert _register(central, other, KELURAHAN_B).status_code == 201
    answer = json.loads(_command(central, "device", "revoke", KELURAHAN_B, "--json").stdout)
    assert len(answer["revoked"]) == 1 and answer["codes_cancelled"] == 0
    [device] = json.loads(_command(central, "device", "list", "--json").stdout)["devices"]
    assert device["revoked_at"] and device["active"] is False and device["last_batch_at"] is None
    nothing = _command(central, "device", "revoke", KELURAHAN_A, check=False)
    assert nothing.returncode != 0 and "Traceback" not in nothing.stderr


def test_the_admin_page_shows_the_same_list_read_only(central):
    from .office import signed_in

    code = _command(central, "device", "add", "--kelurahan", KELURAHAN_A).stdout.split()[-1]
    laptop = central.register(KELURAHAN_B)
    for role in ("admin", "auditor"):
        page = signed_in(central, role).get(f"{central.url}/admin/perangkat", timeout=10)
        assert page.status_code == 200
        assert laptop.device_id in page.text and "Kode pendaftaran yang belum dipakai" in page.text
        assert "cli:" in page.text and code not in page.text
        assert page.text.count("<form") == 1  # the sign-out button only: read-only
    assert signed_in(central, "operator").get(f"{central.url}/admin/perangkat",
                                              timeout=10).status_code == 403
