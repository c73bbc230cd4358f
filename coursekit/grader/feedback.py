"""Feedback for students: a score per test and each failing test's message, never hidden tests.

``coursekit feedback ASSIGNMENT`` runs ``nbgrader generate_feedback`` with the preprocessors
of this module (configured in ``nbgrader_config.py``) and then checks every file it wrote:

- :class:`HideHiddenTestOutputs` reduces the output of a hidden-test cell to the failure
  message of the check that failed (``CheckFailed: ...``); printed text, displayed values
  and tracebacks, which could show the test's code or expected values, are dropped. It also
  removes text from the hidden tests wherever else it appears (student code that read the
  hidden tests and printed them);
- :class:`ScoreSummary` puts a table at the top: every test, its points and, when it failed,
  the first line of its message;
- :class:`NeutraliseStudentMarkers` runs first: a hidden-test marker (``BEGIN HIDDEN
  TESTS``) that a student typed into a cell of their own is defused, so that no student's
  text can make nbgrader fail on their notebook;
- :func:`check_feedback` scans the generated HTML for any line of a hidden test and deletes a
  file that contains one (it never has, unless a preprocessor is switched off).

:func:`generate_feedback` runs nbgrader once for the whole class and, if that fails, once per
student, so that one submission nbgrader cannot convert never costs anyone else their
feedback. :func:`release_feedback` releases only the feedback of submissions that are not
flagged for review, unless the instructor names the flagged ones after looking at them.
"""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path

from ..i18n import configured_language, set_language
from ..i18n import translate as _t
from .course import Course

# HideHiddenTestOutputs and ScoreSummary are built on first use (they import nbgrader).
__all__ = [
    "check_feedback",
    "generate_feedback",
    "held_back",
    "hidden_test_lines",
    "release_feedback",
]

_HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
_REMOVED = "[removed by coursekit: text from a hidden test]"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TRACEBACK_PREFIX = re.compile(r"^\s*(-*>)?\s*\d+\s")
_MARKER = re.compile(r"(BEGIN|END) HIDDEN TESTS")
_STUDENT_MARKER = re.compile(r"(BEGIN|END)(\s+)HIDDEN(\s+)TESTS", re.I)


def hidden_test_lines(sources, *, min_length=12):
    """Lines of hidden-test code worth searching for in feedback.

    Parameters
    ----------
    sources : iterable of str
        Cell sources of the instructor's notebook (with ``### BEGIN HIDDEN TESTS`` blocks).
    min_length : int, default=12
        Shorter lines (``else:``, ``)``) are too common to mean anything.

    Returns
    -------
    set of str
        Stripped lines from inside hidden-test blocks that appear nowhere else in the
        notebook, also once markdown's backticks and asterisks are gone (a line students
        can see, or may write in a solution, is no secret).

    Examples
    --------
    >>> source = "x = 1\\n### BEGIN HIDDEN TESTS\\nassert secret(3) == 42\\nx = 1\\n### END HIDDEN TESTS"
    >>> hidden_test_lines([source], min_length=5)
    {'assert secret(3) == 42'}
    """
    hidden, outside = set(), []
    for source in sources:
        for block in _HIDDEN_BLOCK.findall(source):
            hidden.update(line.strip() for line in block.splitlines())
        outside.append(_HIDDEN_BLOCK.sub("", source))
    visible = "\n".join(outside)
    visible += "\n" + re.sub(r"[`*]", "", visible)  # markdown as it reads once rendered
    return {
        line
        for line in hidden
        if len(line) >= min_length and not line.startswith("#") and line not in visible
    }


def _forms(line):
    """A hidden line as it appears in text, and as it appears inside a JSON string."""
    return {line, json.dumps(line)[1:-1]}


def _leaks_in_line(line, lines):
    """Whether one line of output shows a hidden-test line (whole, or a long one inside)."""
    plain = _ANSI.sub("", line)
    if _MARKER.search(plain):
        return True
    if plain.strip() in lines or _TRACEBACK_PREFIX.sub("", plain).strip() in lines:
        return True
    return any(form in plain for hidden in lines if len(hidden) >= 30 for form in _forms(hidden))


