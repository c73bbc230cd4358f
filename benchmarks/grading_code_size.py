"""Benchmark: how much code the grading engine is, against the one-process engine it replaced.

Usage (from the repository root, in a git checkout)::

    python benchmarks/grading_code_size.py            # this checkout against the old engine
    python benchmarks/grading_code_size.py --old REV  # against another revision

A code line is a line that is not blank, not only a comment and not part of a docstring
(the same rule for both sides). The old engine is the revision before the grading engine v2
began (``coursekit/autograde.py``, ``sandbox.py``, ``feedback.py``, ``review.py``,
``export.py``, ``grading.py``, ``course.py``); the new one is ``coursekit/grader/`` with
``grading.py`` and ``course.py``, without the Kubernetes runner (``kubernetes.py``,
``podkernel.py``: a way of running a batch that the old engine did not have), which is
counted on its own. The command line (``cli.py``) is counted on its own too: it also holds
the book's and the data's commands. Writes ``benchmarks/results/grading_code_size.json``.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import subprocess
import sys
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
OLD = "6eeefed^"  # the parent of "coursekit.grader: the package of the grading engine v2"
OLD_FILES = ["autograde", "sandbox", "feedback", "review", "export", "grading", "course"]
SEPARATE = ["grader/kubernetes", "grader/podkernel"]


def code_lines(source):
    """Lines of ``source`` that are code: not blank, not comments, not docstrings.

    Examples
    --------
    >>> code_lines("def f():\\n    'Doc.'\\n    # note\\n\\n    return 1\\n")
    2
    """
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skip and token.type != tokenize.ENDMARKER:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def _at(revision, path):
    return subprocess.run(
        ["git", "show", f"{revision}:{path}"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", default=OLD, help=f"the old engine's revision (default {OLD})")
    args = parser.parse_args(argv)
    old = {f"{name}.py": code_lines(_at(args.old, f"coursekit/{name}.py")) for name in OLD_FILES}
    new_paths = sorted((REPO / "coursekit" / "grader").glob("*.py"))
    new_paths += [REPO / "coursekit" / "grading.py", REPO / "coursekit" / "course.py"]
    separate = {f"coursekit/{name}.py" for name in SEPARATE}
    new, kubernetes = {}, {}
    for path in new_paths:
        name = str(path.relative_to(REPO))
        (kubernetes if name in separate else new)[name] = code_lines(path.read_text())
    record = {
        "old_revision": args.old,
        "old": old,
        "old_total": sum(old.values()),
        "new": new,
        "new_total": sum(new.values()),
        "kubernetes_runner": kubernetes,
        "cli": {
            "old": code_lines(_at(args.old, "coursekit/cli.py")),
            "new": code_lines((REPO / "coursekit" / "cli.py").read_text()),
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "grading_code_size.json").write_text(json.dumps(record, indent=1) + "\n")
    print(
        f"grading engine: {record['new_total']} code lines (old engine at {args.old}: "
        f"{record['old_total']}); Kubernetes runner {sum(kubernetes.values())}; "
        f"cli.py {record['cli']['new']} (was {record['cli']['old']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
