"""Copy the guides' screenshots from the browser tests into docs/img/, small.

The browser tests write full-size screenshots to tests/artifacts/ (git-ignored).
This script takes the ones the guides show (SHOTS), scales each to at most
MAX_WIDTH pixels wide, reduces it to a fixed 64-colour palette without dithering
and writes an optimised PNG without metadata: the same artifact always gives the
same bytes. Run from the repository root:

    pip install -e '.[docs]'
    python docs/screenshots.py --run      # run the browser tests that make them, then copy
    python docs/screenshots.py            # copy what tests/artifacts/ already holds
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
IMG = ROOT / "docs" / "img"
MAX_WIDTH = 800
MAX_HEIGHT = 1600  # a long full-page shot keeps its top (what the guide talks about)
COLOURS = 64

# artifact -> name in docs/img (the guides' language: Indonesian names)
SHOTS = {
    "central-operator.png": "pusat-dasbor.png",
    "central-verification.png": "pusat-verifikasi.png",
    "central-auditor-trail.png": "pusat-jejak-audit.png",
    "review-page.png": "pengawas-pemeriksaan.png",
    "send-back-3-supervisor-queue.png": "pengawas-antrian.png",
    "send-back-8-supervisor-review-again.png": "pengawas-periksa-ulang.png",
    "field-form-360x740.png": "petugas-formulir.png",
    "field-dedupe-hint.png": "petugas-petunjuk-ganda.png",
    "field-outbox-results-360x740.png": "petugas-kotak-keluar.png",
    "field-receipt.png": "petugas-tanda-terima.png",
    "send-back-4-phone-needs-fix.png": "petugas-perlu-perbaikan.png",
    "send-back-10-phone-accepted-at-central.png": "petugas-diterima-pusat.png",
}
# the browser tests that write them
TESTS = [
    "tests/browser/test_central_office.py",
    "tests/browser/test_supervisor_pages.py::test_log_in_approve_one_reject_one_and_screenshot",
    "tests/browser/test_send_back_loop.py",
    "tests/browser/test_field_app.py",
    "tests/browser/test_field_hints.py",
]


def shrink(source: Path, target: Path) -> int:
    """Write ``source`` scaled, cropped and palette-reduced to ``target``; its size."""
    with Image.open(source) as image:
        image = image.convert("RGB")
        if image.width > MAX_WIDTH:
            height = round(image.height * MAX_WIDTH / image.width)
            image = image.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
        if image.height > MAX_HEIGHT:
            image = image.crop((0, 0, image.width, MAX_HEIGHT))
        small = image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT,
                               dither=Image.Dither.NONE)
        small.save(target, format="PNG", optimize=True)
    return target.stat().st_size


def main() -> int:
    """Copy (after running the tests with ``--run``); non-zero when one is missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="run the browser tests first")
    args = parser.parse_args()
    if args.run:
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
                       cwd=ROOT, check=False)
    IMG.mkdir(parents=True, exist_ok=True)
    missing = []
    for artifact, name in SHOTS.items():
        source = ARTIFACTS / artifact
        if not source.exists():
            missing.append(artifact)
            continue
        size = shrink(source, IMG / name)
        print(f"docs/img/{name}: {size // 1024} KB")
    for artifact in missing:
        print(f"missing: tests/artifacts/{artifact} (run with --run)", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
