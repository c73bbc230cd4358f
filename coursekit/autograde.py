"""Parallel, isolated autograding on top of nbgrader.

``coursekit autograde ASSIGNMENT --jobs N`` grades every submission in
``submitted/*/ASSIGNMENT`` in N worker processes. Each submission is graded by nbgrader's own
``Autograde`` converter, in a scratch course folder of its own with a one-submission copy of
the gradebook, so that workers never share a database; the parent then merges the result
into the course gradebook in one transaction per submission. What that adds to nbgrader:

- a wall-clock limit and a memory limit per submission: a submission that hangs, crashes the
  kernel or exhausts memory is recorded with its reason, gets zero and is flagged for manual
  review, and the batch goes on;
- the kernel runs under a guard (:mod:`coursekit.sandbox`) that undoes what student code did
  to NumPy, the grading helpers, builtins or IPython before each test, voids a test during
  which such changes happened, and refuses to open hidden tests and gradebooks; as root it
  also runs as an unprivileged user of its own;
- a static review of the submission (:mod:`coursekit.review`) flags suspicious code;
- idempotence: grading again replaces a submission's automatic scores, never duplicates them,
  and keeps manual scores and comments;
- a report per submission in ``autograde_reports/ASSIGNMENT/STUDENT.json``.

The instructor guide (book, "Grading") describes the workflow and the limits.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import json
import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import sandbox

# GuardedExecute and SandboxKernelManager are loaded on first use (they import nbgrader).
__all__ = [
    "SubmissionResult",
    "autograde",
    "collect",
    "bound_names",
    "read_reports",
]

DEFAULT_TIMEOUT = 900  # seconds per submission (wall clock)
DEFAULT_MEMORY = 4 * 1024**3  # bytes per submission (worker and kernel together)
REPORTS_DIRECTORY = "autograde_reports"
_SANDBOX_UID_BASE = 64100  # worker k runs its kernel as uid 64100 + k (no login, no files)
# Libraries the tests take references from: imported before any cell, then protected.
_REFERENCE_ROOTS = frozenset(
    {"numpy", "scipy", "sklearn", "skimage", "keras", "tensorflow", "coursekit", "math"}
)
# Libraries imported before any cell (so their import-time changes are in the snapshot) but
# not protected, because they legitimately change their own state (plot backends).
_PRELOAD_ROOTS = frozenset({"matplotlib", "PIL", "pandas", "ipywidgets"})


# ---------------------------------------------------------------------------------------
# Static look at cells: which names a cell binds, which library objects it uses
# ---------------------------------------------------------------------------------------


def _python_source(source):
    """Cell source as plain Python (IPython magics transformed), or None if it does not parse."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001  (IPython missing or odd input: parse as is)
        pass
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def bound_names(source):
    """Names a cell binds at the top level of the notebook namespace.

    Parameters
    ----------
    source : str
        The source of a code cell (IPython magics allowed).

    Returns
    -------
    list of str
        Sorted names assigned, imported or defined outside function and class bodies.

    Examples
    --------
    >>> bound_names("import numpy as np\\nx, (y, z) = 1, (2, 3)\\ndef f(a):\\n    b = a")
    ['f', 'np', 'x', 'y', 'z']
    """
    tree = _python_source(source)
    if tree is None:
        return []
    names = set()

    def targets(node):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                targets(element)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    def visit(node):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            return
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.Assign):
            for target in node.targets:
                targets(target)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets(node.target)
        elif isinstance(node, ast.For | ast.AsyncFor):
            targets(node.target)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            targets(node.optional_vars)
        elif isinstance(node, ast.NamedExpr):
            targets(node.target)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    names.add(alias.asname or alias.name.partition(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return sorted(names)


def _library_references(sources):
    """Modules to import early and dotted names to protect, from the locked cells' sources.

    Returns
    -------
    preload : list of str
        Modules the cells import (reference libraries and a few others).
    protect : list of str
        Modules of the reference libraries the cells import.
    objects : list of str
        Dotted names such as ``sklearn.cluster.KMeans`` the cells use.
    prepare : list of str
        Functions to call before any cell (``coursekit.device.quiet_tensorflow``).
    """
    preload, protect, objects, prepare = set(), set(), set(), set()
    for source in sources:
        tree = _python_source(source)
        if tree is None:
            continue
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.partition(".")[0]] = (
                        alias.name if alias.asname else alias.name.partition(".")[0]
                    )
                    preload.add(alias.name)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                preload.add(node.module)
                for alias in node.names:
                    if alias.name != "*":
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                        objects.add(f"{node.module}.{alias.name}")
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                function = node.value.func
                if isinstance(function, ast.Attribute) and function.attr == "quiet_tensorflow":
                    prepare.add("coursekit.device.quiet_tensorflow")
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            aliases[target.id] = "keras"
        for node in ast.walk(tree):
            chain = []
            while isinstance(node, ast.Attribute):
                chain.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name) and node.id in aliases and chain:
                objects.add(".".join([aliases[node.id], *reversed(chain)]))
        if any(name.partition(".")[0] in ("keras", "tensorflow") for name in preload):
            prepare.add("coursekit.device.quiet_tensorflow")
    keep = _REFERENCE_ROOTS | _PRELOAD_ROOTS
    preload = {name for name in preload if name.partition(".")[0] in keep}
    protect = {name for name in preload if name.partition(".")[0] in _REFERENCE_ROOTS}
    objects = {name for name in objects if name.partition(".")[0] in _REFERENCE_ROOTS}
    if "coursekit.device.quiet_tensorflow" in prepare:
        protect.add("keras")
    return sorted(preload), sorted(protect), sorted(objects), sorted(prepare)


def _nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_graded(cell):
    meta = _nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and "grade_id" in meta


def _is_locked(cell):
    """A locked cell whose source nbgrader restored (sanitising drops unknown grade ids)."""
    meta = _nbgrader_meta(cell)
    return (
        cell.get("cell_type") == "code"
        and "grade_id" in meta
        and not meta.get("solution")
        and (bool(meta.get("locked")) or bool(meta.get("grade")))
    )


def _stdlib_roots():
    import sysconfig

    paths = sysconfig.get_paths()
    return sorted({paths[key] for key in ("stdlib", "platstdlib") if key in paths})


def _trusted_roots():
    import sysconfig

    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    roots.add(str(Path(__file__).resolve().parent))
    # site folders added by .pth files or PYTHONPATH (never the course or submission folders)
    roots |= {
        entry
        for entry in sys.path
        if os.path.isabs(entry) and Path(entry).name in ("site-packages", "dist-packages")
    }
    return sorted(roots)


# ---------------------------------------------------------------------------------------
# nbgrader integration: the kernel manager and the guarded Execute preprocessor
# ---------------------------------------------------------------------------------------

_LAUNCH_ENV = "COURSEKIT_SANDBOX_LAUNCH"  # JSON set by the worker: uid, home, env, limits
_GUARD_ENV = "COURSEKIT_GUARD"  # JSON set by the worker: extra deny/allow paths, report file


