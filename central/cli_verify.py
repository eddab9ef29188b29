"""``berjasa central send-back|verify|findings|decide|duplicates|decide-pair|dukcapil-standin``:
verification at central from the command line (thin: parse, call
central.verification / central.findings / central.dukcapil, print)."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from berjasa.audit import Actor
from berjasa.commandline import (
    ROW_ID,
    by_option,
    data_dir_option,
    emit,
    json_option,
    problem_line,
    stdin_line,
)
from berjasa.problems import Problem
from central.cli_db import central_db

VERIFY_LOCK = "central-verify.lock"  # in <data folder>/locks, held for a whole run


def _actor(name: str | None) -> Actor:
    """The trail's actor of a command, role ``cli``: ``cli:<name>`` for ``--by``
    (a safe alphabet, checked), else ``cli:<OS user>``; a bad name is one line."""
    from central.trail import cli_actor

    try:
        return cli_actor(name)
    except Problem as exc:
        raise _problem(exc) from exc


def _problem(exc: Problem) -> click.ClickException:
    """One clear line (Indonesian) for a refused verification step."""
    return click.ClickException(problem_line(exc, with_code=True))


@click.command("send-back")
@click.argument("nik")
@click.option("--reason", required=True, help="Alasan kelurahan harus memperbaikinya (Bahasa Indonesia).")
@click.option("--by", "actor", default=None, help="Nama verifikator untuk jejak audit (bawaan cli:USER).")
@data_dir_option
@json_option
def send_back_command(nik: str, reason: str, actor: str | None, data_dir: Path | None,
                      as_json: bool) -> None:
    """Kembalikan data di pusat ke kelurahannya sebagai perlu perbaikan (needs_fix).

    Contoh: berjasa central send-back 7371014101900001 --reason "Nama beda dengan DTSEN"
    """
    from central.verification import send_back

    with central_db(data_dir) as (db, _, _):
        try:
            outcome = send_back(db, nik, reason, _actor(actor))
        except Problem as exc:
            raise _problem(exc) from exc
    if not as_json:
        click.echo(f"Dikirim balik ke kelurahan {outcome['kelurahan_code']} "
                   f"(data {outcome['record_id']}); terkirim pada tarikan berikutnya.")
    emit(outcome, as_json, outcome["record_id"])


def _known_kind(value: str | None) -> str | None:
    """A finding kind central raises; an unknown one names the kinds there are."""
    from central.verification import KIND_LABELS

    if value is not None and value not in KIND_LABELS:
        raise click.BadParameter(f"jenis {value!r} tidak dikenal; pilih salah satu: "
                                 f"{', '.join(sorted(KIND_LABELS))}", param_hint="'--kind'")
    return value


@click.command("findings")
@click.option("--status", type=click.Choice(["open", "decided", "all"]), default="open",
              show_default=True, help="Terbuka, sudah diputuskan, atau semua.")
@click.option("--kind", default=None, callback=lambda ctx, param, value: _known_kind(value),
              help="Hanya jenis ini (dtsen_mismatch, dukcapil_..., sent_back).")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True,
              help="Paling banyak sekian temuan (bila ada lebih, stderr menyebut jumlahnya).")
@by_option()
@data_dir_option
@json_option
def findings_command(status: str, kind: str | None, limit: int, by: str | None,
                     data_dir: Path | None, as_json: bool) -> None:
    """Daftar temuan verifikasi (bukti berdampingan: data pendaftaran dan sumbernya).

    Contoh: berjasa central findings --kind dtsen_mismatch --json
    """
    from central.storage.findings import count_findings, list_findings
    from central.trail import cli_actor, record
    from central.verification import KIND_LABELS

    wanted = None if status == "all" else status
    with central_db(data_dir) as (db, _, _):
        found = list_findings(db, wanted, kind, limit=limit)
        total = count_findings(db, wanted, kind) if len(found) == limit else len(found)
        # names of the people concerned leave central: counts only in the trail
        record(db, cli_actor(by), "view.findings", None,
               {"status": status, "kind": kind, "limit": limit, "shown": len(found),
                "total": total})
    _shown_of(len(found), total, "temuan", limit)
    if as_json:
        emit(found, True)
        return
    for f in found:
        click.echo(f"#{f['id']} {KIND_LABELS.get(f['kind'], f['kind'])} | {f['full_name']} "
                   f"| kelurahan {f['kelurahan_code']} | {f['status']}")
    click.echo(str(len(found)))


LIMIT_MAX = 10000  # --limit of findings and duplicates


def _shown_of(shown: int, total: int, what: str, limit: int) -> None:
    """On stderr (stdout keeps the list and, last, the value): that the list is
    cut at ``--limit``, how many there are, and how to see them."""
    if total <= shown:
        return
    more = (f"pakai --limit {total} untuk melihat semua" if total <= LIMIT_MAX else
            f"--limit paling banyak {LIMIT_MAX}; persempit dengan pilihan lain")
    click.echo(f"Ditampilkan {shown} dari {total} {what} (--limit {limit}); {more}.", err=True)


@click.command("decide")
@click.argument("finding_id", type=ROW_ID)
# any text: the finding's kind decides which values it takes, and an unknown one is
# answered with that kind's choices only (central.verification.decide_finding)
@click.option("--decision", type=str, required=True,
              help="confirm: identitas benar; send_back: kirim balik ke kelurahan; reject: tolak. "
                   "Temuan meninggal dunia (Dukcapil) dan status tidak aktif di daftar peserta "
                   "BPJS: continue (masih hidup/masih peserta: lanjutkan, tetap dibayar) atau "
                   "end_coverage (benar meninggal/bukan peserta lagi: iuran berhenti mulai "
                   "bulan berikutnya).")
@click.option("--reason", required=True, help="Alasan keputusan (dibaca kelurahan).")
@click.option("--by", "actor", default=None, help="Nama verifikator yang memutuskan.")
@data_dir_option
@json_option
def decide_command(finding_id: int, decision: str, reason: str, actor: str | None,
                   data_dir: Path | None, as_json: bool) -> None:
    """Putuskan temuan terbuka: confirm, send_back atau reject (beserta alasan); temuan
    meninggal dunia dan status tidak aktif di daftar peserta BPJS: continue atau end_coverage.

    Contoh: berjasa central decide 12 --decision confirm --reason "Sesuai KTP"
    """
    from central.verification import decide_finding

    with central_db(data_dir) as (db, settings, _):
        try:
            outcome = decide_finding(db, finding_id, decision, reason, _actor(actor), settings)
        except Problem as exc:
            raise _problem(exc) from exc
    if outcome.get("record_unchanged") and not as_json:
        click.echo(f"Temuan ditutup; data sudah berstatus {outcome['record_status']} di pusat "
                   "dan tidak diubah.")
    elif outcome.get("never_participant") and not as_json:
        click.echo(f"Iuran dihentikan: belum pernah menjadi peserta, tidak dibayar untuk bulan mana "
                   f"pun (akhir kepesertaan {outcome['coverage_end']}, sebelum bulan mulainya); data "
                   "tetap terdaftar dengan KPJ-nya dan kelurahan diberi tahu pada tarikan berikutnya.")
    elif outcome.get("coverage_end") and not as_json:
        click.echo(f"Iuran dihentikan: terakhir dibayar bulan {outcome['coverage_end']}, tidak ada "
                   "lagi di daftar iuran bulan sesudahnya; data tetap terdaftar dengan KPJ-nya dan "
                   "kelurahan diberi tahu pada tarikan berikutnya.")
    emit(outcome, as_json, decision)


@click.command("duplicates")
@click.option("--all", "include_decided", is_flag=True, help="Decided pairs too.")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True,
              help="Paling banyak sekian pasangan (bila ada lebih, stderr menyebut jumlahnya).")
@by_option()
@data_dir_option
@json_option
def duplicates_command(include_decided: bool, limit: int, by: str | None, data_dir: Path | None,
                       as_json: bool) -> None:
    """Daftar pasangan dugaan duplikat (dua data berdampingan).

    Contoh: berjasa central duplicates --json
    """
    from central.storage.pairs import duplicate_pairs, pair_count
    from central.trail import cli_actor, record

    with central_db(data_dir) as (db, _, _):
        pairs = duplicate_pairs(db, open_only=not include_decided, limit=limit)
        total = (pair_count(db, open_only=not include_decided) if len(pairs) == limit
                 else len(pairs))
        # names of the people concerned leave central: counts only in the trail
        record(db, cli_actor(by), "view.duplicates", None,
               {"all": include_decided, "limit": limit, "shown": len(pairs), "total": total})
    _shown_of(len(pairs), total, "pasangan", limit)
    if as_json:
        emit(pairs, True)
        return
    for p in pairs:
        a, b = p["a"] or {}, p["b"] or {}
        click.echo(f"{p['central_id_a']} {p['central_id_b']} {p['match']}: "
                   f"A {a.get('full_name')} ({a.get('kelurahan_code')}) | "
                   f"B {b.get('full_name')} ({b.get('kelurahan_code')}) | {p.get('decision') or 'terbuka'}")
    click.echo(str(len(pairs)))


@click.command("decide-pair")
@click.argument("central_id_a", type=ROW_ID)
@click.argument("central_id_b", type=ROW_ID)
@click.option("--decision", type=click.Choice(["keep_a", "keep_b", "different"]), required=True,
              help="keep_a / keep_b: orang yang sama; different: dua orang berbeda.")
@click.option("--reason", required=True, help="Alasan keputusan (dibaca kelurahan).")
@click.option("--by", "actor", default=None, help="Nama verifikator yang memutuskan.")
@data_dir_option
@json_option
def decide_pair_command(central_id_a: int, central_id_b: int, decision: str, reason: str,
                        actor: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Putuskan pasangan dugaan ganda: keep_a / keep_b (orang yang sama, pertahankan A
    atau B) atau different (dua orang berbeda). ID dari "berjasa central duplicates".

    Contoh: berjasa central decide-pair 10 42 --decision different --reason "Kembar"
    """
    from central.verification import decide_pair

    with central_db(data_dir) as (db, settings, _):
        try:
            outcome = decide_pair(db, central_id_a, central_id_b, decision, reason, _actor(actor),
                                  settings)
        except Problem as exc:
            raise _problem(exc) from exc
    emit(outcome, as_json, outcome["decision"])


