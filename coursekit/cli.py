"""The ``coursekit`` command line.

``coursekit data``, ``coursekit doctor``, ``coursekit release``, ``coursekit book`` and the
grading workflow: ``coursekit collect``, ``coursekit autograde``, ``coursekit review``,
``coursekit feedback``, ``coursekit export``; ``coursekit --help`` lists them. Chapter 0
shows the doctor's output; the grading guide shows the grading workflow.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys
import time
from pathlib import Path

from . import course, data

__all__ = ["main"]

_PACKAGES = [
    "coursekit",
    "numpy",
    "tensorflow",
    "keras",
    "scikit-learn",
    "scikit-image",
    "matplotlib",
    "nbgrader",
    "jupyter-book",
]


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _print_table(rows, headers):
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*headers))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*map(str, row)))


def _cmd_data(args):
    if args.check:
        if args.check != "fashion_mnist":
            raise SystemExit(f"--check knows only 'fashion_mnist'. Received: {args.check!r}.")
        try:
            print(f"fashion_mnist: {data.fashion_mnist_dir()}")
        except (data.DataNotFoundError, data.DataCorruptError) as error:
            print(f"fashion_mnist: not available.\n{error}", file=sys.stderr)
            return 1
        return 0
    if args.download:
        if args.download != "fashion_mnist":
            raise SystemExit(f"--download knows only 'fashion_mnist'. Received: {args.download!r}.")
        data.download_fashion_mnist()
        print(f"fashion_mnist: {data.fashion_mnist_dir()}")
        return 0
    rows = []
    missing = 0
    for entry in data.data_sources():
        where = entry["source"] if entry["available"] else f"MISSING: {entry['detail']}"
        missing += not entry["available"]
        rows.append((entry["name"], "yes" if entry["available"] else "no", where))
    _print_table(rows, ("data set", "available", "source"))
    return 1 if missing else 0


def _cmd_doctor(args):
    print("coursekit doctor")
    print(f"  python      {platform.python_version()} ({sys.executable})")
    print(f"  platform    {platform.platform()}")
    print()
    _print_table([(p, _version(p)) for p in _PACKAGES], ("package", "version"))
    print()
    from .device import device_report

    report = device_report()
    gpus = ", ".join(report["gpus"]) or "none (TensorFlow runs on the CPU)"
    print(f"CPU cores: {report['cpu_count']}   GPUs seen by TensorFlow: {gpus}")
    print(f"TensorFlow built with CUDA: {report['cuda_build'] or 'no (CPU-only build)'}")
    print()
    _cmd_data(argparse.Namespace(check=None, download=None))
    print()
    from .grader import bwrap

    try:
        bwrap.check_available(bwrap.UID_BASE if os.geteuid() == 0 else None)
        print("grading sandbox: bubblewrap works here (student code is graded in it)")
    except bwrap.SandboxUnavailable as error:
        print(f"grading sandbox: unavailable: {error}")
    print()
    root = course.REPO_ROOT
    if not (root / "nbgrader_config.py").is_file():
        print("nbgrader configuration: no course directory here (coursekit is installed as a")
        print("  package, e.g. in the hub image); run doctor from a course checkout to see it.")
        return 0
    config = _nbgrader_settings(root)
    print("nbgrader configuration (nbgrader_config.py):")
    for key, value in config.items():
        print(f"  {key:<28} {value}")
    print(f"  {'assignments':<28} {', '.join(course.list_assignments(root))}")
    return 0


def _nbgrader_settings(root):
    """Read the settings the course relies on from nbgrader_config.py."""
    from traitlets.config import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    return {
        "source directory": config.CourseDirectory.source_directory,
        "release directory": config.CourseDirectory.release_directory,
        "gradebook": config.CourseDirectory.db_url,
        "cell timeout (s)": config.Execute.timeout,
        "missing cells restored": config.OverwriteCells.add_missing_cells,
        "stderr noise filter": config.IgnorePattern.enabled,
    }


def _cmd_release(args):
    if args.update_catalogs:
        from .i18n import update_message_catalogs

        update_message_catalogs()
        print("updated locales/*/LC_MESSAGES/notebooks/*.po and coursekit/locales/*/coursekit.po")
        return 0
    folders = course.release(args.assignment, release_dir=args.release_dir, language=args.language)
    for folder in folders:
        print(f"released {folder}")
    return 0


def _course_arg(args):
    """--course, else the current folder when it is a course directory, else the repository."""
    if getattr(args, "course", None):
        return Path(args.course)
    here = Path.cwd()
    return here if (here / "nbgrader_config.py").is_file() else None


def _size(text):
    """'4G', '512M' or a number of bytes -> bytes."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    text = str(text).strip().upper().removesuffix("IB").removesuffix("B")
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a size such as 4G or 512M. Received: {text!r}."
        ) from None


