"""Parallel autograding on top of nbgrader, each submission in two processes.

``coursekit autograde ASSIGNMENT --jobs N`` grades every submission in
``submitted/*/ASSIGNMENT`` in N worker processes. Each submission is graded by nbgrader's own
``Autograde`` converter, in a scratch course folder of its own with a one-submission copy of
the gradebook, so that workers never share a database; the parent then merges the result
into the course gradebook in one transaction per submission. What that adds to nbgrader:

- the student's cells run in a sandboxed kernel and the tests in the grader's process
  (:mod:`coursekit.grader.execute`, the preprocessor ``nbgrader_config.py`` names); the batch
  refuses to grade when the sandbox cannot run, unless told ``--unsafe-no-sandbox``, which
  every report marks;
- a wall-clock limit and a memory limit per submission (resident memory of the worker's
  processes plus the sandbox's ``/tmp`` and ``/dev/shm``): a submission that hangs, crashes
  the kernel or exhausts memory is recorded with its reason, gets zero and is flagged for
  manual review, and the batch goes on;
- a static review of the submission (:mod:`coursekit.grader.review`) flags suspicious code;
- idempotence: grading again replaces a submission's automatic scores, never duplicates them,
  and keeps manual scores and comments;
- a report per submission in ``autograde_reports/ASSIGNMENT/STUDENT.json``.

The instructor guide (book, "Grading") describes the workflow and the limits.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..course import GRADING_ENV
from . import bwrap, gradebook, processes, review
from .course import Course
from .execute import SETTINGS_ENV

__all__ = [
    "SubmissionResult",
    "autograde",
    "collect",
    "read_reports",
]

DEFAULT_TIMEOUT = 900  # seconds per submission (wall clock)
DEFAULT_MEMORY = 4 * 1024**3  # bytes per submission (worker and kernel together)


def _nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


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
    notebook (both processes, kernel start included), ``call_seconds`` the part of that spent
    in the grading interface (fetching the student's names, calling the student's
    functions); ``timings`` breaks that down per notebook: the seconds of each test cell
    (``"tests"``) and of the slowest lookups and calls (``"requests"``: count and seconds).
    ``sandbox`` is ``"bwrap"``, or ``"none"`` when graded with
    ``--unsafe-no-sandbox``. ``flags`` are findings for the instructor's review (static
    review, repairs, an unsandboxed run); a flagged submission is marked ``flagged`` in the
    gradebook.

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
    call_seconds: float = 0.0
    sandbox: str = "bwrap"
    late_penalty: float = 0.0
    tests: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    @property
    def flagged(self):
        """Whether the instructor should look at this submission."""
        return bool(self.flags) or self.status != "graded"


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
    folder = Course.open(course_dir).reports / assignment
    reports = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    return {data["student"]: SubmissionResult(**data) for data in reports}


# ---------------------------------------------------------------------------------------
# The sandbox's user ids (per batch) and the worker (per submission)
# ---------------------------------------------------------------------------------------


def _free_uid(slot, base=None):
    """A user id for worker ``slot``: one that no account has."""
    import pwd

    if base is None:
        base = int(os.environ.get("COURSEKIT_SANDBOX_UID_BASE", bwrap.UID_BASE))
    uid = base + slot
    with contextlib.suppress(KeyError):
        pwd.getpwuid(uid)
        raise RuntimeError(
            f"user id {uid} belongs to an account; set COURSEKIT_SANDBOX_UID_BASE to a free "
            "range for coursekit's grading kernels"
        )
    return uid


UID_LOCKS = Path("/run/coursekit")  # (root's) which sandbox user ids running batches hold
UID_RANGES = 64  # how many ranges of ``jobs`` ids above the base a batch tries


def _reserve_uids(jobs, lock_dir=UID_LOCKS):
    """The first of ``jobs`` consecutive sandbox user ids that no other batch holds, and the
    open lock files that hold them (``flock``; they go when this process and its workers do).

    Two batches that grade at once (two assignments, or two courses on one machine) never run
    students' code as the same user id: the second takes the next free range.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> first, held = _reserve_uids(2, folder)
    >>> second, _ = _reserve_uids(2, folder)
    >>> second - first
    2
    """
    import fcntl

    lock_dir = Path(lock_dir)
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    base = int(os.environ.get("COURSEKIT_SANDBOX_UID_BASE", bwrap.UID_BASE))
    for attempt in range(UID_RANGES):
        first, held = base + attempt * jobs, []
        try:
            for slot in range(jobs):
                uid = _free_uid(attempt * jobs + slot, base)
                handle = (lock_dir / f"uid-{uid}.lock").open("a")
                held.append(handle)
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            for handle in held:
                handle.close()
            continue
        return first, held
    raise RuntimeError(
        f"every range of {jobs} sandbox user ids from {base} to {base + UID_RANGES * jobs - 1} "
        f"is held by another grading batch (locks in {lock_dir}); wait for one to finish"
    )


@dataclass
class _Job:
    student: str
    slot: int = -1
    scratch: Path = None
    started: float = 0.0
    ended: float = 0.0
    marker: str = ""
    killed: str = ""
    repairs: list = field(default_factory=list)


def _prepare_scratch(job, course, options, extension, batch_dir):
    """Lay out a one-submission course folder for ``job`` (see the module docstring).

    Its gradebook is a copy of the batch's template with the student's deadline
    ``extension`` (or None), its submission repaired (:func:`_repair_submission`). The
    folder is the grader's: the student's sandbox never sees it (it gets a box of its own,
    :class:`coursekit.grader.execute.Box`).
    """
    assignment = options["assignment"]
    scratch = Path(batch_dir) / f"s{job.slot}-{secrets.token_hex(4)}"
    scratch.mkdir(mode=0o700)
    shutil.copy(course.root / "nbgrader_config.py", scratch / "nbgrader_config.py")
    shutil.copy(Path(batch_dir) / "template.db", scratch / "gradebook.db")
    solutions = scratch / "solutions" / assignment
    shutil.copytree(course.source / assignment, solutions, ignore=_ignore_checkpoints)
    submitted = scratch / "submitted" / job.student / assignment
    shutil.copytree(course.submitted / job.student / assignment, submitted, symlinks=True)
    (scratch / "autograded" / job.student).mkdir(parents=True)
    job.scratch = scratch
    job.repairs = _repair_submission(submitted, solutions, options["source_cells"])
    if extension is not None:
        gradebook.grant_extension(
            course, scratch / "gradebook.db", assignment, job.student, extension
        )


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
        before = len(changed)
        seen = set()
        for cell in reversed(notebook.cells):  # like nbgrader, the last copy of a cell counts
            name = _nbgrader_meta(cell).get("grade_id")
            if name is not None and name in seen:
                del cell.metadata["nbgrader"]  # (nbgrader's DeduplicateIds leaves {}: a crash)
                changed.append(
                    f"{path.name}: cell {name!r} appears more than once; the last copy is graded"
                )
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
            if name in present:
                previous = name
        if len(changed) > before:
            nbformat.write(notebook, path)
    return changed


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
        os.environ.update(settings["env"], COURSEKIT_SANDBOX=job.marker)
        kernel = settings["kernel"]
        uid = kernel["uid"] + job.slot if kernel["uid"] is not None else None
        os.environ[SETTINGS_ENV] = json.dumps(
            {**kernel, "uid": uid, "report": str(scratch / "grader")}
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
    if "SandboxUnavailable" in log_text:
        line = next(x for x in reversed(lines) if "SandboxUnavailable" in x)
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
    """Grade submissions in parallel; called in a fresh, single-threaded process.

    The results go to the progress file, one line per submission, as they are merged.
    """
    import psutil
    from nbgrader.apps.autogradeapp import AutogradeApp  # noqa: F401  (import before forking)

    import coursekit

    # Every worker's grader runs the setup cell, which imports Keras: import it once here,
    # before forking, so that no worker spends seconds of CPU on it (no TensorFlow operation
    # runs in this process, so the forked workers start TensorFlow cleanly).
    coursekit.quiet_tensorflow()

    course = Course.open(options["course_dir"], db_url=options.get("db_url"))
    assignment = options["assignment"]
    jobs = max(1, int(options.get("jobs") or os.cpu_count() or 1))
    timeout = float(options.get("timeout") or DEFAULT_TIMEOUT)
    memory = int(options.get("memory") or DEFAULT_MEMORY)
    students = options["students"]
    progress = options["progress_file"]
    gradebook.ensure_registered(course, assignment)

    batch_dir = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))
    batch_dir.chmod(0o711)
    uid_locks = []
    try:
        unsafe = not options.get("sandbox", True)
        external = options.get("external")
        uid = None
        if not unsafe and not external and os.geteuid() == 0:
            uid, uid_locks = _reserve_uids(jobs)  # (held until this batch's workers are gone)
        isolation = {"sandbox": "external" if external else "bwrap", "uid": uid, "reason": ""}
        if unsafe:
            isolation = {
                "sandbox": "none",
                "uid": None,
                "reason": "graded with --unsafe-no-sandbox: student code ran without the sandbox",
            }
        # matplotlib's font cache takes seconds to build: once per batch, on a thread while
        # this process copies the assignment into the template gradebook; every sandbox
        # gets a copy in its home.
        with ThreadPoolExecutor(max_workers=1) as pool:
            fonts = pool.submit(_prebuild_matplotlib_cache, batch_dir)
            gradebook.template(course, assignment, batch_dir / "template.db")
            options["source_cells"] = gradebook.source_cells(course, assignment)
            extensions = gradebook.extensions(course, assignment)
            fonts.result()
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
            "kernel": {  # what the worker tells the grader's execute preprocessor
                "uid": uid,
                "memory": memory,
                "unsafe": unsafe,
                "external": external,
                "box_root": str(batch_dir),
                "mpl_cache": str(batch_dir / "mplconfig"),
            },
            "cell_timeout": options.get("cell_timeout"),
        }
        _report_progress(progress, {"isolation": isolation, "jobs": jobs, "threads": threads})
        pending = [_Job(student=s) for s in students]
        free_slots = list(range(jobs))[::-1]
        running = {}
        finished = []  # (job, exit code): merged once the next workers are running

        def stop(signum, frame):
            for pid, job in list(running.items()):
                processes.kill_tree(pid, job.marker, grace=1.0)
            raise SystemExit(f"coursekit autograde: stopped by signal {signum}")

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while pending or running or finished:
            while pending and free_slots:
                job = pending.pop(0)
                job.slot = free_slots.pop()
                job.marker = secrets.token_hex(8)
                _prepare_scratch(job, course, options, extensions.get(job.student), batch_dir)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _worker_main(job, assignment, settings)  # never returns
                job.started = time.monotonic()
                running[pid] = job
            for job, exit_code in finished:
                result = _finish(
                    job, exit_code, course=course, isolation=isolation, options=options
                )
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
                        tree = processes.process_tree(pid, job.marker)
                        rss = processes.tree_rss(pid, job.marker)
                        rss += bwrap.shared_memory_bytes([p.pid for p in tree], memory)
                    if elapsed > timeout:
                        job.killed = f"timeout: still running after {timeout:g} s (killed)"
                    elif rss > memory:
                        job.killed = (
                            f"memory: used {rss / 1024**3:.1f} GiB, more than the limit of "
                            f"{memory / 1024**3:.1f} GiB (killed)"
                        )
                    if not job.killed:
                        continue
                    processes.kill_tree(pid, job.marker, grace=1.0)
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, 0)
                    status = -1
                del running[pid]
                free_slots.append(job.slot)
                processes.kill_tree(pid, job.marker, grace=0.5)  # whatever the kernel left behind
                job.ended = time.monotonic()
                finished.append((job, os.waitstatus_to_exitcode(status) if status != -1 else -9))
    finally:
        for handle in uid_locks:  # (a worker still alive keeps its copy, and so the lock)
            handle.close()
        if not options.get("keep_scratch"):
            shutil.rmtree(batch_dir, ignore_errors=True)


def _prebuild_matplotlib_cache(batch_dir):
    """Build matplotlib's font cache once, for the kernels to copy (it takes seconds)."""
    target = Path(batch_dir) / "mplconfig"
    target.mkdir()
    subprocess.run(
        [sys.executable, "-c", "import matplotlib.font_manager"],
        env={**os.environ, "MPLCONFIGDIR": str(target), "MPLBACKEND": "Agg"},
        capture_output=True,
        timeout=300,
        check=False,
    )