def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class SandboxKernelManagerImpl(AsyncKernelManager):
        """Starts the kernel through the sandbox launcher when the worker asks for it."""

        def format_kernel_cmd(self, extra_arguments=None):
            command = super().format_kernel_cmd(extra_arguments=extra_arguments)
            settings = os.environ.get(_LAUNCH_ENV)
            if not settings:
                return command
            settings = json.loads(settings)
            launcher = [sys.executable, "-I", sandbox.__file__, "launch"]
            launcher += ["--uid", str(settings.get("uid") or "none")]
            launcher += ["--home", settings.get("home", "")]
            for key, value in settings.get("env", {}).items():
                launcher += ["--env", f"{key}={value}"]
            for key, value in settings.get("limits", {}).items():
                launcher += ["--limit", f"{key}={value}"]
            return [*launcher, "--", *command]

    return SandboxKernelManagerImpl


def __getattr__(name):  # lazy: importing coursekit.autograde must not import nbgrader
    if name == "SandboxKernelManager":
        return _kernel_manager_class()
    if name == "GuardedExecute":
        return _guarded_execute_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_GUARDED_EXECUTE = None


def _guarded_execute_class():  # noqa: C901  (the class body)
    global _GUARDED_EXECUTE
    if _GUARDED_EXECUTE is not None:
        return _GUARDED_EXECUTE
    from nbclient.util import ensure_async, run_sync
    from nbformat import NotebookNode
    from nbgrader.preprocessors import Execute
    from traitlets import Bool, Integer

    class GuardedExecute(Execute):
        """nbgrader's Execute with the coursekit guard around every test cell.

        Before the first cell it installs :func:`coursekit.sandbox.install_guard` in the
        kernel. Before each graded (test) cell the guard restores what student code changed
        in the grading environment; after it, anything changed during the test voids that
        test (an error output, so nbgrader gives it zero). A kernel that stops answering the
        guard (its replies are authenticated) fails every remaining test. A test cell's
        ``execute_result`` becomes plain display output: no partial credit can come from a
        value student code returns. What happened is logged and, under ``coursekit
        autograde``, written to the submission's report.
        """

        guard = Bool(True, help="Run test cells under the coursekit guard.").tag(config=True)
        install_timeout = Integer(
            600, help="Seconds to install the guard (it imports the libraries the tests use)."
        ).tag(config=True)
        guard_timeout = Integer(60, help="Seconds for one guard check.").tag(config=True)

        def __init__(self, **kwargs):
            kwargs.setdefault("kernel_manager_class", _kernel_manager_class())
            super().__init__(**kwargs)

        # -- guard protocol ------------------------------------------------------------
        async def _async_wait(self, msg_id, timeout):
            """The kernel's reply to ``msg_id``, or None after ``timeout`` seconds."""
            from queue import Empty

            deadline = time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                try:
                    message = await ensure_async(
                        self.kc.shell_channel.get_msg(timeout=min(remaining, 1.0))
                    )
                except Empty:
                    if not await ensure_async(self.kc.is_alive()):
                        return None
                    continue
                if message.get("parent_header", {}).get("msg_id") == msg_id:
                    return message

        _wait = run_sync(_async_wait)

        def _guard_send(self, command, payload=None):
            self._guard_counter += 1
            counter = self._guard_counter
            expression = sandbox.guard_expression(self._guard_secret, counter, command, payload)
            started = time.perf_counter()
            msg_id = self.kc.execute(
                "pass",
                silent=True,
                store_history=False,
                user_expressions={"r": expression},
                allow_stdin=False,
                stop_on_error=False,
            )
            reply = self._wait(msg_id, self.guard_timeout)
            self._guard_seconds += time.perf_counter() - started
            if reply is None:
                return None
            result = reply.get("content", {}).get("user_expressions", {}).get("r", {})
            return sandbox.parse_guard_reply(self._guard_secret, counter, result.get("evalue"))

        def _guard_config(self, nb):
            locked = [cell.source for cell in nb.cells if _is_locked(cell)]
            preload, protect, objects, prepare = _library_references(locked)
            root = Path.cwd()
            coursedir = self.config.get("CourseDirectory", {})
            deny = [
                root / str(coursedir.get("source_directory", "source")),
                root / str(coursedir.get("submitted_directory", "submitted")),
                root / str(coursedir.get("autograded_directory", "autograded")),
                root / str(coursedir.get("feedback_directory", "feedback")),
                root / REPORTS_DIRECTORY,
                root / "gradebook.db",
                root / "nbgrader_config.py",
                root / ".git",
            ]
            extra = json.loads(os.environ.get(_GUARD_ENV) or "{}")
            deny += [Path(p) for p in extra.get("deny", [])]
            allow = [Path(p) for p in extra.get("allow", [])]
            allow.append(Path(self.resources.get("metadata", {}).get("path") or root))
            return {
                "prepare": prepare,
                "modules": sorted(set(preload) | set(protect)),
                "protect": protect,
                "objects": objects,
                "deny": [str(p) for p in deny],
                "allow": [str(p) for p in allow],
                "trusted": _trusted_roots(),
                "stdlib": _stdlib_roots(),
            }

        def _install_guard(self, nb):
            self._guard_secret = secrets.token_bytes(32)
            self._guard_counter = 0
            config = self._guard_config(nb)
            source = (
                "import os, sys\n"  # loaded at start-up; coursekit is not: drop the cwd first
                "sys.path[:] = [p for p in sys.path if p not in ('', '.') and "
                "os.path.abspath(p) != os.getcwd()]\n"
                "import coursekit.sandbox as _coursekit_sandbox\n"
                f"_coursekit_sandbox.install_guard({self._guard_secret.hex()!r}, {config!r})\n"
                "del _coursekit_sandbox\n"
            )
            started = time.perf_counter()
            msg_id = self.kc.execute(source, silent=True, store_history=False, allow_stdin=False)
            reply = self._wait(msg_id, self.install_timeout)
            self._guard_report["install_seconds"] = round(time.perf_counter() - started, 3)
            content = (reply or {}).get("content", {})
            answer = self._guard_send("check") if content.get("status") == "ok" else None
            if answer is None:
                # No student code has run yet, so this is the grader's problem, not the
                # student's: fail the notebook (nbgrader records an error) instead of zeroing.
                why = content.get("evalue") or "no reply in time"
                raise RuntimeError(f"coursekit: the grading guard could not start ({why})")
            self._record("install", answer)

        def _record(self, where, answer):
            report = self._guard_report
            for kind in ("changes", "blocked", "events", "hard"):
                for item in answer.get(kind, []):
                    report[kind].append(f"{where}: {item}")
            if answer.get("protected"):
                report["protected"] = answer["protected"]
            if answer.get("hard"):
                self._fail_all(f"tampering with the grading guard ({answer['hard'][0]})")

        def _fail_all(self, reason):
            if self._compromised is None:
                self._compromised = reason
                self._guard_report["compromised"] = reason
                self.log.warning("coursekit guard: %s; the remaining tests get no points", reason)

        def _void(self, cell, reason):
            grade_id = _nbgrader_meta(cell).get("grade_id", "?")
            message = (
                f"This test was not counted: {reason}. The grading environment must stay as "
                "the notebook received it; your instructor will review this submission."
            )
            cell.outputs.append(
                NotebookNode(
                    output_type="error",
                    ename="GradingIntegrityError",
                    evalue=message,
                    traceback=[f"GradingIntegrityError: {message}"],
                )
            )
            self._guard_report["voided"][grade_id] = reason

        # -- execution -----------------------------------------------------------------
        def preprocess(self, nb, resources=None, km=None):
            if not self.guard:
                return super().preprocess(nb, resources, km)
            from nbclient.client import NotebookClient

            NotebookClient.__init__(self, nb, km)
            self.reset_execution_trackers()
            self._check_assign_resources(resources)
            self._guard_report = {
                "changes": [],
                "blocked": [],
                "events": [],
                "hard": [],
                "voided": {},
                "compromised": None,
                "protected": None,
            }
            self._guard_seconds = 0.0
            self._compromised = None
            started = time.perf_counter()
            with self.setup_kernel():
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                self._install_guard(self.nb)
                for index, cell in enumerate(self.nb.cells):
                    self._run_cell(cell, resources, index)
                if self._compromised is None:
                    answer = self._guard_send("check")
                    if answer is not None:
                        self._record("end", answer)
            self.set_widgets_metadata()
            self._guard_report["execute_seconds"] = round(time.perf_counter() - started, 3)
            self._guard_report["guard_seconds"] = round(self._guard_seconds, 3)
            self._write_report()
            return self.nb, self.resources

        def _run_cell(self, cell, resources, index):
            """Run one cell, then let the guard check (and undo) what it changed.

            The check after every code cell means that every cell, test or not, starts from
            the protected state; a test cell during which something changed is voided.
            """
            if cell.cell_type != "code" or not cell.source.strip():
                return  # (nbclient does not run empty cells either)
            graded = _is_graded(cell)
            if self._compromised is not None:
                cell.outputs = []
                if graded:
                    self._void(cell, self._compromised)
                return
            label = _nbgrader_meta(cell).get("grade_id") or f"cell {index}"
            self.preprocess_cell(cell, resources, index)
            if graded:
                for output in cell.outputs:
                    if output.get("output_type") == "execute_result":
                        output["output_type"] = "display_data"  # no partial credit
                        output.pop("execution_count", None)
                    elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                        output["name"] = "stdout"  # warnings and prints cost no points
            locked = graded or _is_locked(cell)
            request = {"names": bound_names(cell.source) if locked else [], "add": not graded}
            answer = self._guard_send("bind", request)
            if answer is None:
                self._fail_all("the kernel stopped answering the grading guard")
                if graded:
                    self._void(cell, self._compromised)
                return
            self._record(f"{'during' if graded else 'after'} {label}", answer)
            if graded and (answer.get("changes") or answer.get("hard")):
                changed = (answer.get("changes") or answer.get("hard"))[0]
                self._void(cell, f"the grading environment changed while it ran ({changed})")

        def _write_report(self):
            report = self._guard_report
            path = json.loads(os.environ.get(_GUARD_ENV) or "{}").get("report")
            notebook = self.resources.get("nbgrader", {}).get("notebook", "notebook")
            if path:
                target = Path(path) / f"{notebook}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(report, indent=1))
            noteworthy = report["changes"] or report["blocked"] or report["voided"]
            if noteworthy or report["compromised"] or report["hard"]:
                self.log.warning("coursekit guard report for %s: %s", notebook, report)

    _GUARDED_EXECUTE = GuardedExecute
    return GuardedExecute


