"""The course a grading command works on: one frozen value, resolved once.

Every module of the grading engine takes a :class:`Course` instead of re-reading
``nbgrader_config.py`` or passing folders and URLs around one by one.

Examples
--------
>>> course = Course.open()
>>> course.course_id, course.source.name, course.submitted.name
('deep-learning-in-practice', 'solutions', 'submitted')
>>> course.db_url.startswith("sqlite:///") or course.db_url.startswith("postgresql")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import course as _workflow

__all__ = ["REPORTS_DIRECTORY", "Course"]

REPORTS_DIRECTORY = "autograde_reports"


def _setting(root, name):
    """``CourseDirectory.<name>`` as the course's nbgrader_config.py sets it (or None)."""
    from traitlets.config import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    value = config.get("CourseDirectory", {}).get(name)
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Course:
    """An nbgrader course folder, its course id and its gradebook.

    Attributes
    ----------
    root : pathlib.Path
        The folder with ``nbgrader_config.py``.
    course_id : str
        ``CourseDirectory.course_id`` of that file.
    db_url : str
        The gradebook: the URL given, else ``CourseDirectory.db_url`` of that file (ours
        reads ``$COURSEKIT_DB_URL``), a relative SQLite path taken relative to ``root``.
    """

    root: Path
    course_id: str
    db_url: str

    @classmethod
    def open(cls, course_dir=None, *, db_url=None):
        """The course in ``course_dir`` (default: the repository root).

        Raises
        ------
        FileNotFoundError
            When the folder has no ``nbgrader_config.py``.
        """
        root = Path(_workflow.REPO_ROOT if course_dir is None else course_dir).resolve()
        if not (root / "nbgrader_config.py").is_file():
            raise FileNotFoundError(
                f"{root} is not a course directory: it has no nbgrader_config.py. "
                "Run coursekit from the course folder or pass --course FOLDER."
            )
        if db_url is None:
            db_url = _setting(root, "db_url") or "sqlite:///gradebook.db"
            prefix = "sqlite:///"
            if db_url.startswith(prefix) and not db_url[len(prefix) :].startswith("/"):
                db_url = f"{prefix}{root / db_url[len(prefix) :]}"
        course_id = _setting(root, "course_id") or "default_course"
        return cls(root=root, course_id=course_id, db_url=db_url)

    # -- folders ---------------------------------------------------------------------
    @property
    def source(self):
        return self.root / "solutions"

    @property
    def submitted(self):
        return self.root / "submitted"

    @property
    def autograded(self):
        return self.root / "autograded"

    @property
    def feedback(self):
        return self.root / "feedback"

    @property
    def reports(self):
        return self.root / REPORTS_DIRECTORY

    # -- what is in it ---------------------------------------------------------------
    def assignments(self):
        """Names of the assignments in ``solutions/``, sorted."""
        return _workflow.list_assignments(self.root)

    def check_assignment(self, name):
        """Raise ``ValueError`` naming the known assignments when ``name`` is not one."""
        _workflow._check_assignment(name, self.root)

    def students(self, assignment, folder="submitted"):
        """The students with a folder ``FOLDER/STUDENT/ASSIGNMENT``, sorted."""
        base = self.root / folder
        return sorted(p.parent.name for p in base.glob(f"*/{assignment}") if p.is_dir())

    def nbgrader(self, args, *, check=True, capture=True):
        """Run ``nbgrader ARGS`` on this course and its gradebook."""
        return _workflow.nbgrader_command(
            args, course_dir=self.root, db_url=self.db_url, check=check, capture=capture
        )