def _cmd_collect(args):
    from .grader.engine import collect

    collected = collect(
        args.assignment,
        course_dir=_course_arg(args),
        source=args.source,
        update=args.update,
        timestamps=args.timestamps,
    )
    for student, path in collected:
        print(f"collected {student}: {path}")
    print(f"{len(collected)} submission(s) in submitted/*/{args.assignment}")
    return 0


def _flag_lines(result, limit):
    lines = [
        f"  {result.student}: {result.status}" + (f" ({result.reason})" if result.reason else "")
    ]
    for flag in result.flags[:limit]:
        lines.append(f"    - {flag}")
    if len(result.flags) > limit:
        lines.append(f"    ... {len(result.flags) - limit} more in the report")
    return lines


def _cmd_autograde(args):
    from .grader import engine

    start = time.perf_counter()
    submitted = _resolved_course(args).submitted
    names = args.student or [p.parent.name for p in submitted.glob(f"*/{args.assignment}")]
    width = max([7, *map(len, names)])

    def on_result(result):
        mark = "  FLAGGED" if result.flagged else ""
        print(
            f"  {result.student:<{width}}  {result.score:g}/{result.max_score:g}  "
            f"{result.status}  {result.seconds:.1f} s{mark}",
            flush=True,
        )

    print(f"autograding {args.assignment} ...", flush=True)
    results, isolation = engine.autograde(
        args.assignment,
        course_dir=_course_arg(args),
        students=args.student,
        jobs=args.jobs,
        timeout=args.timeout,
        memory=args.memory,
        cell_timeout=args.cell_timeout,
        unsafe_no_sandbox=args.unsafe_no_sandbox,
        external=_external_box(args.sandbox),
        keep_scratch=args.keep_scratch,
        db_url=args.db_url,
        on_result=on_result,
    )
    print()
    rows = [
        (
            r.student,
            f"{r.score:g}",
            f"{r.max_score:g}",
            f"{r.late_penalty:g}",
            r.status,
            len(r.flags),
            f"{r.seconds:.1f}",
        )
        for r in results
    ]
    _print_table(rows, ("student", "score", "max", "late penalty", "status", "flags", "seconds"))
    elapsed = time.perf_counter() - start
    print(f"graded {len(results)} submission(s) in {elapsed:.1f} s with {args.jobs or 'all'} jobs")
    if isolation.get("sandbox") == "none":
        print(f"WARNING: {isolation.get('reason')}; every submission is flagged")
    elif isolation.get("sandbox") == "external":
        print("student code ran in the student container (external box); tests ran here")
    else:
        who = f" as user ids {isolation['uid']}+" if isolation.get("uid") is not None else ""
        print(f"student code ran in the bubblewrap sandbox{who}; tests ran in the grader")
    flagged = [r for r in results if r.flagged]
    if flagged:
        print(f"\n{len(flagged)} submission(s) flagged for review (marked in the gradebook):")
        for result in flagged:
            print("\n".join(_flag_lines(result, 5)))
    print(f"\nreports: {_resolved_course(args).reports / args.assignment}")
    return 0


def _external_box(value):
    if value == "bwrap":
        return None
    if not value.startswith("external:") or not value[len("external:") :]:
        raise ValueError(
            f"--sandbox must be 'bwrap' or 'external:DIR' (DIR: the box a podkernel runs in). "
            f"Received: {value!r}."
        )
    return value[len("external:") :]


