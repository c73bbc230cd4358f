"""Benchmark: plain ``nbgrader autograde`` against ``coursekit autograde --jobs 2``.

Usage (from the repository root)::

    python benchmarks/autograde/run.py                      # every assignment, 6 submissions
    python benchmarks/autograde/run.py --assignments a01_perceptron --copies 1 --runs 5
    python benchmarks/autograde/run.py --assignments a01_perceptron --runs 0 --merge  # time again

For each assignment it writes ``3 * copies`` synthetic submissions (the reference solution,
the untouched release, and a partly wrong one: the reference with every other solution cell
replaced by the released stub) into two fresh course folders, then in one run:

1. grades them with plain ``nbgrader autograde`` and nbgrader's own Execute (one process per
   notebook, no sandbox, one submission at a time: the course configuration with
   ``TwoProcessExecute`` replaced by ``nbgrader.preprocessors.Execute``);
2. grades them with ``coursekit autograde --jobs N`` (parallel workers, the student's cells
   in the bubblewrap sandbox, the tests in the grader, limits);
3. grades two copies of the reference and one untouched release ``runs`` more times in a
   row with coursekit, and checks that every run gives the reference full marks with no flag
   and the untouched notebook zero, and every test of every run the same score.

Run it as an unprivileged user too (the hub's formgrader grades as ``grader``): the sandbox
needs no root. ``COURSEKIT_BENCHMARK_WORK`` names a scratch folder that user can write,
``--output`` where the results go, e.g.::

    runuser -u nobody -- env COURSEKIT_BENCHMARK_WORK=/tmp/bench .venv/bin/python \\
        benchmarks/autograde/run.py --repeat-only --output /tmp/bench/autograde_unprivileged.json

It records seconds per submission for both, the speed-up, coursekit's overhead per
submission beyond executing the notebook (from its reports), the machine (CPU model, cores,
memory, load average before and after: other work on the machine slows both) and the
determinism result, in ``benchmarks/results/autograde.json`` and a Markdown table in
``benchmarks/results/autograde.md``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from coursekit import course  # noqa: E402
from coursekit.device import machine_info  # noqa: E402
from coursekit.grader import engine as autograde  # noqa: E402
from coursekit.grader import gradebook  # noqa: E402
from coursekit.grader.course import Course  # noqa: E402

WORK = Path(os.environ.get("COURSEKIT_BENCHMARK_WORK", REPO / "benchmarks" / "_work")) / "autograde"
RESULTS = REPO / "benchmarks" / "results"


def _machine():
    import nbgrader

    return {
        **machine_info(),
        "nbgrader": nbgrader.__version__,
        "user": "root" if os.geteuid() == 0 else "unprivileged",
    }


def _load():
    return machine_info()["load_average"]


SPIN = "x = 0\nfor i in range(25_000_000):\n    x += i"


def _parallel_ceiling(repeats=3):
    """What two workers can gain on this machine at best: a CPU-bound Python loop run alone,
    then two copies at once. ``2 * alone / together`` is 2.0 on two independent cores; less
    where the cores share a physical core or the host is busy. Medians of ``repeats``."""
    import subprocess

    def timed(count):
        started = time.perf_counter()
        processes = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(count)]
        for process in processes:
            process.wait()
        return time.perf_counter() - started

    alone = statistics.median(timed(1) for _ in range(repeats))
    together = statistics.median(timed(2) for _ in range(repeats))
    return {
        "one_process_s": round(alone, 2),
        "two_processes_s": round(together, 2),
        "speedup_ceiling": round(2 * alone / together, 2),
    }


def _partly_wrong(reference, release):
    """The reference with every other solution cell replaced by its released stub."""
    stubs = {
        cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source
        for cell in release.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    nb = copy.deepcopy(reference)
    solution_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    for cell in solution_cells[::2]:
        cell.source = stubs.get(cell.metadata["nbgrader"]["grade_id"], cell.source)
    return nb


def _course(folder, assignment, copies, *, plain):
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", folder)
    if plain:
        with open(folder / "nbgrader_config.py", "a") as handle:
            handle.write(
                "\n# benchmark baseline: nbgrader's own Execute, one process, no sandbox\n"
            )
            handle.write("from nbgrader.preprocessors import Execute as _PlainExecute\n\n")
            handle.write(
                "c.Autograde.autograde_preprocessors = "
                "[_PlainExecute, *c.Autograde.autograde_preprocessors[1:]]\n"
            )
    shutil.copytree(REPO / "solutions" / assignment, folder / "solutions" / assignment)
    release = folder / "release"
    course.release(assignment, course_dir=folder, release_dir=release)
    students = []
    for path in sorted((folder / "solutions" / assignment).glob("*.ipynb")):
        reference = nbformat.read(path, as_version=4)
        blank = nbformat.read(release / assignment / path.name, as_version=4)
        kinds = {
            "reference": reference,
            "blank": blank,
            "partial": _partly_wrong(reference, blank),
        }
        for kind, notebook in kinds.items():
            for index in range(copies):
                student = f"{kind}{index}"
                target = folder / "submitted" / student / assignment
                target.mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, target / path.name)
                if student not in students:
                    students.append(student)
    shutil.rmtree(release)
    return students


def _plain(assignment, folder, students):
    started = time.perf_counter()
    course.nbgrader_command(["autograde", assignment, "--create", "--force"], course_dir=folder)
    elapsed = time.perf_counter() - started
    scores = {s: v[0] for s, v in gradebook.scores(Course.open(folder), assignment).items()}
    return elapsed, scores


def _coursekit(assignment, folder, students, jobs):
    started = time.perf_counter()
    results, isolation = autograde.autograde(assignment, course_dir=folder, jobs=jobs)
    elapsed = time.perf_counter() - started
    return elapsed, results, isolation


def _determinism(assignment, folder, runs, jobs):
    """Grade two copies of the reference and the untouched release ``runs`` times in a row.

    Every run must give the reference full marks with no flag and the untouched notebook
    zero, and every test of every run the same score.
    """
    per_run, verdicts = [], []
    for run in range(runs):
        results, _ = autograde.autograde(
            assignment,
            course_dir=folder,
            students=["reference0", "reference_twin", "blank0"],
            jobs=jobs,
        )
        by_student = {r.student: r for r in results}
        references = [by_student["reference0"], by_student["reference_twin"]]
        blank = by_student["blank0"]
        verdicts.append(
            all(r.score == r.max_score and not r.flagged for r in references) and blank.score == 0
        )
        per_run.append({r.student: r.tests for r in references})
        print(
            f"    run {run + 1}/{runs}: reference {[r.score for r in references]} "
            f"of {references[0].max_score}, flags {[r.flags for r in references]}, "
            f"untouched {blank.score}",
            flush=True,
        )
    tests = [run[name] for run in per_run for name in run]
    return {
        "runs": runs,
        "submissions_per_run": 3,
        "identical": all(t == tests[0] for t in tests),
        "reference_full_untouched_zero_every_run": all(verdicts),
        "scores": sorted({sum(s for s, _ in t.values()) for t in tests}),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignments", nargs="*", help="default: every assignment")
    parser.add_argument("--copies", type=int, default=2, help="submissions of each kind")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5, help="determinism runs (0: skip)")
    parser.add_argument("--output", default=str(RESULTS / "autograde.json"))
    parser.add_argument(
        "--merge", action="store_true", help="keep the other assignments' results in --output"
    )
    parser.add_argument(
        "--repeat-only",
        action="store_true",
        help="only the repeated runs (reference full marks, untouched zero), no timing: "
        "e.g. to check grading as an unprivileged user",
    )
    args = parser.parse_args(argv)
    if args.repeat_only:
        return _repeat_only(args)
    assignments = args.assignments or course.list_assignments()
    record = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "parallel_ceiling": _parallel_ceiling(),
        "jobs": args.jobs,
        "copies": args.copies,
        "assignments": {},
    }
    if args.merge and Path(args.output).is_file():
        record["assignments"] = json.loads(Path(args.output).read_text())["assignments"]
    for assignment in assignments:
        print(f"{assignment}:", flush=True)
        plain_dir, ours_dir = WORK / assignment / "plain", WORK / assignment / "coursekit"
        students = _course(plain_dir, assignment, args.copies, plain=True)
        _course(ours_dir, assignment, args.copies, plain=False)
        # (writing the submissions released the assignment: both gradebooks know it)
        load_before = _load()
        plain_seconds, plain_scores = _plain(assignment, plain_dir, students)
        print(f"  plain nbgrader: {plain_seconds:.1f} s for {len(students)}", flush=True)
        ours_seconds, results, isolation = _coursekit(assignment, ours_dir, students, args.jobs)
        print(f"  coursekit -j {args.jobs}: {ours_seconds:.1f} s", flush=True)
        load_after = _load()
        ours_scores = {r.student: r.score for r in results}
        overhead = [r.seconds - r.execute_seconds for r in results]
        entry = {
            "submissions": len(students),
            "plain_seconds_per_submission": round(plain_seconds / len(students), 2),
            "coursekit_seconds_per_submission": round(ours_seconds / len(students), 2),
            "speedup": round(plain_seconds / ours_seconds, 2),
            "coursekit_overhead_per_submission": {
                "median": round(statistics.median(overhead), 2),
                "max": round(max(overhead), 2),
                "meaning": "worker wall time minus notebook execution (kernel start included)",
            },
            "interface_seconds_per_submission": round(
                statistics.median(r.call_seconds for r in results), 2
            ),
            "execute_seconds_median": round(
                statistics.median(r.execute_seconds for r in results), 2
            ),
            "scores_agree": plain_scores == ours_scores,
            "scores": ours_scores,
            "plain_scores": plain_scores,
            "flagged": sorted(r.student for r in results if r.flagged),
            "isolation": isolation,
            "load_average_before": load_before,
            "load_average_after": load_after,
        }
        if args.runs:
            twin = ours_dir / "submitted" / "reference_twin" / assignment
            shutil.copytree(ours_dir / "submitted" / "reference0" / assignment, twin)
            entry["determinism"] = _determinism(assignment, ours_dir, args.runs, args.jobs)
        elif "determinism" in record["assignments"].get(assignment, {}):
            # --merge --runs 0 (timing again only): the earlier run's check stays, dated
            previous = record["assignments"][assignment]
            entry["determinism"] = {"date": previous["date"], **previous["determinism"]}
        entry["date"] = datetime.now(UTC).isoformat(timespec="seconds")
        record["assignments"][assignment] = entry
        record["total"] = _total(record["assignments"])
        print(json.dumps({k: v for k, v in entry.items() if k != "scores"}, indent=1), flush=True)
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(record, indent=1) + "\n")
    _write_markdown(record, Path(args.output).with_suffix(".md"))
    return 0


def _repeat_only(args):
    """``--repeat-only``: the five-runs-in-a-row check for every assignment, nothing else."""
    record = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "jobs": args.jobs,
        "assignments": {},
    }
    for assignment in args.assignments or course.list_assignments():
        print(f"{assignment}:", flush=True)
        folder = WORK / assignment / "repeat"
        _course(folder, assignment, 1, plain=False)
        twin = folder / "submitted" / "reference_twin" / assignment
        shutil.copytree(folder / "submitted" / "reference0" / assignment, twin)
        started = time.perf_counter()
        entry = _determinism(assignment, folder, args.runs, args.jobs)
        entry["seconds"] = round(time.perf_counter() - started, 1)
        record["assignments"][assignment] = entry
    record["all_reference_full_untouched_zero"] = all(
        e["reference_full_untouched_zero_every_run"] for e in record["assignments"].values()
    )
    record["all_identical"] = all(e["identical"] for e in record["assignments"].values())
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))
    return 0 if record["all_reference_full_untouched_zero"] and record["all_identical"] else 1


def _total(assignments):
    """Speed-up and overhead over every assignment benchmarked (weighted by grading time)."""
    plain = sum(e["plain_seconds_per_submission"] * e["submissions"] for e in assignments.values())
    ours = sum(
        e["coursekit_seconds_per_submission"] * e["submissions"] for e in assignments.values()
    )
    medians = [e["coursekit_overhead_per_submission"]["median"] for e in assignments.values()]
    return {
        "assignments": len(assignments),
        "plain_seconds": round(plain, 1),
        "coursekit_seconds": round(ours, 1),
        "speedup": round(plain / ours, 2) if ours else None,
        "overhead_median_max_over_assignments": max(medians) if medians else None,
        "all_deterministic": all(
            e.get("determinism", {}).get("identical", False) for e in assignments.values()
        ),
        "all_scores_agree": all(e["scores_agree"] for e in assignments.values()),
        "reference_full_untouched_zero_every_run": all(
            e.get("determinism", {}).get("reference_full_untouched_zero_every_run", False)
            for e in assignments.values()
        ),
    }


def _write_markdown(record, path):
    machine = record["machine"]
    lines = [
        "# Autograding benchmark",
        "",
        f"{record['date']}; {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory_gib']} GiB, {machine['platform']}, nbgrader {machine['nbgrader']}.",
        f"coursekit with --jobs {record['jobs']}; {record['copies']} submission(s) of each kind "
        "(reference, untouched, partly wrong) per assignment.",
        "",
        "| assignment | submissions | plain nbgrader s/subm. | coursekit s/subm. | speed-up "
        "| overhead s/subm. (median, max) | grading interface s | scores agree | deterministic "
        "| load before → after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in record["assignments"].items():
        overhead = entry["coursekit_overhead_per_submission"]
        determinism = entry.get("determinism", {})
        same = (
            f"{determinism['identical']} ({determinism['runs']} runs × {determinism.get('submissions_per_run', 2)})"
            if determinism
            else "–"
        )
        lines.append(
            f"| {name} | {entry['submissions']} | {entry['plain_seconds_per_submission']} "
            f"| {entry['coursekit_seconds_per_submission']} | {entry['speedup']}× "
            f"| {overhead['median']}, {overhead['max']} "
            f"| {entry['interface_seconds_per_submission']} | {entry['scores_agree']} "
            f"| {same} | {entry['load_average_before']} → {entry['load_average_after']} |"
        )
    total = record.get("total")
    if total:
        lines += [
            "",
            f"All {total['assignments']} assignments: plain nbgrader {total['plain_seconds']} s, "
            f"coursekit {total['coursekit_seconds']} s, speed-up {total['speedup']}×; "
            f"largest median overhead per submission {total['overhead_median_max_over_assignments']} s; "
            f"deterministic: {total['all_deterministic']}; scores agree: {total['all_scores_agree']}; "
            "reference full marks with no flag and untouched zero in every run: "
            f"{total.get('reference_full_untouched_zero_every_run')}.",
        ]
    ceiling = record.get("parallel_ceiling")
    if ceiling:
        lines += [
            "",
            f"This machine's ceiling for two workers: a CPU-bound Python loop takes "
            f"{ceiling['one_process_s']} s alone and {ceiling['two_processes_s']} s for two "
            f"copies at once, a speed-up of at most {ceiling['speedup_ceiling']}× "
            "(2.0× on two independent cores).",
        ]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