def _finish(job, exit_code, *, course, isolation, options):
    """Merge a finished (or killed) worker's results and write its report."""
    assignment = options["assignment"]
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
        status, reason = "error", f"the grading worker was killed by signal {-exit_code}"
    else:
        status, reason = _classify_failure(log_text, exit_code)
    scratch_results = None
    with contextlib.suppress(Exception):
        scratch_results = gradebook.read_scratch(scratch / "gradebook.db", assignment, job.student)
    reports = {}
    folder = scratch / "grader"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        with contextlib.suppress(ValueError, OSError):
            reports[path.stem] = json.loads(path.read_text())
    submitted = course.submitted / job.student / assignment
    flags = [
        *job.repairs,
        *review.review_files(submitted),
        *_test_failures(scratch / "autograded" / job.student / assignment),
    ]
    for notebook in sorted(submitted.glob("*.ipynb")):
        cells = options.get("source_cells", {}).get(notebook.stem)
        found = review.review_notebook(notebook, source_cells=cells)
        flags += [f"{notebook.name}: {flag}" for flag in found]
    for notebook, report in reports.items():
        if report.get("kernel_died"):
            flags.append(
                f"{notebook}.ipynb: the student's kernel died during test {report['kernel_died']}"
                " (the tests after it got no points)"
            )
    if isolation.get("sandbox") == "none":
        flags.append("graded with --unsafe-no-sandbox: the student's code ran without the sandbox")
    if status == "graded" and scratch_results is None:
        status, reason = "error", "nbgrader recorded no submission"
    gradebook.merge(
        course,
        assignment,
        job.student,
        scratch_results,
        review=status != "graded" or bool(flags),
        failed=status != "graded",
    )
    _copy_autograded(scratch, course, assignment, job.student)
    score, max_score, penalty, tests = gradebook.submission_scores(course, assignment, job.student)
    result = SubmissionResult(
        student=job.student,
        assignment=assignment,
        status=status,
        score=score,
        max_score=max_score,
        reason=reason,
        flags=flags,
        seconds=round(seconds, 2),
        execute_seconds=round(sum(r.get("execute_seconds", 0.0) for r in reports.values()), 2),
        call_seconds=round(sum(r.get("call_seconds", 0.0) for r in reports.values()), 2),
        sandbox=isolation.get("sandbox", "bwrap"),
        late_penalty=penalty,
        tests=tests,
        timings={
            notebook: {"tests": r.get("test_seconds", {}), "requests": r.get("requests", {})}
            for notebook, r in reports.items()
        },
    )
    report_dir = course.reports / assignment
    report_dir.mkdir(parents=True, exist_ok=True)
    report = json.dumps(asdict(result), indent=1, sort_keys=True)
    (report_dir / f"{job.student}.json").write_text(report)
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
    target = course.autograded / student / assignment
    if not source.is_dir():
        return
    expected = {
        path.relative_to(origin)
        for origin in (
            scratch / "submitted" / student / assignment,
            scratch / "solutions" / assignment,
        )
        for path in origin.rglob("*")
        if path.is_file()
    }

    def skip(folder, names):
        paths = {name: Path(folder) / name for name in names}
        return [
            name
            for name, path in paths.items()
            if path.is_symlink()
            or (path.is_file() and path.stat().st_size > 100 * 1024**2)
            or (path.is_file() and path.relative_to(source) not in expected)
        ]

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
    unsafe_no_sandbox=False,
    external=None,
    keep_scratch=False,
    on_result=None,
):
    """Autograde the submissions of ``assignment`` in parallel, each in two processes.

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
        Bytes of memory per submission: the resident memory of its worker, grader and student
        processes plus what the sandbox holds in its ``/tmp`` and ``/dev/shm``.
    cell_timeout : int, optional
        Seconds per cell (default: ``Execute.timeout`` from ``nbgrader_config.py``).
    db_url : str, optional
        The gradebook (default: ``$COURSEKIT_DB_URL`` or the course's ``gradebook.db``).
    unsafe_no_sandbox : bool, default=False
        Grade even where the sandbox cannot run (no bubblewrap, no user namespaces): the
        student's code then runs as this user without a sandbox, and every report, the
        gradebook (flagged) and the export say so. Without it, such a machine raises
        :class:`coursekit.grader.bwrap.SandboxUnavailable` with the reason.
    external : path-like, optional
        The box of a student kernel that another container already runs
        (``python -m coursekit.grader.podkernel BOX``, a Kubernetes grading Job): grade the
        one student in ``students`` against it instead of starting a sandbox.
    keep_scratch : bool, default=False
        Keep the per-submission scratch folders (for debugging).
    on_result : callable, optional
        Called with each :class:`SubmissionResult` as soon as it is graded.

    Returns
    -------
    results : list of SubmissionResult
        One per student, sorted by student.
    isolation : dict
        ``{"sandbox": "bwrap" or "none", "uid": the first sandbox user id (as root) or None,
        "reason": why there is no sandbox}``.

    Raises
    ------
    coursekit.grader.bwrap.SandboxUnavailable
        When the sandbox cannot run here and ``unsafe_no_sandbox`` is not set.

    Examples
    --------
    >>> autograde("a01_perceptron", students=[])
    ([], {'sandbox': 'bwrap', 'uid': None, 'reason': 'no submissions'})
    """
    course = Course.open(course_dir, db_url=db_url)
    course.check_assignment(assignment)
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a positive integer. Received: jobs={jobs!r}.")
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds. Received: {timeout!r}.")
    if not (isinstance(memory, int) and memory > 0):
        raise ValueError(f"memory must be a positive number of bytes. Received: {memory!r}.")
    available = course.students(assignment)
    if students is None:
        students = available
    else:
        unknown = [s for s in students if s not in available]
        if unknown:
            raise ValueError(
                f"No submission of {assignment!r} by {', '.join(map(repr, unknown))} in "
                f"{course.submitted}. Students with a submission: "
                f"{', '.join(available) or 'none'}."
            )
    if not students:
        return [], {"sandbox": "bwrap", "uid": None, "reason": "no submissions"}
    if external is not None and len(students) != 1:
        raise ValueError(
            "external=BOX grades one submission (one Job, one pod); name one student. "
            f"Received: {len(students)} students."
        )
    if not unsafe_no_sandbox and external is None:
        try:
            bwrap.check_available(_free_uid(0) if os.geteuid() == 0 else None)
        except bwrap.SandboxUnavailable as error:
            raise bwrap.SandboxUnavailable(
                f"coursekit autograde will not grade without its sandbox: {error}. Fix that, "
                "or grade at your own risk with --unsafe-no-sandbox (student code then runs "
                "as you, with access to everything you can read; every report says so)."
            ) from None
    options = {
        "assignment": assignment,
        "course_dir": str(course.root),
        "students": list(students),
        "jobs": jobs,
        "timeout": timeout,
        "memory": memory,
        "cell_timeout": cell_timeout,
        "db_url": db_url,
        "sandbox": not unsafe_no_sandbox,
        "external": str(Path(external).resolve()) if external is not None else None,
        "keep_scratch": keep_scratch,
    }
    with tempfile.TemporaryDirectory(prefix="coursekit-batch-") as folder:
        options_file = Path(folder) / "options.json"
        progress = Path(folder) / "progress.jsonl"
        progress.touch()
        options["progress_file"] = str(progress)
        options_file.write_text(json.dumps(options))
        log = open(Path(folder) / "batch.log", "wb")  # noqa: SIM115  (closed below)
        env = {**os.environ, **GRADING_ENV}
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        process = subprocess.Popen(
            [sys.executable, "-m", "coursekit.grader.engine", str(options_file)],
            env=env,
            cwd=course.root,
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
        if process.returncode != 0:
            output = (Path(folder) / "batch.log").read_text(errors="replace")
            raise RuntimeError(
                f"coursekit autograde {assignment} failed (exit code {process.returncode}):\n"
                f"{output[-4000:]}"
            )
    return sorted(results, key=lambda r: r.student), isolation


def _read_timestamps(path):
    """``{student: timestamp text}`` from a CSV with the columns ``student`` and ``timestamp``."""
    import csv

    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"student", "timestamp"} <= set(rows[0]):
        raise ValueError(
            f"{path} must have the columns 'student' and 'timestamp' (as your learning-"
            f"management system recorded the submission). Received columns: {sorted(rows[0])}."
        )
    stamps = {}
    for row in rows:
        when = datetime.datetime.fromisoformat(row["timestamp"].strip())
        if when.tzinfo is None:
            raise ValueError(
                f"{path}: the timestamp {row['timestamp']!r} of {row['student']!r} has no time "
                "zone; write it as ISO 8601 with an offset, e.g. 2026-03-01T23:59:00+01:00."
            )
        stamps[row["student"].strip()] = when.astimezone(datetime.UTC)
    return stamps


