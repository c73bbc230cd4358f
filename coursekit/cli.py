"""The ``coursekit`` command line.

``coursekit data``, ``coursekit doctor``, ``coursekit release``, ``coursekit autograde`` and
``coursekit book``; ``coursekit --help`` lists them. Chapter 0 shows the doctor's output.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import sys
import time

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
    folders = course.release(args.assignment)
    for folder in folders:
        print(f"released {folder.relative_to(course.REPO_ROOT)}")
    return 0


def _cmd_autograde(args):
    start = time.perf_counter()
    results = course.autograde(args.assignment, student=args.student)
    rows = [(r.student, f"{r.score:g}", f"{r.max_score:g}") for r in results]
    _print_table(rows, ("student", "score", "max score"))
    print(f"graded {len(results)} submission(s) in {time.perf_counter() - start:.1f} s")
    return 0


def _cmd_book(args):
    from .book import build_book

    return build_book(rebuild_all=args.all)


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
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("autograde", help="grade submitted/*/ASSIGNMENT")
    p.add_argument("assignment")
    p.add_argument("--student", help="grade only this student's submission")
    p.set_defaults(func=_cmd_autograde)

    p = sub.add_parser("book", help="build the book into _build/html (executes chapters)")
    p.add_argument("--all", action="store_true", help="rebuild every page")
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