# ---------------------------------------------------------------------------------------
# Results and reports
# ---------------------------------------------------------------------------------------


@dataclass
class SubmissionResult:
    """The outcome of grading one submission.

    ``status`` is ``"graded"`` (nbgrader graded every notebook), ``"error"`` (nbgrader failed
    on the submission, e.g. a notebook that is not valid JSON), ``"kernel-died"``,
    ``"timeout"`` or ``"memory"``; ``reason`` says what happened in words. ``seconds`` is the
    wall-clock time of the whole submission, ``execute_seconds`` the part spent executing the
    notebook (kernel start included), ``guard_seconds`` the part of that spent in the guard's
    checks around test cells (installing it loads the libraries the notebook's setup cell
    would load anyway, and counts as execution). ``flags`` are
    findings for the instructor's review (static review, guard reports); a flagged
    submission is marked ``flagged`` in the gradebook.

    Examples
    --------
    >>> result = SubmissionResult("ada", "a01_perceptron", "timeout", 0.0, 36.0)
    >>> result.flagged
    True
    """

    student: str
    assignment: str
    status: str
    score: float
    max_score: float
    reason: str = ""
    flags: list = field(default_factory=list)
    seconds: float = 0.0
    execute_seconds: float = 0.0
    guard_seconds: float = 0.0
    late_penalty: float = 0.0
    tests: dict = field(default_factory=dict)

    @property
    def flagged(self):
        """Whether the instructor should look at this submission."""
        return bool(self.flags) or self.status != "graded"


def _reports_dir(course, assignment):
    return Path(course) / REPORTS_DIRECTORY / assignment


def read_reports(assignment, *, course_dir=None):
    """The reports of the last ``coursekit autograde`` run of each student, by student id.

    Parameters
    ----------
    assignment : str
        The assignment name.
    course_dir : path-like, optional
        The course directory (default: the repository root).

    Returns
    -------
    dict of str to SubmissionResult

    Examples
    --------
    >>> read_reports("no_such_assignment")
    {}
    """
    from .course import _course_dir

    folder = _reports_dir(_course_dir(course_dir), assignment)
    results = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text())
        results[data["student"]] = SubmissionResult(**data)
    return results


# ---------------------------------------------------------------------------------------
# The gradebook: a one-assignment template per batch, a merge per submission
# ---------------------------------------------------------------------------------------


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


def _make_template(main_url, course_id, assignment, path):
    """A fresh SQLite gradebook holding only ``assignment``'s definition, copied from the main one."""
    from nbgrader.api import Gradebook

    _ensure_alembic()
    with Gradebook(main_url, course_id) as main:
        source = main.find_assignment(assignment)
        definition = {
            "duedate": source.duedate,
            "notebooks": [
                {
                    "name": notebook.name,
                    "kernelspec": notebook.kernelspec,
                    "grade_cells": [
                        (c.name, {"max_score": c.max_score, "cell_type": c.cell_type})
                        for c in notebook.grade_cells
                    ],
                    "solution_cells": [c.name for c in notebook.solution_cells],
                    "task_cells": [
                        (c.name, {"max_score": c.max_score, "cell_type": c.cell_type})
                        for c in notebook.task_cells
                    ],
                    "source_cells": [
                        (
                            c.name,
                            {
                                "cell_type": c.cell_type,
                                "locked": c.locked,
                                "source": c.source,
                                "checksum": c.checksum,
                            },
                        )
                        for c in notebook.source_cells
                    ],
                }
                for notebook in source.notebooks
            ],
        }
    _empty_sqlite_gradebook(path)
    with Gradebook(f"sqlite:///{path}", course_id) as template:
        template.update_or_create_assignment(assignment, duedate=definition["duedate"])
        for notebook in definition["notebooks"]:
            name = notebook["name"]
            template.update_or_create_notebook(name, assignment, kernelspec=notebook["kernelspec"])
            for cell, values in notebook["grade_cells"]:
                template.update_or_create_grade_cell(cell, name, assignment, **values)
            for cell in notebook["solution_cells"]:
                template.update_or_create_solution_cell(cell, name, assignment)
            for cell, values in notebook["task_cells"]:
                template.update_or_create_task_cell(cell, name, assignment, **values)
            for cell, values in notebook["source_cells"]:
                template.update_or_create_source_cell(cell, name, assignment, **values)


