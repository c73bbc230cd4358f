"""Grade export: a CSV per assignment and one for the course, late penalties included.

``coursekit export`` writes, into a folder (default ``grades/``):

- ``grades.csv``: the course's grades in exactly the format of ``nbgrader export`` (its
  ``CsvExportPlugin`` writes it): one row per student and assignment, with nbgrader's
  ``raw_score``, ``late_submission_penalty`` and ``score = max(0, raw_score - penalty)``;
- ``ASSIGNMENT.csv`` for each assignment: the same totals plus the seconds late, the
  autograding status and review flags of ``coursekit autograde`` and one column per test.

Late penalties are nbgrader's: ``AssignLatePenalties`` computes them while autograding, with
the plugin configured in ``nbgrader_config.py`` (``LateSubmissionPlugin.penalty_method``),
from the assignment's due date, the submission's ``timestamp.txt`` and any extension.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .course import Course

__all__ = ["export_grades"]

_ASSIGNMENT_COLUMNS = [
    "student_id",
    "last_name",
    "first_name",
    "email",
    "timestamp",
    "seconds_late",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
    "status",
    "flagged",
    "reason",
]


def _number(value):
    return f"{float(value):g}"


def export_grades(*, course_dir=None, assignments=None, to=None, db_url=None):
    """Write the course CSV and one CSV per assignment; return their paths.

    Parameters
    ----------
    course_dir : path-like, optional
        The course directory (default: the repository root).
    assignments : list of str, optional
        Assignments to export (default: every assignment in the gradebook).
    to : path-like, optional
        Output folder (default: ``COURSE/grades``).
    db_url : str, optional
        The gradebook (default: ``$COURSEKIT_DB_URL`` or the course's ``gradebook.db``).

    Returns
    -------
    list of pathlib.Path
        ``grades.csv`` first, then one file per assignment.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from coursekit.course import REPO_ROOT
    >>> with tempfile.TemporaryDirectory() as folder:  # a course with an empty gradebook
    ...     _ = shutil.copy(REPO_ROOT / "nbgrader_config.py", folder)
    ...     paths = export_grades(course_dir=folder, assignments=[])
    ...     [p.name for p in paths]
    ['grades.csv']
    """
    from nbgrader.api import MissingEntry
    from nbgrader.plugins import CsvExportPlugin

    from . import gradebook as gradebooks
    from .engine import read_reports

    course = Course.open(course_dir, db_url=db_url)
    folder = Path(to) if to is not None else course.root / "grades"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with gradebooks.session(course) as gradebook:
        known = [a.name for a in gradebook.assignments]
        if assignments is None:
            assignments = known
        unknown = [name for name in assignments if name not in known]
        if unknown:
            raise ValueError(
                f"Unknown assignment(s) {', '.join(map(repr, unknown))} in the gradebook {course.db_url}. "
                f"Graded assignments: {', '.join(known) or 'none'}."
            )
        # To nbgrader no assignment means every one: a name no assignment has selects none.
        selected = list(assignments) or [""]
        CsvExportPlugin(to=str(folder / "grades.csv"), assignment=selected).export(gradebook)
        written.append(folder / "grades.csv")
        for name in assignments:
            assignment = gradebook.find_assignment(name)
            reports = read_reports(name, course_dir=course.root)
            tests = [
                (notebook.name, cell.name)
                for notebook in assignment.notebooks
                for cell in notebook.grade_cells
            ]
            path = folder / f"{name}.csv"
            with path.open("w", newline="") as handle:
                writer = csv.writer(handle)
                test_columns = [
                    cell if len(assignment.notebooks) == 1 else f"{notebook}:{cell}"
                    for notebook, cell in tests
                ]
                writer.writerow(_ASSIGNMENT_COLUMNS + test_columns)
                for student in gradebook.students:
                    report = reports.get(student.id)
                    row = [student.id, student.last_name, student.first_name, student.email]
                    try:
                        submission = gradebook.find_submission(name, student.id)
                    except MissingEntry:
                        row += ["", "", "0", "0", "0", _number(assignment.max_score)]
                        row += ["not submitted", "", ""] + [""] * len(tests)
                    else:
                        penalty = float(submission.late_submission_penalty or 0.0)
                        raw = float(submission.score)
                        flagged = any(nb.flagged for nb in submission.notebooks)
                        row += [
                            submission.timestamp or "",
                            _number(submission.total_seconds_late),
                            _number(raw),
                            _number(penalty),
                            _number(max(0.0, raw - penalty)),
                            _number(submission.max_score),
                            report.status if report else "graded",
                            "yes" if flagged else "no",
                            report.reason if report else "",
                        ]
                        scores = {}
                        for notebook in submission.notebooks:
                            for grade in notebook.grades:
                                scores[(notebook.name, grade.name)] = _number(grade.score)
                        row += [scores.get(test, "") for test in tests]
                    writer.writerow(["" if v is None else v for v in row])
            written.append(path)
    return written