def _resolved_course(args):
    from .grader.course import Course

    return Course.open(_course_arg(args))


def _cmd_review(args):
    from .grader.engine import read_reports

    reports = read_reports(args.assignment, course_dir=_course_arg(args))
    if not reports:
        print(f"no autograding reports for {args.assignment}: run `coursekit autograde` first")
        return 1
    wanted = [r for r in reports.values() if r.flagged or args.all]
    if args.student:
        wanted = [r for r in reports.values() if r.student in args.student]
    for result in sorted(wanted, key=lambda r: r.student):
        print(f"{result.student}: {result.score:g}/{result.max_score:g}")
        print("\n".join(_flag_lines(result, 1000)[1:]) or "    (no flags)")
        if result.status != "graded":
            print(f"    status: {result.status}: {result.reason}")
    print(f"{sum(r.flagged for r in reports.values())} of {len(reports)} submission(s) flagged")
    return 0


def _cmd_feedback(args):
    from .grader.feedback import generate_feedback

    done = generate_feedback(
        args.assignment, course_dir=_course_arg(args), students=args.student, db_url=args.db_url
    )
    root = _resolved_course(args).root
    for path in done["files"]:
        if path.suffix == ".html":
            print(f"wrote {path.relative_to(root)}")
    for student in done["missing"]:
        print(f"no feedback for {student}: no autograded submission")
    for student, why in done["failed"].items():
        print(f"no feedback for {student}: nbgrader failed on it ({why})", file=sys.stderr)
    if done["leaks"]:
        for path, line in done["leaks"]:
            print(f"DELETED {path}: it contained hidden-test code ({line!r})", file=sys.stderr)
        return 1
    if args.release:
        from .grader.feedback import release_feedback

        released, held = release_feedback(
            args.assignment,
            course_dir=_course_arg(args),
            students=args.student,
            reviewed=args.reviewed or (),
        )
        print(f"released feedback to {len(released)} student(s)")
        if held:
            print(
                f"held back {len(held)} flagged submission(s): {', '.join(held)}. Look at them "
                "(coursekit review) and release with --release --reviewed STUDENT."
            )
    return 1 if done["failed"] else 0


def _cmd_export(args):
    from .grader.export import export_grades

    assignments = [args.assignment] if args.assignment else None
    paths = export_grades(
        course_dir=_course_arg(args), assignments=assignments, to=args.to, db_url=args.db_url
    )
    for path in paths:
        print(f"wrote {path}")
    return 0


def _book_languages():
    from .i18n import LANGUAGES

    return LANGUAGES


def _cmd_book(args):
    from .book import build_book, update_catalogs

    if args.update_catalogs:
        return update_catalogs()
    return build_book(rebuild_all=args.all, languages=args.language, draft=args.draft)


