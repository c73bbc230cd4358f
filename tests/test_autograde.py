"""``coursekit autograde``, ``feedback``, ``export`` and ``collect``: the grading workflow.

Most tests use a tiny NumPy-only assignment written here (a kernel starts in seconds), in a
throw-away course folder: parallel grading, the time and memory limits, a dying kernel,
idempotent re-grading, the command line, CSV export with nbgrader's late penalties, and a
gradebook on a real PostgreSQL server. The feedback-leak test runs on every assignment in
``solutions/``. The guard itself is tested in a subprocess (an audit hook cannot be removed
from the process that installs it).
"""

import csv
import os
import re
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursekit import cli, course
from coursekit.grader import bwrap, gradebook, review
from coursekit.grader import engine as autograde
from coursekit.grader.course import Course
from coursekit.grader.export import export_grades

TINY = "t01_tiny"


# -- a tiny assignment ------------------------------------------------------------------


def _cell(source, grade_id, *, grade=False, solution=False, locked=False, points=None):
    cell = nbformat.v4.new_code_cell(textwrap.dedent(source).strip() + "\n")
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    cell["id"] = grade_id.replace("_", "-")
    return cell


def _tiny_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [
        _cell(
            """
            import numpy as np

            from coursekit.grading import check_array, hidden
            """,
            "setup",
            locked=True,
        ),
        _cell(
            '''
            def double(x):
                """Twice x, as an array."""
                ### BEGIN SOLUTION
                return 2 * np.asarray(x, dtype=float)
                ### END SOLUTION
            ''',
            "double",
            solution=True,
        ),
        _cell(
            """
            \"\"\"double: a worked example.\"\"\"
            check_array(double([1, 2]), np.array([2.0, 4.0]), name="double([1, 2])")
            """,
            "double_values",
            grade=True,
            locked=True,
            points=2,
        ),
        _cell(
            """
            \"\"\"Hidden tests: double of a 2-D array.\"\"\"
            ### BEGIN HIDDEN TESTS
            with hidden("double of a 2-D array"):
                secret_input = np.array([[1.5, -2.25], [0.125, 7.0]])
                check_array(double(secret_input), secret_input * 2.0, name="double(x)")
            ### END HIDDEN TESTS
            """,
            "double_hidden",
            grade=True,
            locked=True,
            points=3,
        ),
    ]
    return nb


def _make_course(folder, *, late_penalty=None):
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(course.REPO_ROOT / "nbgrader_config.py", folder)
    if late_penalty:
        with open(folder / "nbgrader_config.py", "a") as handle:
            handle.write(f"\nc.LateSubmissionPlugin.penalty_method = {late_penalty!r}\n")
    (folder / "solutions" / TINY).mkdir(parents=True)
    nbformat.write(_tiny_notebook(), folder / "solutions" / TINY / f"{TINY}.ipynb")
    return folder


