"""The layers of docs/architecture.md hold: import-linter checks the contracts in
pyproject.toml ([tool.importlinter]) over the real import graph of the code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = {c["id"]: c for c in
             tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
             ["tool"]["importlinter"]["contracts"]}


@pytest.mark.slow
def test_import_contracts_are_kept():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as m; m()",
         "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


def test_no_contract_carries_exceptions():
    """Known debt was paid (issue 16): a contract holds with no ``ignore_imports``;
    a new exception is a layer broken, not a line to add."""
    assert {cid: c["ignore_imports"] for cid, c in CONTRACTS.items() if c.get("ignore_imports")} == {}


def test_every_http_package_is_held_by_the_services_contract():
    """Each app's HTTP packages (api/, pages/) are sources of http-through-services."""
    http = {f"{app}.{folder}" for app in ("server", "central") for folder in ("api", "pages")
            if (ROOT / app / folder / "__init__.py").exists()}
    assert http <= set(CONTRACTS["http-through-services"]["source_modules"])


def test_the_architecture_drawing_is_the_contracts():
    """docs/architecture.md draws what the linter enforces: every contract id is in
    the drawing and has a table row naming its modules (the agent's own modules
    aside, which the table sums up as "every other sync module")."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    start = text.index("### What the import linter enforces")
    end = min((i for i in (text.find("\n## ", start), text.find("\n### ", start + 4)) if i > 0),
              default=len(text))
    section = text[start:end]  # this subsection only: other tables may start with code
    drawing = section[section.index("```"):section.index("```", section.index("```") + 3)]
    rows = {line.split("|")[1].strip().strip("`"): line for line in section.splitlines()
            if line.startswith("| `")}
    assert {cid for cid in CONTRACTS if f"[{cid}]" not in drawing} == set()
    assert set(rows) == set(CONTRACTS)
    for cid, contract in CONTRACTS.items():
        named = [m for key in ("source_modules", "forbidden_modules", "modules",
                               "protected_modules", "allowed_importers")
                 for m in contract.get(key, [])
                 if not (cid in ("protocol-alone", "central-protocol-only") and m.startswith("sync."))]
        assert [m for m in named if f"`{m}`" not in rows[cid]] == [], cid


def _sync_modules_outside_the_protocol() -> set[str]:
    return {f"sync.{path.stem}" for path in (ROOT / "sync").glob("*.py")
            if not path.stem.startswith(("protocol", "__"))}


def test_protocol_contracts_name_every_non_protocol_sync_module():
    """import-linter has no "every sync module except protocol*" expression, so the
    contracts list them; a new sync module must be added there."""
    outside = _sync_modules_outside_the_protocol()
    hint = ("pyproject.toml [tool.importlinter]: list every sync module that is not "
            "sync/protocol*.py in forbidden_modules of protocol-alone and central-protocol-only")
    protocol_forbidden = set(CONTRACTS["protocol-alone"]["forbidden_modules"]) - {"server"}
    assert protocol_forbidden == outside, hint
    assert set(CONTRACTS["central-protocol-only"]["forbidden_modules"]) == outside, hint
    protocol = {f"sync.{p.stem}" for p in (ROOT / "sync").glob("protocol*.py")}
    assert set(CONTRACTS["protocol-alone"]["source_modules"]) == protocol, (
        "pyproject.toml [tool.importlinter]: list every sync/protocol*.py in the "
        "source_modules of protocol-alone")


HTTP_FOLDERS = ("server/api", "server/pages", "central/api", "central/pages")
SQL_CALL = re.compile(r"\.(execute|executemany|executescript|query|one|run|many)\(")


def test_http_modules_run_no_sql():
    """HTTP modules parse, call a service and shape the answer: no queries."""
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for folder in HTTP_FOLDERS for path in sorted((ROOT / folder).glob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if SQL_CALL.search(line)]
    assert found == []


SERVER_TABLE_SQL = re.compile(r"\b(FROM|JOIN|UPDATE|INTO)\s+(enrollments|enrollment_history)\b",
                              re.IGNORECASE)


def test_only_server_storage_queries_the_enrollments():
    """The agent reads and changes the kelurahan's records through server/storage
    and server/lifecycle.py: no SQL on the enrollment tables in sync/ (issue 16)."""
    found = [f"{path.relative_to(ROOT)}:{number}" for path in sorted((ROOT / "sync").glob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if SERVER_TABLE_SQL.search(line)]
    assert found == []


def test_the_core_imports_no_part_by_name():
    """import-linter sees only import statements: the core (entry points aside)
    must not load a part by name either (importlib)."""
    entry_points = {"cli.py", "demo.py", "__main__.py"}
    found = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "berjasa").rglob("*.py"))
             if path.name not in entry_points
             and re.search(r"import_module\(|__import__\(", path.read_text(encoding="utf-8"))]
    assert found == []