def _ensure_registered(assignment, course, main_url, course_id):
    """Register ``assignment`` in the main gradebook (generate it into a temporary folder)."""
    from nbgrader.api import Gradebook, MissingEntry

    from .course import release

    _ensure_alembic()
    with Gradebook(main_url, course_id) as gradebook:
        try:
            gradebook.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    with tempfile.TemporaryDirectory() as scratch:
        release(assignment, course_dir=course, release_dir=scratch, db_url=main_url)


def _read_scratch(path, assignment, student):
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


def _source_cells(main_url, course_id, assignment):
    """``{notebook: {grade_id: {source, checksum, locked, graded, cell_type}}}`` of the release."""
    from nbgrader.api import Gradebook

    cells = {}
    with Gradebook(main_url, course_id) as gradebook:
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


def _extensions(main_url, course_id, assignment):
    """``{student: timedelta}`` of the deadline extensions granted for ``assignment``."""
    from nbgrader.api import Gradebook

    with Gradebook(main_url, course_id) as gradebook:
        submissions = gradebook.find_assignment(assignment).submissions
        return {s.student_id: s.extension for s in submissions if s.extension is not None}


def _merge(main_url, course_id, assignment, student, scratch, *, review, failed=False):
    """Write one submission's automatic results into the main gradebook, in one transaction.

    ``scratch`` is what :func:`_read_scratch` returned (None when nbgrader recorded nothing).
    Automatic scores and comments are replaced; manual scores, manual comments, extra credit
    and extensions are kept. Missing automatic scores become 0. ``review`` marks the
    submission's notebooks as flagged; ``failed`` (the submission could not be graded) also
    marks its grades as needing manual grading, so the formgrader lists them.
    """
    from nbgrader.api import (
        Comment,
        Grade,
        Gradebook,
        MissingEntry,
        Student,
        SubmittedAssignment,
        SubmittedNotebook,
    )
    from sqlalchemy.exc import OperationalError

    for attempt in range(20):
        try:
            with Gradebook(main_url, course_id) as gradebook:
                session = gradebook.db
                try:
                    if session.get(Student, student) is None:
                        session.add(Student(id=student))
                        session.flush()
                    definition = gradebook.find_assignment(assignment)
                    try:
                        submission = gradebook.find_submission(assignment, student)
                    except MissingEntry:
                        submission = SubmittedAssignment(
                            assignment=definition, student=session.get(Student, student)
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
                        session.add(submission)
                        session.flush()
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
                    session.commit()
                except Exception:
                    session.rollback()
                    raise
            return
        except OperationalError as error:  # SQLite busy (the formgrader is writing)
            if "locked" not in str(error) or attempt == 19:
                raise
            time.sleep(0.25 * (attempt + 1))


def _scores(main_url, course_id, assignment, student):
    """(score, max_score, late penalty, {test: (score, max)}) of a submission."""
    from nbgrader.api import Gradebook

    with Gradebook(main_url, course_id) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        tests = {}
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                tests[grade.name] = [float(grade.score), float(grade.max_score)]
        penalty = float(submission.late_submission_penalty or 0.0)
        return float(submission.score), float(submission.max_score), penalty, tests


# ---------------------------------------------------------------------------------------
# Isolation set-up (per batch) and the worker (per submission)
# ---------------------------------------------------------------------------------------


def _world_accessible(path):
    """Whether every folder on the way to ``path`` is world-executable and it is world-readable."""
    path = Path(path).resolve()
    try:
        for parent in reversed(path.parents):
            if not parent.stat().st_mode & stat.S_IXOTH:
                return False
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def _probe_isolation(batch_dir, uid):
    """Can a kernel run as ``uid``? Returns (True, "") or (False, why not)."""
    if os.name != "posix" or os.geteuid() != 0:
        return False, "coursekit autograde is not running as root, so kernels run as the grader"
    for path in (sys.executable, sandbox.__file__, os.path.realpath(sys.executable)):
        if not _world_accessible(path):
            return False, (
                f"{path} is not readable by other users, so an unprivileged kernel cannot start "
                "(install Python and the course environment outside a private home folder)"
            )
    home = Path(batch_dir) / "probe"
    home.mkdir()
    os.chown(home, uid, uid)
    command = [sys.executable, "-I", sandbox.__file__, "launch", "--uid", str(uid)]
    command += ["--home", str(home), "--env", f"HOME={home}", "--"]
    command += [sys.executable, "-c", "import ipykernel, numpy, coursekit.sandbox"]
    done = subprocess.run(command, cwd=home, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        return False, f"an unprivileged kernel could not start: {reason}"
    return True, ""


def _isolation(batch_dir, jobs):
    """``{"uid": first user id or None, "reason": why not isolated}`` for a batch of ``jobs``."""
    base = None
    try:
        base = _free_uid(0)
        for slot in range(jobs):
            _free_uid(slot)
        ok, reason = _probe_isolation(batch_dir, base)
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        ok, reason = False, str(error)
    return {"uid": base if ok else None, "reason": reason}


def _free_uid(slot):
    """A user id for worker ``slot``: no account, no running process."""
    import pwd

    base = int(os.environ.get("COURSEKIT_SANDBOX_UID_BASE", _SANDBOX_UID_BASE))
    uid = base + slot
    with contextlib.suppress(KeyError):
        pwd.getpwuid(uid)
        raise RuntimeError(
            f"user id {uid} belongs to an account; set COURSEKIT_SANDBOX_UID_BASE to a free "
            "range for coursekit's grading kernels"
        )
    return uid


def _shared_data(batch_dir):
    """Environment that lets an unprivileged kernel find the course data (copied if private)."""
    env = {}
    try:
        from . import data

        folder = data.fashion_mnist_dir()
    except Exception:  # noqa: BLE001  (no Fashion-MNIST: assignments that need it will say so)
        return env
    if not _world_accessible(folder):
        copy = Path(batch_dir) / "data" / "fashion-mnist"
        shutil.copytree(folder, copy)
        for path in [copy.parent, copy, *copy.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        folder = copy
    env["COURSEKIT_DATA"] = str(folder)
    return env


@dataclass
class _Job:
    student: str
    slot: int = -1
    pid: int = 0
    scratch: Path = None
    started: float = 0.0
    ended: float = 0.0
    attempt: int = 1
    marker: str = ""
    killed: str = ""
    peak_rss: int = 0
    repairs: list = field(default_factory=list)


def _prepare_scratch(job, course, assignment, template, isolation, batch_dir):
    """Lay out a one-submission course folder for ``job`` (see the module docstring)."""
    scratch = Path(batch_dir) / f"s{job.slot}-{secrets.token_hex(4)}"
    scratch.mkdir(mode=0o711)
    shutil.copy(course / "nbgrader_config.py", scratch / "nbgrader_config.py")
    shutil.copy(template, scratch / "gradebook.db")
    source = course / "solutions" / assignment
    shutil.copytree(source, scratch / "solutions" / assignment, ignore=_ignore_checkpoints)
    submitted = scratch / "submitted" / job.student / assignment
    shutil.copytree(course / "submitted" / job.student / assignment, submitted)
    home = scratch / "home"
    home.mkdir(mode=0o700)
    (home / "tmp").mkdir(mode=0o700)
    for folder in ("solutions", "submitted"):
        (scratch / folder).chmod(0o700)
    (scratch / "gradebook.db").chmod(0o600)
    (scratch / "nbgrader_config.py").chmod(0o600)
    (scratch / "autograded" / job.student).mkdir(parents=True, mode=0o711)
    (scratch / "autograded").chmod(0o711)
    if isolation["uid"] is not None:
        uid = isolation["uid"] + job.slot
        for path in (home, home / "tmp"):
            os.chown(path, uid, uid)
        mpl = Path(batch_dir) / "mplconfig"
        if mpl.is_dir():
            shutil.copytree(mpl, home / ".mplconfig")
            for path in [home / ".mplconfig", *(home / ".mplconfig").rglob("*")]:
                os.chown(path, uid, uid)
    job.scratch = scratch
    return scratch


def _repair_submission(folder, source_folder, source_cells):
    """Give a submission back the cells and cell metadata of the release; return what changed.

    nbgrader restores the source of a locked cell, but it fails the whole submission when a
    student changed a test cell's ``grade`` or ``solution`` flag ("Inconsistent checksums"),
    duplicated a cell, or deleted a test cell that follows a locked cell that is not a test
    (``KeyError`` in ``add_missing_*_cells``). So before nbgrader sees the notebook: only the
    last copy of a duplicated cell keeps its metadata (as nbgrader's ``DeduplicateIds`` would
    decide), every cell whose grade
    id the assignment knows gets its released metadata back; a cell that claims a grade id the
    assignment does not have loses its nbgrader metadata (it becomes an ordinary cell); and
    every test cell and locked cell the student deleted is put back after the nearest cell
    that precedes it in the instructor's notebook (nbgrader then restores its source).
    """
    import nbformat

    changed = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        known = source_cells.get(path.stem)
        source_path = Path(source_folder) / path.name
        if not known or not source_path.is_file():
            continue
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001, S112  (nbgrader reports an unreadable notebook)
            continue
        source = nbformat.read(source_path, as_version=4)
        dirty = False
        seen = set()
        for cell in reversed(notebook.cells):  # like nbgrader, the last copy of a cell counts
            name = _nbgrader_meta(cell).get("grade_id")
            if name is not None and name in seen:
                del cell.metadata["nbgrader"]  # (nbgrader's DeduplicateIds leaves {}: a crash)
                changed.append(
                    f"{path.name}: cell {name!r} appears more than once; the last copy is graded"
                )
                dirty = True
            elif name is not None:
                seen.add(name)
        for cell in notebook.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if not isinstance(meta, dict) or "grade_id" not in meta:
                continue
            name = meta["grade_id"]
            if name not in known:
                del cell.metadata["nbgrader"]
                changed.append(f"{path.name}: cell {name!r} had made-up nbgrader metadata")
                dirty = True
                continue
            released = known[name]
            wanted = {
                "grade": released["graded"],
                "solution": released["solution"],
                "locked": released["locked"],
            }
            if released["graded"]:
                wanted["points"] = released["points"]
            if released["task"]:
                wanted["task"] = True
            different = [key for key, value in wanted.items() if meta.get(key) != value]
            if different:
                meta.update(wanted)
                changed.append(
                    f"{path.name}: cell {name!r}: its nbgrader metadata ({', '.join(different)}) "
                    "was changed; the released values were put back"
                )
                dirty = True
        present = {_nbgrader_meta(cell).get("grade_id") for cell in notebook.cells} - {None}
        previous = None  # grade id of the last instructor cell found in the submission
        for cell in source.cells:
            name = _nbgrader_meta(cell).get("grade_id")
            if name is None or name not in known:
                continue
            if name not in present and (known[name]["graded"] or known[name]["locked"]):
                if known[name]["solution"]:
                    continue
                index = 0
                if previous is not None:
                    index = 1 + max(
                        i
                        for i, c in enumerate(notebook.cells)
                        if _nbgrader_meta(c).get("grade_id") == previous
                    )
                restored = nbformat.from_dict(json.loads(json.dumps(cell)))
                restored.outputs, restored.execution_count = [], None
                restored["id"] = secrets.token_hex(4)
                notebook.cells.insert(index, restored)
                present.add(name)
                what = "test" if known[name]["graded"] else "locked"
                changed.append(f"{path.name}: the {what} cell {name!r} was deleted; put back")
                dirty = True
            if name in present:
                previous = name
        if dirty:
            nbformat.write(notebook, path)
    return changed


def _grant_extension(job, assignment, course_id, extension):
    """Copy a deadline extension into the scratch gradebook (nbgrader's late penalty uses it)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{job.scratch / 'gradebook.db'}", course_id) as gradebook:
        gradebook.update_or_create_student(job.student)
        gradebook.update_or_create_submission(assignment, job.student, extension=extension)


def _ignore_checkpoints(folder, names):
    return [name for name in names if name in (".ipynb_checkpoints", "__pycache__")]


def _worker_main(job, assignment, settings):
    """Body of the forked worker: grade one submission with nbgrader in its scratch folder."""
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the batch's handlers
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setsid()
        scratch = job.scratch
        log = os.open(scratch / "nbgrader.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(scratch)
        env = dict(settings["env"])
        env["COURSEKIT_SANDBOX"] = job.marker
        os.environ.update(env)
        kernel_home = scratch / "home"
        uid = settings["uid"] + job.slot if settings["uid"] is not None else None
        kernel_env = {
            "COURSEKIT_SANDBOX": job.marker,
            "TMPDIR": str(kernel_home / "tmp"),
        }
        if uid is not None:
            kernel_env.update(
                {
                    "HOME": str(kernel_home),
                    "USER": f"grader{job.slot}",
                    "LOGNAME": f"grader{job.slot}",
                    "IPYTHONDIR": str(kernel_home / ".ipython"),
                    "JUPYTER_CONFIG_DIR": str(kernel_home / ".jupyter"),
                    "JUPYTER_DATA_DIR": str(kernel_home / ".local" / "share" / "jupyter"),
                    "MPLCONFIGDIR": str(kernel_home / ".mplconfig"),
                    "KERAS_HOME": str(kernel_home / ".keras"),
                    **settings["kernel_env"],
                }
            )
        launch = {
            "uid": uid,
            "home": str(kernel_home),
            "env": kernel_env,
            "limits": {"core": 0, "fsize": 4 * 1024**3, **({"nproc": 4096} if uid else {})},
        }
        os.environ[_LAUNCH_ENV] = json.dumps(launch)
        os.environ[_GUARD_ENV] = json.dumps(
            {
                "deny": settings["deny"] + [str(scratch)],
                "allow": [str(scratch / "autograded" / job.student), str(kernel_home)],
                "report": str(scratch / "guard"),
            }
        )
        from nbgrader.apps.autogradeapp import AutogradeApp

        argv = [
            assignment,
            f"--student={job.student}",
            "--create",
            "--force",
            f"--CourseDirectory.root={scratch}",
            f"--CourseDirectory.db_url=sqlite:///{scratch / 'gradebook.db'}",
        ]
        if settings.get("cell_timeout"):
            argv.append(f"--Execute.timeout={int(settings['cell_timeout'])}")
        app = AutogradeApp()
        app.initialize(argv)
        app.start()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:  # noqa: BLE001  (report and exit; never return into the parent's code)
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _kernel_did_not_start(job, exit_code):
    """Whether grading failed because the kernel never started, before any cell ran.

    Two kernels starting at the same moment can pick the same free TCP port (jupyter_client
    chooses ports before the kernel binds them); the loser never answers, and nbgrader gives
    up after a minute. That is the machine's fault, not the student's: the submission is
    graded once more.
    """
    if job.killed or exit_code == 0 or job.scratch is None:
        return False
    try:
        log_text = (job.scratch / "nbgrader.log").read_text(errors="replace")
    except OSError:
        return False
    return "Error occurred while starting new kernel client" in log_text


def _classify_failure(log_text, exit_code):
    """(status, reason) for a worker that exited non-zero, from nbgrader's log."""
    lines = log_text.splitlines()
    if "Kernel died" in log_text or "DeadKernelError" in log_text:
        return "kernel-died", "the kernel died (the student's code exited or crashed the kernel)"
    if (
        "UnresponsiveKernelError" in log_text
        or "the kernel became unresponsive" in log_text
        or "Timeout waiting for IOPub output" in log_text
        or "CellTimeoutError" in log_text
    ):
        return "timeout", (
            "timeout: a cell ran past the cell time limit and the kernel did not respond to "
            "the interrupt"
        )
    if "the grading guard could not start" in log_text:
        line = next(x for x in lines if "the grading guard could not start" in x)
        return "error", line.strip()[-300:]
    for marker, reason in (
        ("NotJSONError", "a notebook is not valid JSON"),
        ("Notebook does not appear to be JSON", "a notebook is not valid JSON"),
        ("JSONDecodeError", "a notebook is not valid JSON"),
        ("failed to validate", "a notebook's nbgrader metadata is corrupted"),
        ("No notebooks found", "no notebook of the assignment was submitted"),
    ):
        if marker in log_text:
            return "error", reason
    errors = [line for line in lines if "ERROR" in line or "Error" in line]
    detail = errors[-1].strip() if errors else f"nbgrader exited with code {exit_code}"
    return "error", f"nbgrader could not grade the submission: {detail[-300:]}"


def _run_batch(options):  # noqa: C901  (the supervision loop)
    """Grade submissions in parallel; called in a fresh, single-threaded process."""
    import psutil
    from nbgrader.apps.autogradeapp import AutogradeApp  # noqa: F401  (import before forking)

    from . import review
    from .course import GRADING_ENV, _course_dir, _course_id, _default_db_url

    course = _course_dir(options["course_dir"])
    assignment = options["assignment"]
    main_url = options.get("db_url") or _default_db_url(course)
    course_id = _course_id(course)
    jobs = max(1, int(options.get("jobs") or os.cpu_count() or 1))
    timeout = float(options.get("timeout") or DEFAULT_TIMEOUT)
    memory = int(options.get("memory") or DEFAULT_MEMORY)
    students = options["students"]
    progress = options.get("progress_file")
    _ensure_alembic()
    _ensure_registered(assignment, course, main_url, course_id)

    batch_dir = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))
    batch_dir.chmod(0o711)
    try:
        isolation = {"uid": None, "reason": "isolation was turned off (--no-isolation)"}
        # The isolation probe and matplotlib's font cache (which only isolated kernels, with
        # no home of their own, need) are subprocesses: they run on threads while this
        # process copies the assignment into the template gradebook (the threads are done
        # before the first worker is forked).
        may_isolate = options.get("isolate", True) and os.name == "posix" and os.geteuid() == 0
        with ThreadPoolExecutor(max_workers=2) as pool:
            probe = (
                pool.submit(_isolation, batch_dir, jobs) if options.get("isolate", True) else None
            )
            fonts = pool.submit(_prebuild_matplotlib_cache, batch_dir) if may_isolate else None
            template = batch_dir / "template.db"
            _make_template(main_url, course_id, assignment, template)
            options["source_cells"] = _source_cells(main_url, course_id, assignment)
            extensions = _extensions(main_url, course_id, assignment)
            if probe is not None:
                isolation = probe.result()
            if fonts is not None:
                fonts.result()
        kernel_env = {}
        if isolation["uid"] is not None:
            kernel_env = _shared_data(batch_dir)
        threads = max(1, (os.cpu_count() or 1) // jobs)
        settings = {
            "env": {
                **GRADING_ENV,
                "OMP_NUM_THREADS": str(threads),
                "OPENBLAS_NUM_THREADS": str(threads),
                "MKL_NUM_THREADS": str(threads),
                "TF_NUM_INTRAOP_THREADS": str(threads),
                "TF_NUM_INTEROP_THREADS": str(min(2, threads)),
            },
            "uid": isolation["uid"],
            "kernel_env": kernel_env,
            "cell_timeout": options.get("cell_timeout"),
            "deny": _protected_paths(course),
        }
        _report_progress(progress, {"isolation": isolation, "jobs": jobs, "threads": threads})
        pending = [_Job(student=s) for s in students]
        free_slots = list(range(jobs))[::-1]
        running = {}
        finished = []  # (job, exit code): merged once the next workers are running
        results = []

        def stop(signum, frame):
            for pid, job in list(running.items()):
                sandbox.kill_tree(pid, job.marker, grace=1.0)
            raise SystemExit(f"coursekit autograde: stopped by signal {signum}")

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while pending or running or finished:
            while pending and free_slots:
                job = pending.pop(0)
                job.slot = free_slots.pop()
                job.marker = secrets.token_hex(8)
                _prepare_scratch(job, course, assignment, template, isolation, batch_dir)
                job.repairs = _repair_submission(
                    job.scratch / "submitted" / job.student / assignment,
                    job.scratch / "solutions" / assignment,
                    options["source_cells"],
                )
                if job.student in extensions:
                    _grant_extension(job, assignment, course_id, extensions[job.student])
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _worker_main(job, assignment, settings)  # never returns
                job.pid, job.started = pid, time.monotonic()
                running[pid] = job
            for job, exit_code in finished:
                if job.attempt == 1 and _kernel_did_not_start(job, exit_code):
                    shutil.rmtree(job.scratch, ignore_errors=True)
                    pending.insert(0, _Job(student=job.student, attempt=2))
                    continue
                result = _finish(
                    job,
                    exit_code,
                    course=course,
                    assignment=assignment,
                    main_url=main_url,
                    course_id=course_id,
                    isolation=isolation,
                    review=review,
                    options=options,
                )
                results.append(result)
                _report_progress(progress, {"result": asdict(result)})
            finished = []
            if not running:
                continue  # (a submission to grade again is pending: start it now)
            time.sleep(0.2)
            for pid, job in list(running.items()):
                try:
                    done, status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done, status = pid, 0
                if done == 0:
                    elapsed = time.monotonic() - job.started
                    rss = 0
                    with contextlib.suppress(psutil.Error):
                        rss = sandbox.tree_rss(pid)
                    job.peak_rss = max(job.peak_rss, rss)
                    if elapsed > timeout:
                        job.killed = f"timeout: still running after {timeout:g} s (killed)"
                    elif rss > memory:
                        job.killed = (
                            f"memory: used {rss / 1024**3:.1f} GiB, more than the limit of "
                            f"{memory / 1024**3:.1f} GiB (killed)"
                        )
                    if not job.killed:
                        continue
                    sandbox.kill_tree(pid, job.marker, grace=1.0)
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, 0)
                    status = -1
                del running[pid]
                free_slots.append(job.slot)
                sandbox.kill_tree(pid, job.marker, grace=0.5)  # whatever the kernel left behind
                job.ended = time.monotonic()
                finished.append((job, os.waitstatus_to_exitcode(status) if status != -1 else -9))
        return results, isolation
    finally:
        if not options.get("keep_scratch"):
            shutil.rmtree(batch_dir, ignore_errors=True)


def _prebuild_matplotlib_cache(batch_dir):
    """Build matplotlib's font cache once, for the kernels to copy (it takes seconds)."""
    target = Path(batch_dir) / "mplconfig"
    target.mkdir()
    env = {**os.environ, "MPLCONFIGDIR": str(target), "MPLBACKEND": "Agg"}
    subprocess.run(
        [sys.executable, "-c", "import matplotlib.font_manager"],
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )


def _protected_paths(course):
    """Paths no grading kernel may open: hidden tests, gradebooks, other students' work."""
    from .course import REPO_ROOT

    paths = []
    for root in {Path(course).resolve(), REPO_ROOT}:
        for name in (
            "solutions",
            "submitted",
            "autograded",
            "feedback",
            REPORTS_DIRECTORY,
            "gradebook.db",
            "nbgrader_config.py",
            ".git",
            "exchange",
        ):
            paths.append(str(root / name))
    url = os.environ.get("COURSEKIT_DB_URL", "")
    if url.startswith("sqlite:///"):
        paths.append(str(Path(url[len("sqlite:///") :]).resolve()))
    return sorted(set(paths))


def _finish(job, exit_code, *, course, assignment, main_url, course_id, isolation, review, options):
    """Merge a finished (or killed) worker's results and write its report."""
    scratch = job.scratch
    seconds = (job.ended or time.monotonic()) - job.started
    log_text = ""
    with contextlib.suppress(OSError):
        log_text = (scratch / "nbgrader.log").read_text(errors="replace")
    if job.killed:
        status, reason = job.killed.split(":", 1)[0], job.killed
    elif exit_code == 0:
        status, reason = "graded", ""
    elif exit_code < 0:
        status = "error"
        reason = f"the grading worker was killed by signal {-exit_code}"
    else:
        status, reason = _classify_failure(log_text, exit_code)
    scratch_results = None
    with contextlib.suppress(Exception):
        scratch_results = _read_scratch(scratch / "gradebook.db", assignment, job.student)
    guards = {}
    for path in sorted((scratch / "guard").glob("*.json")) if (scratch / "guard").is_dir() else []:
        guards[path.stem] = json.loads(path.read_text())
    flags = []
    submitted = course / "submitted" / job.student / assignment
    known = options.get("source_cells", {})
    flags += job.repairs
    flags += review.review_files(submitted)
    flags += _test_failures(scratch / "autograded" / job.student / assignment)
    for notebook in sorted(submitted.glob("*.ipynb")):
        cells = known.get(notebook.stem)
        found = review.review_notebook(notebook, source_cells=cells)
        flags += [f"{notebook.name}: {flag}" for flag in found]
    execute_seconds = guard_seconds = 0.0
    for notebook, guard in guards.items():
        execute_seconds += guard.get("execute_seconds", 0.0)
        guard_seconds += guard.get("guard_seconds", 0.0)
        for kind, label in (
            ("changes", "undone"),
            ("blocked", "refused"),
            ("events", "noted"),
        ):
            for item in guard.get(kind, []):
                if kind == "changes" and (item.startswith("during ") or ": data " in item):
                    continue  # voided tests are listed below; restored data is no concern
                flags.append(f"{notebook}.ipynb: {label}: {item}")
        for test, why in guard.get("voided", {}).items():
            flags.append(f"{notebook}.ipynb: test {test} not counted: {why}")
        if guard.get("compromised"):
            flags.append(f"{notebook}.ipynb: grading guard: {guard['compromised']}")
    if status == "graded" and scratch_results is None:
        status, reason = "error", "nbgrader recorded no submission"
    needs_review = status != "graded" or bool(flags)
    _merge(
        main_url,
        course_id,
        assignment,
        job.student,
        scratch_results,
        review=needs_review,
        failed=status != "graded",
    )
    _copy_autograded(scratch, course, assignment, job.student)
    score, max_score, penalty, tests = _scores(main_url, course_id, assignment, job.student)
    result = SubmissionResult(
        student=job.student,
        assignment=assignment,
        status=status,
        score=score,
        max_score=max_score,
        reason=reason,
        flags=flags,
        seconds=round(seconds, 2),
        execute_seconds=round(execute_seconds, 2),
        guard_seconds=round(guard_seconds, 2),
        late_penalty=penalty,
        tests=tests,
    )
    report_dir = _reports_dir(course, assignment)
    report_dir.mkdir(parents=True, exist_ok=True)
    report = asdict(result)
    report_path = report_dir / f"{job.student}.json"
    report_path.write_text(json.dumps(report, indent=1, sort_keys=True))
    if status != "graded" or options.get("keep_logs"):
        (report_dir / f"{job.student}.log").write_text(log_text[-200_000:])
    else:
        (report_dir / f"{job.student}.log").unlink(missing_ok=True)
    if not options.get("keep_scratch"):
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def _test_failures(folder):
    """Flags for tests that hit the cell time limit, from the autograded notebooks."""
    import nbformat

    flags = []
    for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001, S112  (an unreadable notebook is reported elsewhere)
            continue
        for cell in notebook.cells:
            name = _nbgrader_meta(cell).get("grade_id") or "a cell"
            for output in cell.get("outputs", []):
                if output.get("ename") == "CellTimeoutError":
                    flags.append(f"{path.name}: {name} timed out (the cell time limit)")
    return flags


def _copy_autograded(scratch, course, assignment, student):
    """Replace ``autograded/STUDENT/ASSIGNMENT`` with the worker's output (if it wrote any).

    Only the notebooks and files the student submitted or the assignment ships are copied: files that code wrote while it was graded stay behind (``nbgrader
    generate_feedback`` would otherwise hand them to the student), and so do symbolic
    links and files over 100 MB.
    """
    source = scratch / "autograded" / student / assignment
    target = course / "autograded" / student / assignment
    if not source.is_dir():
        return
    expected = set()
    for origin in (
        scratch / "submitted" / student / assignment,
        scratch / "solutions" / assignment,
    ):
        expected |= {p.relative_to(origin) for p in origin.rglob("*") if p.is_file()}

    def skip(folder, names):
        skipped = []
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(source)
            if path.is_symlink():
                skipped.append(name)
            elif path.is_file() and (
                path.stat().st_size > 100 * 1024**2 or relative not in expected
            ):
                skipped.append(name)
        return skipped

    staging = target.parent / f".{assignment}.incoming"
    shutil.rmtree(staging, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, staging, ignore=skip)
    old = target.parent / f".{assignment}.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _report_progress(path, event):
    if path:
        with open(path, "a") as handle:
            handle.write(json.dumps(event, default=str) + "\n")


# ---------------------------------------------------------------------------------------
# Public entry point: run the batch in a fresh process
# ---------------------------------------------------------------------------------------


def autograde(
    assignment,
    *,
    course_dir=None,
    students=None,
    jobs=None,
    timeout=DEFAULT_TIMEOUT,
    memory=DEFAULT_MEMORY,
    cell_timeout=None,
    db_url=None,
    isolate=True,
    keep_scratch=False,
    on_result=None,
):
    """Autograde the submissions of ``assignment`` in parallel, isolated worker processes.

    Parameters
    ----------
    assignment : str
        The assignment name, e.g. ``"a01_perceptron"``.
    course_dir : path-like, optional
        The course directory (default: the repository root).
    students : list of str, optional
        Grade only these students (default: every folder ``submitted/*/ASSIGNMENT``).
    jobs : int, optional
        Number of submissions graded at once (default: the number of CPU cores).
    timeout : float, default=900
        Wall-clock seconds per submission; a submission still running is killed.
    memory : int, default=4 GiB
        Bytes of resident memory per submission (its worker and kernel together).
    cell_timeout : int, optional
        Seconds per cell (default: ``Execute.timeout`` from ``nbgrader_config.py``).
    db_url : str, optional
        The gradebook (default: ``$COURSEKIT_DB_URL`` or the course's ``gradebook.db``).
    isolate : bool, default=True
        As root, run each kernel as an unprivileged user of its own.
    keep_scratch : bool, default=False
        Keep the per-submission scratch folders (for debugging).
    on_result : callable, optional
        Called with each :class:`SubmissionResult` as soon as it is graded.

    Returns
    -------
    results : list of SubmissionResult
        One per student, sorted by student.
    isolation : dict
        ``{"uid": first kernel user id or None, "reason": why kernels are not isolated}``.

    Examples
    --------
    >>> autograde("a01_perceptron", students=[])
    ([], {'uid': None, 'reason': 'no submissions'})
    """
    from .course import _check_assignment, _course_dir

    course = _course_dir(course_dir)
    _check_assignment(assignment, course)
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a positive integer. Received: jobs={jobs!r}.")
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds. Received: {timeout!r}.")
    if not (isinstance(memory, int) and memory > 0):
        raise ValueError(f"memory must be a positive number of bytes. Received: {memory!r}.")
    available = sorted(
        p.parent.name for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir()
    )
    if students is None:
        students = available
    else:
        unknown = [s for s in students if s not in available]
        if unknown:
            raise ValueError(
                f"No submission of {assignment!r} by {', '.join(map(repr, unknown))} in "
                f"{course / 'submitted'}. Students with a submission: "
                f"{', '.join(available) or 'none'}."
            )
    if not students:
        return [], {"uid": None, "reason": "no submissions"}
    options = {
        "assignment": assignment,
        "course_dir": str(course),
        "students": list(students),
        "jobs": jobs,
        "timeout": timeout,
        "memory": memory,
        "cell_timeout": cell_timeout,
        "db_url": db_url,
        "isolate": isolate,
        "keep_scratch": keep_scratch,
    }
    with tempfile.TemporaryDirectory(prefix="coursekit-batch-") as folder:
        options_file = Path(folder) / "options.json"
        progress = Path(folder) / "progress.jsonl"
        progress.touch()
        options["progress_file"] = str(progress)
        options_file.write_text(json.dumps(options))
        log = open(Path(folder) / "batch.log", "wb")  # noqa: SIM115  (closed below)
        from .course import GRADING_ENV

        env = {**os.environ, **GRADING_ENV}
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        process = subprocess.Popen(
            [sys.executable, "-m", "coursekit.autograde", str(options_file)],
            env=env,
            cwd=course,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        results, isolation, seen = [], None, 0
        try:
            while True:
                finished = process.poll() is not None
                lines = progress.read_text().splitlines()
                for line in lines[seen:]:
                    event = json.loads(line)
                    if "isolation" in event:
                        isolation = event["isolation"]
                    if "result" in event:
                        result = SubmissionResult(**event["result"])
                        results.append(result)
                        if on_result is not None:
                            on_result(result)
                seen = len(lines)
                if finished:
                    break
                time.sleep(0.2)
        except BaseException:  # interrupted: the batch stops its workers and kernels
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            raise
        finally:
            log.close()
        output = (Path(folder) / "batch.log").read_text(errors="replace")
        if process.returncode != 0:
            raise RuntimeError(
                f"coursekit autograde {assignment} failed (exit code {process.returncode}):\n"
                f"{output[-4000:]}"
            )
    return sorted(results, key=lambda r: r.student), isolation


def collect(assignment, *, course_dir=None, source=None, update=False):
    """Collect submissions into ``submitted/STUDENT/ASSIGNMENT``.

    Parameters
    ----------
    assignment : str
        The assignment name.
    course_dir : path-like, optional
        The course directory (default: the repository root).
    source : path-like, optional
        A folder with one sub-folder per student holding the notebooks (for instance a
        download from a learning-management system). Without it, ``nbgrader collect``
        collects from nbgrader's exchange (the JupyterHub set-up).
    update : bool, default=False
        Replace submissions collected before.

    Returns
    -------
    list of (str, pathlib.Path)
        The students collected (every submission present, for the exchange) and their folders.

    Examples
    --------
    >>> collect("a01_perceptron", source="/no/such/folder")
    Traceback (most recent call last):
    ...
    FileNotFoundError: source='/no/such/folder' is not a folder of student folders.

    Notes
    -----
    A submission from ``source`` keeps its ``timestamp.txt`` when it has one (nbgrader's
    format); otherwise the newest modification time of its notebooks becomes the submission
    time, which is what late penalties are computed from.
    """
    from .course import _check_assignment, _course_dir, nbgrader_command

    course = _course_dir(course_dir)
    _check_assignment(assignment, course)
    if source is None:
        args = ["collect", assignment] + (["--update"] if update else [])
        nbgrader_command(args, course_dir=course)
        return [
            (p.parent.name, p)
            for p in sorted((course / "submitted").glob(f"*/{assignment}"))
            if p.is_dir()
        ]
    source = Path(source)
    if not source.is_dir():
        raise FileNotFoundError(f"source={str(source)!r} is not a folder of student folders.")
    collected = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        student = folder.name
        if student.startswith(".") or not any(folder.rglob("*.ipynb")):
            continue
        target = course / "submitted" / student / assignment
        if target.exists() and not update:
            continue
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(folder, target, ignore=_ignore_checkpoints, symlinks=False)
        stamp = target / "timestamp.txt"
        if not stamp.is_file():
            newest = max(p.stat().st_mtime for p in target.rglob("*.ipynb"))
            when = datetime.datetime.fromtimestamp(newest, tz=datetime.UTC)
            stamp.write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
        collected.append((student, target))
    return collected


def _main(argv):
    options = json.loads(Path(argv[0]).read_text())
    _run_batch(options)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