def _redact(text, lines):
    """``text`` with every line that shows a hidden-test line replaced; (new text, changed).

    A line counts when it is a hidden-test line (a traceback's line numbers aside), contains
    a long one (30 characters or more; also in JSON-escaped form, as in a printed notebook
    file), or contains a hidden-test marker.
    """
    if not isinstance(text, str) or not lines:
        return text, False
    original = text.split("\n")
    kept = [_REMOVED if _leaks_in_line(line, lines) else line for line in original]
    return "\n".join(kept), kept != original


@functools.cache  # (built once)
def _make_classes():
    import nbformat
    from nbformat import NotebookNode
    from nbgrader import utils
    from nbgrader.preprocessors import NbGraderPreprocessor as base

    class NeutraliseStudentMarkers(base):
        """Feedback preprocessor: defuse hidden-test markers in cells that are not tests.

        Test cells come from the instructor (autograding restores them); in every other
        cell, a ``BEGIN HIDDEN TESTS`` / ``END HIDDEN TESTS`` is the student's text and
        becomes ``BEGIN-HIDDEN-TESTS (as typed)``.
        """

        def preprocess_cell(self, cell, resources, index):
            if utils.is_grade(cell):
                return cell, resources
            cell.source = _STUDENT_MARKER.sub(r"\1-HIDDEN-TESTS (as typed)", cell.source)
            return cell, resources

    class HideHiddenTestOutputs(base):
        """Feedback preprocessor: hidden-test cells show only their failure message.

        Must run before nbgrader's ``ClearHiddenTests`` (it recognises hidden-test cells by
        their ``### BEGIN HIDDEN TESTS`` block).
        """

        def preprocess(self, nb, resources):
            sources = [cell.source for cell in nb.cells if cell.cell_type == "code"]
            self._lines = hidden_test_lines(sources)
            resources.setdefault("coursekit", {})["redacted"] = []
            return super().preprocess(nb, resources)

        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type != "code":
                return cell, resources
            if _HIDDEN_BLOCK.search(cell.source):
                kept = []
                for output in cell.get("outputs", []):
                    if output.get("output_type") != "error":
                        continue
                    name = output.get("ename", "Error")
                    value, _ = _redact(_ANSI.sub("", str(output.get("evalue", ""))), self._lines)
                    kept.append(
                        NotebookNode(
                            output_type="error",
                            ename=name,
                            evalue=value,
                            traceback=[f"{name}: {value}"],
                        )
                    )
                cell.outputs = kept
                return cell, resources
            for output in cell.get("outputs", []):
                changed = False
                for key in ("text", "evalue"):
                    if key in output:
                        output[key], hit = _redact(output[key], self._lines)
                        changed |= hit
                if "traceback" in output:
                    redacted = [_redact(line, self._lines) for line in output["traceback"]]
                    output["traceback"] = [line for line, _ in redacted]
                    changed |= any(hit for _, hit in redacted)
                for mime, data in list(output.get("data", {}).items()):
                    if isinstance(data, str):
                        output["data"][mime], hit = _redact(data, self._lines)
                        changed |= hit
                if changed:
                    resources["coursekit"]["redacted"].append(index)
            return cell, resources

    class ScoreSummary(base):
        """Feedback preprocessor: a table of the tests, their points and failure messages."""

        def preprocess(self, nb, resources):
            set_language(configured_language(self.config))
            rows = []  # the table's rows: test, points, result (and the failure's message)
            for cell in nb.cells:
                if not utils.is_grade(cell):
                    continue
                meta = cell.metadata.get("nbgrader", {})
                score = meta.get("score")
                points = meta.get("points", 0)
                text = _t("passed") if score is not None and score >= points else _t("failed")
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error":
                        message = _ANSI.sub("", str(output.get("evalue", ""))).strip()
                        message = message.splitlines()[0] if message else output.get("ename", "")
                        if message:
                            text += ": " + html.escape(message[:300]).replace("|", "&#124;")
                        break
                shown = "–" if score is None else f"{score:g}"
                rows.append(f"| `{meta.get('grade_id', '?')}` | {shown} / {points:g} | {text} |")
            if not rows:
                return nb, resources
            total = resources.get("nbgrader", {}).get("score")
            maximum = resources.get("nbgrader", {}).get("max_score")
            penalty = resources.get("nbgrader", {}).get("late_penalty") or 0
            lines = [_t("## Your results"), ""]
            if total is not None:
                lines.append(_t("**Score: {total:g} / {maximum:g}**", total=total, maximum=maximum))
                if penalty:
                    lines.append(
                        _t(
                            " (after a late-submission penalty of {penalty:g} points)",
                            penalty=penalty,
                        )
                    )
                lines.append("")
            lines += [_t("| test | points | result |"), "|---|---|---|", *rows]
            lines += [
                "",
                _t(
                    "Hidden tests show only the message of the check that failed. The notebook "
                    "below is your submission as it was graded."
                ),
            ]
            summary = nbformat.v4.new_markdown_cell("\n".join(lines))
            nb.cells.insert(0, summary)
            return nb, resources

    return HideHiddenTestOutputs, ScoreSummary, NeutraliseStudentMarkers


