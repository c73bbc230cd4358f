"""Every access to the gradebook: the only module of the engine that opens one.

The course gradebook (SQLite or PostgreSQL, :attr:`Course.db_url`) is written by the batch
process only, one short transaction per graded submission (:func:`merge`); each worker
grades into a one-submission SQLite copy made from a per-batch template (:func:`template`),
so workers never share a database.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = [
    "ensure_registered",
    "extensions",
    "grant_extension",
    "merge",
    "read_scratch",
    "scores",
    "session",
    "source_cells",
    "submission_scores",
    "template",
]


@contextlib.contextmanager
def session(course):
    """nbgrader's ``Gradebook`` of ``course`` (a :class:`~coursekit.grader.course.Course`)."""
    from nbgrader.api import Gradebook

    _ensure_alembic()
    with Gradebook(course.db_url, course.course_id) as gradebook:
        yield gradebook


def _ensure_alembic():
    """nbgrader shells out to ``alembic`` (installed beside Python) when it creates a database."""
    folder = str(Path(sys.executable).parent)
    if folder not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([folder, os.environ.get("PATH", "")])


def _empty_sqlite_gradebook(path):
    """Create an empty nbgrader gradebook (SQLite) at ``path``, as nbgrader would.

    nbgrader's ``Gradebook`` creates the tables itself but runs ``alembic heads`` in a
    subprocess to stamp the schema version, which takes seconds per batch; the same head
    revision comes from alembic's Python API in milliseconds.
    """
    import sqlalchemy
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.api import Base
    from nbgrader.dbutil import ALEMBIC_DIR

    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    head = ScriptDirectory.from_config(config).get_current_head()
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    try:
        Base.metadata.create_all(bind=engine)
        with engine.begin() as connection:
            connection.execute(
                sqlalchemy.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            )
            connection.execute(
                sqlalchemy.text("INSERT INTO alembic_version (version_num) VALUES (:head)"),
                {"head": head},
            )
    finally:
        engine.dispose()


def template(course, assignment, path):
    """A fresh SQLite gradebook holding only ``assignment``'s definition, copied from the main one."""
    from nbgrader.api import Gradebook

    _empty_sqlite_gradebook(path)
    with session(course) as main, Gradebook(f"sqlite:///{path}", course.course_id) as copy:
        source = main.find_assignment(assignment)
        copy.update_or_create_assignment(assignment, duedate=source.duedate)
        for notebook in source.notebooks:
            name = notebook.name
            copy.update_or_create_notebook(name, assignment, kernelspec=notebook.kernelspec)
            for cell in notebook.grade_cells:
                copy.update_or_create_grade_cell(
                    cell.name, name, assignment, max_score=cell.max_score, cell_type=cell.cell_type
                )
            for cell in notebook.solution_cells:
                copy.update_or_create_solution_cell(cell.name, name, assignment)
            for cell in notebook.task_cells:
                copy.update_or_create_task_cell(
                    cell.name, name, assignment, max_score=cell.max_score, cell_type=cell.cell_type
                )
            for cell in notebook.source_cells:
                copy.update_or_create_source_cell(
                    cell.name,
                    name,
                    assignment,
                    cell_type=cell.cell_type,
                    locked=cell.locked,
                    source=cell.source,
                    checksum=cell.checksum,
                )


def ensure_registered(course, assignment):
    """Register ``assignment`` in the gradebook (generate it into a temporary folder)."""
    from nbgrader.api import MissingEntry

    from ..course import release

    with session(course) as gradebook, contextlib.suppress(MissingEntry):
        gradebook.find_assignment(assignment)
        return  # (registered)
    with tempfile.TemporaryDirectory() as scratch:
        release(assignment, course_dir=course.root, release_dir=scratch, db_url=course.db_url)