def _submit(course_dir, student, body=None, *, extra_cell=None, timestamp=None):
    """Submit the tiny assignment with ``double``'s body replaced (None: the reference)."""
    nb = _tiny_notebook()
    if body is not None:
        source = nb.cells[1].source
        start, end = source.index("### BEGIN SOLUTION"), source.index("### END SOLUTION")
        nb.cells[1].source = source[:start] + body.strip() + "\n    " + source[end:]
    if extra_cell is not None:
        nb.cells.insert(2, nbformat.v4.new_code_cell(textwrap.dedent(extra_cell)))
    folder = course_dir / "submitted" / student / TINY
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{TINY}.ipynb")
    if timestamp is not None:
        (folder / "timestamp.txt").write_text(timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A course with the tiny assignment graded for six students, limits included."""
    course_dir = _make_course(tmp_path_factory.mktemp("tiny_course"))
    _submit(course_dir, "ada")
    _submit(course_dir, "bob", "return np.asarray(x, dtype=float)")  # wrong: half the points
    _submit(course_dir, "cyd", "raise NotImplementedError()")
    _submit(
        course_dir,
        "dan",
        extra_cell="import time, signal\nsignal.signal(signal.SIGINT, "
        "signal.SIG_IGN)\nwhile True:\n    time.sleep(0.1)",
    )
    _submit(
        course_dir, "eve", extra_cell="blocks = []\nwhile True:\n    blocks.append(np.ones(2**25))"
    )  # 256 MB at a time
    _submit(course_dir, "fay", extra_cell="import os\nos._exit(0)")
    results, isolation = autograde.autograde(
        TINY, course_dir=course_dir, jobs=2, timeout=40, memory=1024**3, cell_timeout=300
    )
    return course_dir, {r.student: r for r in results}, isolation


# -- the engine --------------------------------------------------------------------------


@pytest.mark.slow
def test_scores_and_statuses(tiny):
    _, results, _ = tiny
    assert results["ada"].score == 5 and results["ada"].status == "graded"
    assert not results["ada"].flags
    assert results["bob"].score == 0 and results["bob"].tests == {
        "double_values": [0.0, 2.0],
        "double_hidden": [0.0, 3.0],
    }
    assert results["cyd"].score == 0 and results["cyd"].status == "graded"
    assert results["dan"].status == "timeout" and results["dan"].score == 0
    assert "40 s" in results["dan"].reason
    assert results["eve"].status == "memory" and results["eve"].score == 0
    assert "GiB" in results["eve"].reason
    assert results["fay"].status == "kernel-died" and results["fay"].score == 0
    for name in ("dan", "eve", "fay"):
        assert results[name].flagged
    assert all(r.max_score == 5 for r in results.values())
    # where the time went: each test cell, and the lookups and calls (count, seconds)
    (timings,) = results["ada"].timings.values()
    assert set(timings["tests"]) == {"double_values", "double_hidden"}
    assert timings["requests"]["call double"][0] == 2
    assert any(key.startswith("lookup ") for key in timings["requests"])
    assert sum(seconds for _, seconds in timings["requests"].values()) <= sum(
        timings["tests"].values()
    )


@pytest.mark.slow
def test_reports_and_gradebook_agree(tiny):
    course_dir, results, _ = tiny
    reports = autograde.read_reports(TINY, course_dir=course_dir)
    assert set(reports) == set(results)
    for name, result in results.items():
        assert reports[name] == result
    recorded = {s: v[0] for s, v in gradebook.scores(Course.open(course_dir), TINY).items()}
    assert recorded == {name: r.score for name, r in results.items()}
    log = course_dir / "autograde_reports" / TINY / "dan.log"
    assert log.is_file(), "a failed submission keeps nbgrader's log for the instructor"


@pytest.mark.slow
def test_killed_submissions_leave_no_processes(tiny):
    import re

    import psutil

    # A leftover is a grading process (a sandbox or kernel, whose command line names its box
    # in a batch folder) whose batch is over: the folder is gone. (Batches running beside
    # this test still have theirs.)
    leftovers = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        line = " ".join(process.info.get("cmdline") or [])
        for batch in re.findall(r"(/\S*coursekit-grade-[^/\s]+)", line):
            if not os.path.isdir(batch):
                leftovers.append(process.info)
    assert not leftovers, leftovers


@pytest.mark.slow
def test_regrading_one_student_replaces_only_their_scores(tiny):
    course_dir, results, _ = tiny
    _submit(course_dir, "bob")  # bob fixes his code and resubmits
    again, _ = autograde.autograde(TINY, course_dir=course_dir, students=["bob"], jobs=1)
    assert [r.score for r in again] == [5]
    scores = {s: v[0] for s, v in gradebook.scores(Course.open(course_dir), TINY).items()}
    assert scores == {**{n: r.score for n, r in results.items()}, "bob": 5}


@pytest.mark.slow
def test_bad_arguments_name_the_value(tiny):
    course_dir, _, _ = tiny
    with pytest.raises(ValueError, match="jobs=0"):
        autograde.autograde(TINY, course_dir=course_dir, jobs=0)
    with pytest.raises(ValueError, match="'nobody'"):
        autograde.autograde(TINY, course_dir=course_dir, students=["nobody"])
    with pytest.raises(ValueError, match="Unknown assignment"):
        autograde.autograde("a99_missing", course_dir=course_dir)


# -- the command line --------------------------------------------------------------------


@pytest.mark.slow
def test_cli_autograde_review_feedback_export(tiny, capsys, tmp_path):
    course_dir, _, _ = tiny
    assert (
        cli.main(
            [
                "autograde",
                TINY,
                "--course",
                str(course_dir),
                "--student",
                "ada",
                "--student",
                "cyd",
                "-j",
                "2",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert re.search(r"ada\s+5\s+5\s+0\s+graded", out), out
    assert re.search(r"cyd\s+0\s+5\s+0\s+graded", out), out
    assert "graded 2 submission(s)" in out and "reports:" in out

    assert cli.main(["review", TINY, "--course", str(course_dir)]) == 0
    out = capsys.readouterr().out
    assert "dan:" in out and "timeout" in out and "ada:" not in out

    assert cli.main(["feedback", TINY, "--course", str(course_dir)]) == 0
    out = capsys.readouterr().out
    assert f"feedback/ada/{TINY}/{TINY}.html" in out
    page = (course_dir / "feedback" / "cyd" / TINY / f"{TINY}.html").read_text()
    assert "Your results" in page and "double of a 2-D array" in page
    for secret in ("secret_input", "BEGIN HIDDEN TESTS", "7.0]]", "-2.25"):
        assert secret not in page, f"the feedback shows hidden-test content: {secret!r}"

    assert cli.main(["export", "--course", str(course_dir), "--to", str(tmp_path)]) == 0
    rows = list(csv.DictReader((tmp_path / f"{TINY}.csv").open()))
    by_student = {row["student_id"]: row for row in rows}
    assert by_student["ada"]["score"] == "5" and by_student["ada"]["double_hidden"] == "3"
    assert by_student["dan"]["status"] == "timeout" and by_student["dan"]["flagged"] == "yes"


@pytest.mark.slow
def test_cli_collect_from_a_folder(tiny, tmp_path, capsys):
    course_dir, _, _ = tiny
    download = tmp_path / "lms_download"
    (download / "gus").mkdir(parents=True)
    nbformat.write(_tiny_notebook(), download / "gus" / f"{TINY}.ipynb")
    assert cli.main(["collect", TINY, "--course", str(course_dir), "--from", str(download)]) == 0
    stamp = course_dir / "submitted" / "gus" / TINY / "timestamp.txt"
    assert stamp.read_text().endswith("UTC")
    assert "collected gus" in capsys.readouterr().out
    shutil.rmtree(course_dir / "submitted" / "gus")


def test_collect_never_takes_the_submission_time_from_the_student(tiny, tmp_path):
    """A timestamp.txt the student wrote (an early time: no late penalty) is replaced."""
    course_dir, _, _ = tiny
    download = tmp_path / "lms"
    for student in ("hal", "ivy"):
        (download / student).mkdir(parents=True)
        nbformat.write(_tiny_notebook(), download / student / f"{TINY}.ipynb")
        (download / student / "timestamp.txt").write_text("2000-01-01 00:00:00.000000 UTC")
    before = datetime.now(tz=UTC)
    autograde.collect(TINY, course_dir=course_dir, source=download)
    for student in ("hal", "ivy"):
        text = (course_dir / "submitted" / student / TINY / "timestamp.txt").read_text()
        when = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f %Z").replace(tzinfo=UTC)
        assert when >= before - timedelta(seconds=1), text  # the time of collection
    recorded = tmp_path / "times.csv"
    recorded.write_text("student,timestamp\nhal,2026-03-01T23:59:00+01:00\n")
    autograde.collect(
        TINY, course_dir=course_dir, source=download, update=True, timestamps=recorded
    )
    text = (course_dir / "submitted" / "hal" / TINY / "timestamp.txt").read_text()
    assert text == "2026-03-01 22:59:00.000000 UTC"  # what the LMS recorded
    recorded.write_text("student,timestamp\nhal,2026-03-01 23:59\n")
    with pytest.raises(ValueError, match="no time zone"):
        autograde.collect(
            TINY, course_dir=course_dir, source=download, update=True, timestamps=recorded
        )
    for student in ("hal", "ivy"):
        shutil.rmtree(course_dir / "submitted" / student)


# -- export and late penalties -----------------------------------------------------------


@pytest.mark.slow
def test_export_matches_nbgrader_and_applies_late_penalties(tmp_path):
    from nbgrader.api import Gradebook

    course_dir = _make_course(tmp_path / "late_course", late_penalty="zero")
    due = datetime(2030, 1, 15, 12, 0)
    _submit(course_dir, "early", timestamp=due - timedelta(hours=1))
    _submit(course_dir, "late", timestamp=due + timedelta(hours=2))
    _submit(course_dir, "extended", timestamp=due + timedelta(hours=2))
    course.release(TINY, course_dir=course_dir, release_dir=tmp_path / "release")
    url = f"sqlite:///{course_dir / 'gradebook.db'}"
    with Gradebook(url, "deep-learning-in-practice") as gradebook:
        gradebook.update_or_create_assignment(TINY, duedate=due)
        gradebook.update_or_create_student("extended")
        gradebook.update_or_create_submission(TINY, "extended", extension=timedelta(days=1))
    results, _ = autograde.autograde(TINY, course_dir=course_dir, jobs=2)
    by_student = {r.student: r for r in results}
    assert by_student["early"].late_penalty == 0 and by_student["extended"].late_penalty == 0
    assert by_student["late"].late_penalty == 5  # penalty_method "zero": the whole score

    paths = export_grades(course_dir=course_dir, to=tmp_path / "ours")
    course.nbgrader_command(["export", f"--to={tmp_path / 'theirs.csv'}"], course_dir=course_dir)
    assert paths[0].read_text() == (tmp_path / "theirs.csv").read_text()
    rows = {r["student_id"]: r for r in csv.DictReader(paths[0].open())}
    assert (rows["late"]["raw_score"], rows["late"]["score"]) == ("5.0", "0.0")
    assert rows["extended"]["score"] == "5.0"
    per_assignment = {r["student_id"]: r for r in csv.DictReader(paths[1].open())}
    assert per_assignment["late"]["seconds_late"] == "7200"
    assert per_assignment["late"]["late_submission_penalty"] == "5"


# -- PostgreSQL --------------------------------------------------------------------------


def _postgres_binaries():
    """The folder of initdb, pg_ctl and createdb: Debian's layout first, then PATH."""
    import pathlib

    versions = sorted(
        pathlib.Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(versions):
        if all((folder / tool).exists() for tool in ("initdb", "pg_ctl", "createdb")):
            return str(folder)
    if shutil.which("pg_ctl"):
        folder = pathlib.Path(os.path.realpath(shutil.which("pg_ctl"))).parent
        if (folder / "initdb").exists() and (folder / "createdb").exists():
            return str(folder)
    return None


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server on a free port of 127.0.0.1, for this module only."""
    import socket

    binaries = _postgres_binaries()
    if binaries is None:  # (.ci/run installs them, so CI always runs this test)
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl, createdb) not found in "
            "/usr/lib/postgresql/*/bin or on PATH: apt-get install -y postgresql"
        )
    pytest.importorskip("psycopg", reason="psycopg[binary] is in requirements.txt")
    import pathlib
    import tempfile

    # Not under pytest's private temporary folder: the server runs as the postgres user.
    folder = pathlib.Path(tempfile.mkdtemp(prefix="coursekit-postgres-"))
    folder.chmod(0o777)
    data = folder / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    prefix = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        prefix = ["runuser", "-u", "postgres", "--"]
    env = {**os.environ, "LC_ALL": "C"}

    def run(*command):
        done = subprocess.run(prefix + list(command), capture_output=True, text=True, env=env)
        assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}\n{done.stderr}"

    run(f"{binaries}/initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
    run(
        f"{binaries}/pg_ctl",
        "-D",
        str(data),
        "-l",
        str(folder / "server.log"),
        "-o",
        f"-h 127.0.0.1 -p {port} -k {folder}",
        "-w",
        "start",
    )
    try:
        run(f"{binaries}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "grades")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/grades"
    finally:
        subprocess.run(
            prefix + [f"{binaries}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_postgresql_gradebook(postgres, tmp_path):
    course_dir = _make_course(tmp_path / "pg_course")
    _submit(course_dir, "ada")
    _submit(course_dir, "bob", "return np.asarray(x, dtype=float)")
    first, _ = autograde.autograde(TINY, course_dir=course_dir, jobs=2, db_url=postgres)
    again, _ = autograde.autograde(TINY, course_dir=course_dir, jobs=2, db_url=postgres)
    assert [(r.student, r.score) for r in first] == [("ada", 5.0), ("bob", 0.0)]
    assert [(r.student, r.score) for r in again] == [("ada", 5.0), ("bob", 0.0)]
    scores = gradebook.scores(Course.open(course_dir, db_url=postgres), TINY)
    assert {s: v[0] for s, v in scores.items()} == {"ada": 5.0, "bob": 0.0}
    assert not (course_dir / "gradebook.db").exists()
    import sqlalchemy

    engine = sqlalchemy.create_engine(postgres)
    with engine.connect() as connection:
        count = connection.execute(sqlalchemy.text("select count(*) from grade")).scalar()
    engine.dispose()
    assert count == 2 * 2, "re-grading must not add grade rows"
    paths = export_grades(course_dir=course_dir, to=tmp_path / "grades", db_url=postgres)
    assert "ada" in paths[0].read_text()


# -- the sandbox: refusal where it cannot run ------------------------------------------------


def test_no_user_namespaces_means_a_refusal_unless_unsafe(tiny, monkeypatch, capsys):
    """Where bwrap cannot run, grading stops with the reason; --unsafe-no-sandbox is marked."""
    course_dir, _, _ = tiny
    monkeypatch.setenv("COURSEKIT_SIMULATE_NO_USERNS", "1")  # as on a host without userns
    with pytest.raises(bwrap.SandboxUnavailable) as info:
        autograde.autograde(TINY, course_dir=course_dir, students=["ada"], jobs=1)
    message = str(info.value)
    assert "will not grade without its sandbox" in message
    assert "No permissions to create new namespace" in message
    assert "--unsafe-no-sandbox" in message
    assert cli.main(["autograde", TINY, "--course", str(course_dir), "--student", "ada"]) == 2
    assert "--unsafe-no-sandbox" in capsys.readouterr().err
    results, isolation = autograde.autograde(
        TINY, course_dir=course_dir, students=["ada"], jobs=1, unsafe_no_sandbox=True
    )
    assert isolation["sandbox"] == "none"
    (ada,) = results
    assert ada.score == 5 and ada.sandbox == "none"
    assert any("--unsafe-no-sandbox" in flag for flag in ada.flags)  # flagged for review
    monkeypatch.delenv("COURSEKIT_SIMULATE_NO_USERNS")
    again, _ = autograde.autograde(TINY, course_dir=course_dir, students=["ada"], jobs=1)
    assert again[0].sandbox == "bwrap" and not again[0].flags


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="creates a Unix user to grade as (needs root)")
def test_an_unprivileged_grader_gets_the_same_sandbox_and_grades(tmp_path):
    """The hub's formgrader grades as the unprivileged `grader`: bwrap through user namespaces."""
    import pwd
    import tempfile

    user = "ckgradetest"
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--create-home", user], check=True)
    root = Path(tempfile.mkdtemp(prefix="ck-unprivileged-", dir="/tmp"))
    try:
        root.chmod(0o755)
        course_dir = _make_course(root / "course")
        _submit(course_dir, "ada")
        _submit(course_dir, "cyd", "raise NotImplementedError()")
        _submit(  # tries what the grader's own account could read, outside the sandbox
            course_dir,
            "eve",
            extra_cell="import os\nprint('SEEN', [p for p in ('../../../solutions', "
            f"{str(course_dir)!r}, {pwd.getpwnam(user).pw_dir!r}, '/etc/shadow') "
            "if os.path.exists(p)])",
        )
        subprocess.run(["chown", "-R", user, str(root)], check=True)
        home = pwd.getpwnam(user).pw_dir
        done = subprocess.run(
            [
                shutil.which("runuser") or "/usr/sbin/runuser",
                "-u",
                user,
                "--",
                str(Path(sys.executable).parent / "coursekit"),
                "autograde",
                TINY,
                "--course",
                str(course_dir),
                "--jobs",
                "2",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env={"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8"},
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "student code ran in the bubblewrap sandbox; tests ran" in done.stdout
        reports = autograde.read_reports(TINY, course_dir=course_dir)
        assert {name: r.score for name, r in reports.items()} == {"ada": 5, "cyd": 0, "eve": 5}
        assert all(r.sandbox == "bwrap" for r in reports.values())
        graded = course_dir / "autograded" / "eve" / TINY / f"{TINY}.ipynb"
        assert "SEEN []" in graded.read_text()  # not the solutions, not the grader's home
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_release_holds_flagged_feedback_back_until_reviewed(tiny, tmp_path):
    """coursekit feedback --release and nbgrader's own release_feedback (the formgrader's
    button) both leave out a flagged submission until the instructor names it reviewed."""
    from coursekit.grader.feedback import generate_feedback, release_feedback

    course_dir, _, _ = tiny
    now = datetime.now(tz=UTC)  # (nbgrader's exchange wants the submission time)
    _submit(course_dir, "hal", timestamp=now)
    _submit(course_dir, "gil", extra_cell="import ctypes  # flagged by the review", timestamp=now)
    for student in ("gil", "hal"):  # what `nbgrader submit` leaves beside the notebook
        (course_dir / "submitted" / student / TINY / "submission_secret.txt").write_text(student)
    results, _ = autograde.autograde(TINY, course_dir=course_dir, students=["gil", "hal"], jobs=2)
    gil, hal = results
    assert gil.flagged and gil.status == "graded" and not hal.flagged
    config = course_dir / "nbgrader_config.py"
    original = config.read_text()
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    config.write_text(original + f"\nc.Exchange.root = {str(exchange)!r}\n")
    try:
        done = generate_feedback(TINY, course_dir=course_dir, students=["gil", "hal"])
        assert not done["failed"] and not done["leaks"]
        written = {path.relative_to(course_dir / "feedback").parts[0] for path in done["files"]}
        assert written == {"gil", "hal"}  # (nbgrader takes one --student: each is asked for)
        outbound = exchange / "deep-learning-in-practice" / "feedback"
        released, held = release_feedback(TINY, course_dir=course_dir, students=["gil", "hal"])
        assert (released, held) == (["hal"], ["gil"])
        assert len(list(outbound.glob("*.html"))) == 1
        # the formgrader's button runs nbgrader's own release_feedback (here for gil alone: the
        # other students of this course have no exchange submission files)
        course.nbgrader_command(["release_feedback", TINY, "--student=gil"], course_dir=course_dir)
        assert len(list(outbound.glob("*.html"))) == 1  # still only hal's
        released, held = release_feedback(
            TINY, course_dir=course_dir, students=["gil", "hal"], reviewed=["gil"]
        )
        assert (released, held) == (["gil", "hal"], [])
        assert len(list(outbound.glob("*.html"))) == 2
    finally:
        config.write_text(original)
        for student in ("gil", "hal"):
            shutil.rmtree(course_dir / "submitted" / student, ignore_errors=True)


# -- the static review -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import numpy as np\nnp.isclose = lambda *a, **k: True", "replaces np.isclose"),
        ("check_array = lambda *a, **k: None", "redefines the grading helper check_array"),
        ("get_ipython().input_transformers_cleanup.append(f)", "changes how IPython reads"),
        ("import os\nos._exit(0)", "kills the kernel"),
        ("open('../../../gradebook.db').read()", "grading files"),
        ("import ctypes", "ctypes"),
        ("class Liar:\n    def __eq__(self, other):\n        return True", "fool comparisons"),
        ("exec('x = 1')", "exec"),
        (
            "def sigmoid(z):\n    with np.errstate(over='ignore'):\n        return 1 / (1 + np.exp(-z))",
            "floating-point error handling",
        ),
        ("np.seterr(all='ignore')", "floating-point error handling"),
        ("!cat /etc/passwd", "shell command"),
    ],
)
def test_review_flags(source, expected):
    flags = review.review_source(source)
    assert any(expected in flag for flag in flags), flags


def test_review_leaves_ordinary_solutions_alone():
    for assignment in course.list_assignments():
        for path in (course.REPO_ROOT / "solutions" / assignment).glob("*.ipynb"):
            assert review.review_notebook(path) == [], f"{assignment}: reference is flagged"


def test_a_call_runs_under_the_floating_point_rules_of_the_test_cell(tmp_path):
    """A test cell's ``np.errstate`` reaches the student's function in the other process:
    "computed without overflow" is checkable, as when tests and answers shared a process."""
    from coursekit.grader import student, wire

    def naive_sigmoid(z):
        return 1 / (1 + np.exp(-z))

    namespace = {"naive_sigmoid": naive_sigmoid}
    with wire.Folder(tmp_path) as folder:
        request = {
            "op": "call",
            "name": "naive_sigmoid",
            "args": wire.encode([np.array([-1000.0, 0.0])], folder),
            "kwargs": wire.encode({}, folder),
        }
        with np.errstate(over="raise"):
            raised = student._call(namespace, {**request, "errstate": np.geterr()}, folder)
        assert raised["raise"]["type"] == "FloatingPointError"
        with np.errstate(over="ignore"):
            quiet = student._call(namespace, {**request, "errstate": np.geterr()}, folder)
        assert "raise" not in quiet
        # What the student process accepts: the four kinds and the modes needing no callback.
        odd = {"over": "call", "under": "raise", "evil": "raise", "divide": 3}
        assert student._errstate(odd) is not None
        with np.errstate(over="ignore"):  # the kinds it leaves out keep the caller's state
            assert "raise" not in student._call(namespace, {**request, "errstate": odd}, folder)


def test_a_model_sent_again_is_the_same_object_until_a_call_changes_it(tmp_path):
    """The student process keeps the models the grader sends (loading one rebuilds every layer)
    and hands the same object out again, as a notebook does, only while the object still has
    the weights, trainable flags and compilation of the bytes sent."""
    from coursekit import quiet_tensorflow
    from coursekit.grader import student, wire

    keras = quiet_tensorflow()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    model.compile(optimizer="adam", loss="mse")
    with wire.Folder(tmp_path) as folder:
        args = wire.encode([model], folder)
    seen = []

    def keep(m):
        seen.append(m)

    def freeze(m):
        m.layers[0].trainable = False

    def zero(m):
        m.layers[0].kernel.assign(np.zeros((3, 2)))

    def recompile(m):
        m.compile(optimizer="sgd", loss="mse")

    def pair(m, n):
        seen.extend([m, n])

    namespace = {"keep": keep, "freeze": freeze, "zero": zero, "recompile": recompile}
    namespace["pair"] = pair
    cache = student.ModelCache()

    def call(name, arguments=args):
        request = {"op": "call", "name": name, "args": arguments}
        request["kwargs"] = {"$": "dict", "items": []}
        cache.new_request()
        with wire.Folder(tmp_path, models=cache) as folder:
            return student._call(namespace, request, folder)

    call("keep")
    call("keep")
    assert seen[1] is seen[0]  # the same bytes, unchanged: the same object
    for change in ("freeze", "zero", "recompile"):
        reply = call(change)
        call("keep")
        assert seen[-1] is not seen[-2], f"{change}: a changed model was handed out again"
        assert seen[-1].layers[0].trainable and type(seen[-1].optimizer).__name__ == "Adam"
        assert np.any(seen[-1].layers[0].kernel.numpy() != 0)
        if change != "recompile":  # (the grader's copy gets the in-place change, as before)
            assert "0" in reply["changed"]
    call("pair", args + args)  # two of the grader's models with the same bytes: two objects
    assert seen[-2] is not seen[-1]
    # (the memory limit counts what is kept: at most max_bytes of .keras files)
    for max_bytes, kept in ((12, True), (11, False)):
        small = student.ModelCache(max_bytes=max_bytes)
        twice = []
        for _ in range(2):
            small.new_request()
            twice.append(
                small(b"twelve bytes", None, lambda: keras.Sequential([keras.Input((1,))]))
            )
        assert (twice[0] is twice[1]) == kept


def test_two_batches_at_once_run_students_as_different_user_ids(tmp_path):
    """A batch holds its sandbox user ids (a lock per id) while it or a worker of it lives; a
    batch that starts meanwhile takes the next free range."""
    import time

    first, held = autograde._reserve_uids(2, tmp_path)
    second, held_by_second = autograde._reserve_uids(2, tmp_path)
    assert second == first + 2
    worker = os.fork()  # a worker of the first batch, still grading
    if worker == 0:
        time.sleep(3)
        os._exit(0)
    for handle in held:  # the batch process itself is done
        handle.close()
    third, _ = autograde._reserve_uids(2, tmp_path)
    assert third == first + 4, "a worker still runs: its ids are not free yet"
    os.waitpid(worker, 0)
    fourth, _ = autograde._reserve_uids(2, tmp_path)
    assert fourth == first
    assert len(held_by_second) == 2