def __getattr__(name):  # the preprocessors import nbgrader, so they are built on first use
    if name == "HoldFlaggedReleaseFeedback":
        return _release_class()
    names = ("HideHiddenTestOutputs", "ScoreSummary", "NeutraliseStudentMarkers")
    if name in names:
        return _make_classes()[names.index(name)]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_feedback(folder, hidden_lines):
    """Find feedback files that contain hidden-test code, and delete them.

    Parameters
    ----------
    folder : path-like
        A folder of generated feedback (searched recursively).
    hidden_lines : set of str
        What must never appear (see :func:`hidden_test_lines`). After removing HTML tags, a
        line of the file that equals one of them (traceback line numbers aside), contains a
        long one (30 characters or more, also JSON-escaped) or a hidden-test marker is a leak.

    Returns
    -------
    list of (pathlib.Path, str)
        The deleted files and the first hidden line each contained.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "ok.html").write_text("<p>relu failed: received 3</p>")
    ...     check_feedback(folder, {"assert secret_value(3) == 42"})
    []
    """
    leaks = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        plain = html.unescape(re.sub(r"<[^>]+>", "", text))
        found = [line for line in plain.splitlines() if _leaks_in_line(line, hidden_lines)]
        if found:
            leaks.append((path, found[0].strip()[:200]))
            path.unlink()
    return leaks


def generate_feedback(assignment, *, course_dir=None, students=None, db_url=None):
    """Generate the feedback HTML of ``assignment`` and check it for hidden-test content.

    Runs ``nbgrader generate_feedback`` (with the preprocessors configured in
    ``nbgrader_config.py``) for every autograded submission, or the listed ``students``,
    then :func:`check_feedback` on each student's feedback folder.

    Parameters
    ----------
    assignment : str
        The assignment name.
    course_dir : path-like, optional
        The course directory (default: the repository root).
    students : list of str, optional
        Only these students.
    db_url : str, optional
        The gradebook (default: the course's).

    Returns
    -------
    dict
        ``{"files": [paths written], "leaks": [(path, line)], "missing": [students without
        an autograded submission], "failed": {student: nbgrader's last error line}}``.

    Examples
    --------
    >>> generate_feedback("a99_nothing")
    Traceback (most recent call last):
    ...
    ValueError: Unknown assignment 'a99_nothing'. Known assignments: ...
    """
    import nbformat

    course = Course.open(course_dir, db_url=db_url)
    course.check_assignment(assignment)
    graded = course.students(assignment, "autograded")
    wanted = graded if students is None else list(students)
    missing = [s for s in wanted if s not in graded]
    paths = sorted((course.source / assignment).glob("*.ipynb"))
    notebooks = [nbformat.read(path, as_version=4) for path in paths]
    lines = hidden_test_lines(cell.source for notebook in notebooks for cell in notebook.cells)
    files, leaks, failed = [], [], {}
    todo = [s for s in wanted if s in graded]
    # the whole class in one nbgrader run; a few students (nbgrader takes one --student), or
    # the class after that run failed, one at a time: nobody else pays for one failure
    one_by_one = todo
    if todo and len(todo) == len(graded):
        done = course.nbgrader(["generate_feedback", assignment, "--force"], check=False)
        one_by_one = todo if done.returncode != 0 else []
    for student in one_by_one:
        one = course.nbgrader(
            ["generate_feedback", assignment, "--force", f"--student={student}"], check=False
        )
        if one.returncode != 0:
            log = ((one.stdout or "") + (one.stderr or "")).strip().splitlines()
            errors = [line for line in log if "Error" in line or "ERROR" in line]
            failed[student] = (errors or log or ["nbgrader failed"])[-1][-300:]
    for student in [s for s in todo if s not in failed]:
        folder = course.feedback / student / assignment
        leaks += check_feedback(folder, lines)
        files += sorted(p for p in folder.rglob("*") if p.is_file())
    return {"files": files, "leaks": leaks, "missing": missing, "failed": failed}