def read_scratch(path, assignment, student):
    """Grades, comments, penalties and timestamp of the one submission in a scratch gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{path}") as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return None
        return {
            "timestamp": submission.timestamp,
            "notebooks": {
                notebook.name: {
                    "penalty": notebook.late_submission_penalty,
                    "grades": {g.name: g.auto_score for g in notebook.grades},
                    "comments": {c.name: c.auto_comment for c in notebook.comments},
                }
                for notebook in submission.notebooks
            },
        }


def source_cells(course, assignment):
    """``{notebook: {grade_id: {source, checksum, locked, graded, cell_type}}}`` of the release."""
    cells = {}
    with session(course) as gradebook:
        for notebook in gradebook.find_assignment(assignment).notebooks:
            points = {cell.name: cell.max_score for cell in notebook.grade_cells}
            solutions = {cell.name for cell in notebook.solution_cells}
            tasks = {cell.name for cell in notebook.task_cells}
            cells[notebook.name] = {
                cell.name: {
                    "source": cell.source,
                    "checksum": cell.checksum,
                    "locked": cell.locked,
                    "graded": cell.name in points,
                    "points": points.get(cell.name),
                    "solution": cell.name in solutions,
                    "task": cell.name in tasks,
                    "cell_type": cell.cell_type,
                }
                for cell in notebook.source_cells
            }
    return cells


def extensions(course, assignment):
    """``{student: timedelta}`` of the deadline extensions granted for ``assignment``."""
    with session(course) as gradebook:
        submissions = gradebook.find_assignment(assignment).submissions
        return {s.student_id: s.extension for s in submissions if s.extension is not None}


def merge(course, assignment, student, scratch, *, review, failed=False):
    """Write one submission's automatic results into the main gradebook, in one transaction.

    ``scratch`` is what :func:`read_scratch` returned (None when nbgrader recorded nothing).
    Automatic scores and comments are replaced; manual scores, manual comments, extra credit
    and extensions are kept. Missing automatic scores become 0. ``review`` marks the
    submission's notebooks as flagged; ``failed`` (the submission could not be graded) also
    marks its grades as needing manual grading, so the formgrader lists them.
    """
    from nbgrader.api import (
        Comment,
        Grade,
        MissingEntry,
        Student,
        SubmittedAssignment,
        SubmittedNotebook,
    )
    from sqlalchemy.exc import OperationalError

    for attempt in range(20):
        try:
            with session(course) as gradebook:  # closing it rolls back what was not committed
                db = gradebook.db
                if db.get(Student, student) is None:
                    db.add(Student(id=student))
                    db.flush()
                definition = gradebook.find_assignment(assignment)
                try:
                    submission = gradebook.find_submission(assignment, student)
                except MissingEntry:
                    submission = SubmittedAssignment(
                        assignment=definition, student=db.get(Student, student)
                    )
                    for notebook in definition.notebooks:
                        graded = SubmittedNotebook(notebook=notebook, assignment=submission)
                        for cell in notebook.grade_cells:
                            Grade(cell_id=cell.id, notebook=graded)
                        for cell in notebook.solution_cells:
                            Comment(cell_id=cell.id, notebook=graded)
                        for cell in notebook.task_cells:
                            Comment(cell_id=cell.id, notebook=graded)
                            Grade(cell_id=cell.id, notebook=graded)
                    db.add(submission)
                    db.flush()
                if scratch is not None and scratch["timestamp"] is not None:
                    submission.timestamp = scratch["timestamp"]
                results = (scratch or {}).get("notebooks", {})
                for notebook in submission.notebooks:
                    found = results.get(notebook.name, {})
                    notebook.flagged = bool(review)
                    notebook.late_submission_penalty = found.get("penalty")
                    scores = found.get("grades", {})
                    for grade in notebook.grades:
                        score = scores.get(grade.name)
                        grade.auto_score = 0.0 if score is None else score
                        grade.needs_manual_grade = bool(
                            failed or grade.manual_score is not None or score is None
                        )
                    comments = found.get("comments", {})
                    for comment in notebook.comments:
                        comment.auto_comment = comments.get(comment.name)
                db.commit()
            return
        except OperationalError as error:  # SQLite busy (the formgrader is writing)
            if "locked" not in str(error) or attempt == 19:
                raise
            time.sleep(0.25 * (attempt + 1))


def submission_scores(course, assignment, student):
    """(score, max_score, late penalty, {test: (score, max)}) of a submission."""
    with session(course) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        tests = {}
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                tests[grade.name] = [float(grade.score), float(grade.max_score)]
        penalty = float(submission.late_submission_penalty or 0.0)
        return float(submission.score), float(submission.max_score), penalty, tests


def grant_extension(course, path, assignment, student, extension):
    """Copy a deadline extension into a scratch gradebook (nbgrader's late penalty uses it)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{path}", course.course_id) as gradebook:
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(assignment, student, extension=extension)


def scores(course, assignment):
    """``{student: (score, max_score)}`` of every graded submission of ``assignment``."""
    with session(course) as gradebook:
        graded = gradebook.find_assignment(assignment)
        return {s.student_id: (float(s.score), float(s.max_score)) for s in graded.submissions}