def collect(assignment, *, course_dir=None, source=None, update=False, timestamps=None):
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
    timestamps : path-like, optional
        With ``source``: a CSV (``student,timestamp``) of the submission times the learning-
        management system recorded. Without it, the time of collection is the submission
        time.

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
    Late penalties are computed from the submission time, so it is never taken from a file
    the student wrote: a ``timestamp.txt`` (or any file's modification time) inside a
    submission from ``source`` is ignored, and replaced by the time in ``timestamps`` or,
    without it, the time of collection.
    """
    course = Course.open(course_dir)
    course.check_assignment(assignment)
    if source is None:
        course.nbgrader(["collect", assignment] + (["--update"] if update else []))
        return [(s, course.submitted / s / assignment) for s in course.students(assignment)]
    source = Path(source)
    if not source.is_dir():
        raise FileNotFoundError(f"source={str(source)!r} is not a folder of student folders.")
    recorded = _read_timestamps(timestamps) if timestamps else {}
    now = datetime.datetime.now(tz=datetime.UTC)
    collected = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        student = folder.name
        if student.startswith(".") or not any(folder.rglob("*.ipynb")):
            continue
        target = course.submitted / student / assignment
        if target.exists() and not update:
            continue
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(folder, target, ignore=_ignore_checkpoints, symlinks=False)
        stamp = target / "timestamp.txt"  # the student's own, if any, is replaced
        stamp.unlink(missing_ok=True)
        stamp.write_text(recorded.get(student, now).strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
        collected.append((student, target))
    return collected


if __name__ == "__main__":  # the batch process that autograde() starts
    _run_batch(json.loads(Path(sys.argv[1]).read_text()))
