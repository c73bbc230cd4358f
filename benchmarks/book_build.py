"""Benchmark: cold and warm build times of the book.

Copies the committed repository (git ls-files) into a scratch folder, builds the book there
once from nothing (every chapter executed: the cold build), then again with no change (the
warm build: jupyter-cache has every chapter, Sphinx re-reads nothing). Writes
benchmarks/results/book_build.json with the machine it ran on.

    .venv/bin/python benchmarks/book_build.py
"""

import datetime
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coursekit.device import machine_info

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "book_build.json"


def _timed_build(copy):
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from coursekit.book import build_book; "
            f"raise SystemExit(build_book(root={str(copy)!r}))",
        ],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{(done.stdout + done.stderr)[-4000:]}")
    return seconds


def main():
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "course"
        for name in files:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
        # MathJax comes from npm once per checkout; copy it so the timing is the book's own.
        mathjax = ROOT / "_build" / "mathjax_static"
        if mathjax.is_dir():
            shutil.copytree(mathjax, copy / "_build" / "mathjax_static")
        cold = _timed_build(copy)
        warm = _timed_build(copy)
        pages = len(list((copy / "_build" / "html").rglob("*.html")))
    result = {
        "cold_build_s": round(cold, 1),
        "warm_build_s": round(warm, 1),
        "html_pages": pages,
        "machine": machine_info(),
        "date": datetime.date.today().isoformat(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