def held_back(assignment, *, course_dir=None):
    """Students whose feedback on ``assignment`` is held back: flagged, and not yet reviewed.

    The flags are in the autograde reports; the instructor's reviews in
    ``autograde_reports/ASSIGNMENT.reviewed.json`` (written by ``coursekit feedback --reviewed``).
    """
    from .engine import read_reports

    course = Course.open(course_dir)
    reports = read_reports(assignment, course_dir=course.root)
    flagged = {name for name, result in reports.items() if result.flagged}
    return sorted(flagged - _reviewed(course, assignment))


def _reviewed(course, assignment):
    path = course.reports / f"{assignment}.reviewed.json"
    try:
        return set(json.loads(path.read_text()))
    except (OSError, ValueError):
        return set()


def release_feedback(assignment, *, course_dir=None, students=None, reviewed=()):
    """Release feedback through nbgrader's exchange; flagged submissions are held back.

    The holding back is done by :class:`HoldFlaggedReleaseFeedback`, the exchange class that
    ``nbgrader_config.py`` names, so the formgrader's *Release feedback* button does the same.

    Parameters
    ----------
    assignment : str
        The assignment name.
    course_dir : path-like, optional
        The course directory (default: the repository root).
    students : list of str, optional
        Only these students (default: every student with feedback).
    reviewed : iterable of str
        Flagged students whose submission the instructor has looked at: recorded, and their
        feedback is released too (now and at every later release).

    Returns
    -------
    (released, held) : (list of str, list of str)
    """
    course = Course.open(course_dir)
    if reviewed:
        path = course.reports / f"{assignment}.reviewed.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(sorted(_reviewed(course, assignment) | set(reviewed))))
    with_feedback = course.students(assignment, "feedback")
    wanted = with_feedback if students is None else [s for s in students if s in with_feedback]
    held = [s for s in wanted if s in set(held_back(assignment, course_dir=course.root))]
    released = [s for s in wanted if s not in held]
    calls = [[]] if students is None else [[f"--student={s}"] for s in released]
    for extra in calls if released else []:  # (nbgrader takes one --student at a time)
        course.nbgrader(["release_feedback", assignment, *extra])
    return released, held


def _release_class():
    from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

    class HoldFlaggedReleaseFeedback(ExchangeReleaseFeedback):
        """nbgrader's release of feedback, without the flagged submissions not yet reviewed."""

        def copy_files(self):
            held = held_back(self.coursedir.assignment_id, course_dir=self.coursedir.root)
            if held:
                self.log.warning(
                    "Holding back the feedback of flagged submissions (coursekit review, then "
                    "coursekit feedback --release --reviewed STUDENT): %s",
                    ", ".join(held),
                )
                excluded = set(filter(None, self.coursedir.student_id_exclude.split(",")))
                self.coursedir.student_id_exclude = ",".join(sorted(excluded | set(held)))
            super().copy_files()

    return HoldFlaggedReleaseFeedback
