"""A final payment list made again for a month that already has one (both backends,
through `berjasa central export` and the operator's download): the new file says, in a
header line BPKAD reads, that it is the N-th final list of the month, when, by whom,
with how many workers and which SHA-256 the earlier ones were made, and that it replaces
them (a month is paid once); the command says it on stderr and `--json` counts them
(`earlier_final_lists`). A draft is no final list: it neither counts nor is told.
Before, a second final list for the month looked exactly like the first (only its
"Dibuat:" time differed), and both could be paid. docs/central.md "payment-list"."""

from __future__ import annotations

import csv
import io
import json

from .conftest import KELURAHAN_A
from .office import signed_in
from .test_cli import berjasa

MONTH = "2025-10"


def _final(central, tmp_path, by: str, draft: bool = False):
    """(the --json answer, stderr, the title lines) of one payment list for MONTH."""
    out = tmp_path / f"iuran-{by}-{'draft' if draft else 'final'}.csv"
    done = berjasa("central", "export", "--what", "payment-list", "--month", MONTH,
                   *(["--draft"] if draft else []), "--by", by, "--output", str(out), "--json",
                   data_dir=central.data_dir, check=True)
    lines = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    titles = [row[0] for row in lines[:lines.index([])]]
    return json.loads(done.stdout), done.stderr, titles


def test_a_second_final_list_for_a_month_says_it_replaces_the_first(central, tmp_path):
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    cohort = tmp_path / "kohort.csv"
    cohort.write_text("nik;no_kpj;nama;kode_kelurahan;mulai_kepesertaan\n"
                      f"7371010101800001;11000001;Daeng Sikki;{KELURAHAN_A};2024-01\n",
                      encoding="utf-8")
    berjasa("central", "import", "cohort", str(cohort), data_dir=central.data_dir, check=True)

    first, stderr, titles = _final(central, tmp_path, "ani")
    assert first["filters"]["earlier_final_lists"] == 0
    assert not any("penerbitan" in t for t in titles) and "penerbitan" not in stderr
    draft, _, titles = _final(central, tmp_path, "ani", draft=True)  # a draft is no final list
    assert draft["filters"]["earlier_final_lists"] == 1  # told, but not counted as one
    second, stderr, titles = _final(central, tmp_path, "budi")
    assert second["filters"]["earlier_final_lists"] == 1
    [said] = [t for t in titles if "penerbitan" in t]
    assert said.startswith(f"Perhatian: daftar final bulan {MONTH} ini penerbitan ke-2;")
    assert "cli:ani" in said and "1 pekerja" in said and first["sha256"][:16] in said
    assert "menggantikan" in said and "satu kali" in said
    assert said in stderr

    operator = signed_in(central, "operator")
    answer = operator.get(f"{central.url}/unduh/payment-list?format=csv&month={MONTH}", timeout=30)
    assert answer.status_code == 200
    text = answer.content.decode("utf-8-sig")
    assert f"daftar final bulan {MONTH} ini penerbitan ke-3;" in text
    assert second["sha256"][:16] in text  # the last one before it is named too