def _parser():
    parser = argparse.ArgumentParser(
        prog="coursekit", description="Deep Learning in Practice: course tools."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="show where every data set comes from")
    p.add_argument("--check", metavar="NAME", help="exit 1 unless data set NAME is available")
    p.add_argument("--download", metavar="NAME", help="download data set NAME (needs network)")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("doctor", help="report versions, GPU, data and nbgrader configuration")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("release", help="regenerate exercises/ from solutions/")
    p.add_argument("assignment", nargs="?", help="one assignment (default: all)")
    p.add_argument(
        "--language",
        choices=sorted(_book_languages()),
        help="the release's language (default: c.CourseKit.language in nbgrader_config.py, "
        "else en); Markdown cells are translated, code cells are the same",
    )
    p.add_argument("--release-dir", help="where to write it (default: exercises/)")
    p.add_argument(
        "--update-catalogs",
        action="store_true",
        help="update the catalogs of the notebooks and the test messages "
        "(locales/*/LC_MESSAGES/notebooks, coursekit/locales), then stop",
    )
    p.set_defaults(func=_cmd_release)

    course_help = "course directory (default: this folder if it has nbgrader_config.py)"
    db_help = "gradebook URL, e.g. postgresql+psycopg://grader@host/course (default: "
    db_help += (
        "CourseDirectory.db_url in nbgrader_config.py, i.e. $COURSEKIT_DB_URL or gradebook.db)"
    )
    p = sub.add_parser("collect", help="collect submissions into submitted/*/ASSIGNMENT")
    p.add_argument("assignment")
    p.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        help="copy DIR/STUDENT/*.ipynb (e.g. an LMS download) instead of nbgrader's exchange",
    )
    p.add_argument("--update", action="store_true", help="replace submissions collected before")
    p.add_argument(
        "--timestamps",
        metavar="CSV",
        help="with --from: student,timestamp as the LMS recorded them (default: now)",
    )
    p.add_argument("--course", help=course_help)
    p.set_defaults(func=_cmd_collect)

    p = sub.add_parser(
        "autograde",
        help="grade submitted/*/ASSIGNMENT in parallel, student code sandboxed",
        description="Grade every submission of ASSIGNMENT with nbgrader, N at a time, each "
        "with a time and memory limit; the student's code runs in a bubblewrap sandbox and "
        "the tests in a separate grader process. Scores go to the gradebook, reasons and "
        "review flags to autograde_reports/ASSIGNMENT/.",
    )
    p.add_argument("assignment")
    p.add_argument("--jobs", "-j", type=int, help="submissions graded at once (default: cores)")
    p.add_argument("--student", action="append", help="grade only this student (repeat for more)")
    p.add_argument("--timeout", type=float, default=900, help="seconds per submission (900)")
    p.add_argument("--memory", type=_size, default="4G", help="memory per submission (4G)")
    p.add_argument("--cell-timeout", type=int, help="seconds per cell (nbgrader_config.py)")
    p.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="grade even where the sandbox cannot run (student code runs as you; flagged)",
    )
    p.add_argument(
        "--sandbox",
        default="bwrap",
        metavar="bwrap|external:DIR",
        help="external:DIR: the student's kernel already runs in another container sharing "
        "DIR (a Kubernetes grading Job, see hub/README.md); one --student only",
    )
    p.add_argument("--keep-scratch", action="store_true", help="keep the scratch folders")
    p.add_argument("--course", "--course-dir", dest="course", help=course_help)
    p.add_argument("--db-url", help=db_help)
    p.set_defaults(func=_cmd_autograde)

    p = sub.add_parser("review", help="show the review flags of the last autograde run")
    p.add_argument("assignment")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--all", action="store_true", help="list unflagged submissions too")
    p.add_argument("--course", help=course_help)
    p.set_defaults(func=_cmd_review)

    p = sub.add_parser("feedback", help="generate (and check) the students' feedback HTML")
    p.add_argument("assignment")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument(
        "--release",
        action="store_true",
        help="then release it through nbgrader's exchange (flagged submissions held back)",
    )
    p.add_argument(
        "--reviewed",
        action="append",
        metavar="STUDENT",
        help="with --release: a flagged student you have reviewed; release theirs too",
    )
    p.add_argument("--course", help=course_help)
    p.add_argument("--db-url", help=db_help)
    p.set_defaults(func=_cmd_feedback)

    p = sub.add_parser("export", help="write grades.csv and a CSV per assignment")
    p.add_argument("assignment", nargs="?", help="one assignment (default: all)")
    p.add_argument("--to", metavar="DIR", help="output folder (default: COURSE/grades)")
    p.add_argument("--course", help=course_help)
    p.add_argument("--db-url", help=db_help)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "book",
        help="build the book into _build/html, each translation into _build/html/LANG "
        "(executes chapters once)",
    )
    p.add_argument("--all", action="store_true", help="rebuild every page")
    p.add_argument(
        "--language",
        action="append",
        choices=sorted(_book_languages()),
        help="build only this edition (repeatable; default: every edition)",
    )
    p.add_argument(
        "--draft",
        action="store_true",
        help="build translations even with untranslated entries (for translators)",
    )
    p.add_argument(
        "--update-catalogs",
        action="store_true",
        help="extract the English messages and update locales/*/LC_MESSAGES/*.po "
        "(changed paragraphs become fuzzy or untranslated), then stop",
    )
    p.set_defaults(func=_cmd_book)

    from .hub import add_hub_parser

    add_hub_parser(sub)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"coursekit {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