@click.command("verify")
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=500, show_default=True,
              help="Jumlah data terbanyak yang ditanyakan ke Dukcapil dalam satu proses.")
@by_option()
@data_dir_option
@json_option
def verify_command(limit: int, by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Pemeriksaan identitas: semua data di pusat dengan DTSEN dan dengan kohort 2024
    (orang yang sama dengan NIK lain), lalu paling banyak --limit data ke Dukcapil (bila
    diatur). Proses yang terhenti dilanjutkan.

    Contoh: berjasa central verify --limit 200 --json
    """
    from berjasa.folder_lock import lock_dir, try_lock
    from berjasa.settings import SettingsError
    from central import dukcapil
    from central.findings import check_cohort, check_dtsen
    from central.trail import cli_actor, record

    with central_db(data_dir) as (db, settings, folder):
        try:
            config = dukcapil.DukcapilConfig.from_settings(settings)
        except SettingsError as exc:
            raise click.ClickException(f"Dukcapil: {exc}") from exc
        # one run at a time: two would ask Dukcapil twice for a record (quota)
        held = try_lock(lock_dir(folder) / VERIFY_LOCK)
        if held is None:
            raise click.ClickException(
                "`berjasa central verify` lain sedang berjalan di folder data ini; tunggu "
                "sampai selesai (proses yang terhenti dilanjutkan oleh proses berikutnya).")
        with held:
            with db.transaction():
                dtsen = check_dtsen(db)
                cohort = check_cohort(db)
            outcome = dukcapil.run(db, config, limit=limit)
            # records were compared (and sent to Dukcapil): counts only in the trail
            record(db, cli_actor(by), "verify.run", None,
                   {"dtsen": dtsen, "cohort": cohort, "dukcapil": outcome})
    summary = {"dtsen": dtsen, "cohort": cohort, "dukcapil": outcome}
    if not as_json:
        click.echo(f"DTSEN: {dtsen['compared']} dibandingkan, {dtsen['raised']} temuan baru.")
        click.echo(f"Kohort 2024 (NIK lain, nama dan tanggal lahir sama): {cohort['compared']} "
                   f"dibandingkan, {cohort['raised']} temuan baru.")
        if not outcome["enabled"]:
            click.echo("Dukcapil: pemeriksaan identitas ke Dukcapil tidak aktif "
                       "(central_dukcapil_url belum diatur).")
        else:
            click.echo(f"Dukcapil: {outcome['asked']} ditanyakan, {outcome['done']} terjawab, "
                       f"{outcome['deferred']} ditunda, {outcome['findings']} temuan baru"
                       + (f"; berhenti: {dukcapil.stop_text(outcome['stopped'])}; dilanjutkan "
                          "pada proses berikutnya" if outcome["stopped"] else "") + ".")
    emit(summary, as_json, str(outcome["findings"] + dtsen["raised"] + cohort["raised"]))


@click.command("dukcapil-standin")
@click.option("--csv", "csv_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Penduduk yang dikenal pengganti ini (nik, full_name, birth_date, ..., status, respond).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Alamat yang didengarkan.")
@click.option("--port", type=click.IntRange(0, 65535), default=8099, show_default=True,
              help="Port yang didengarkan.")
@click.option("--user-id", default="berjasa", show_default=True,
              help="user_id yang diterimanya dari pusat.")
@click.option("--password-stdin", is_flag=True, help="Baca kata sandi yang diterimanya dari stdin "
              "(bawaan: 'rahasia', hanya untuk uji lokal).")
@click.option("--quota", type=click.IntRange(0, 1_000_000_000), default=1_000_000, show_default=True,
              help="Kuota panggilan sebelum menjawab 'kuota habis'.")
@data_dir_option
def standin_command(csv_file: Path, host: str, port: int, user_id: str, password_stdin: bool,
                    quota: int, data_dir: Path | None) -> None:
    """Pengganti lokal layanan web NIK Dukcapil, menjawab dari CSV (uji, demo).
    Tidak menyimpan apa pun: --data-dir diterima (seperti semua perintah) tetapi
    tidak dipakai.

    Contoh: berjasa central dukcapil-standin --csv orang.csv --port 8099
    """

    from waitress import serve

    from central.dukcapil_standin import create_standin, read_people

    password = stdin_line() if password_stdin else "rahasia"
    try:
        people = read_people(csv_file)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise click.ClickException(f"berkas CSV tidak dapat dibaca: {exc}") from exc
    app = create_standin(people, user_id=user_id, password=password, quota=quota)
    click.echo(f"Pengganti Dukcapil ({len(people)} penduduk) di http://{host}:{port}/ "
               "(Ctrl+C untuk berhenti)")
    serve(app, host=host, port=port, threads=4, ident="berjasa-dukcapil-standin")
