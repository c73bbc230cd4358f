"""End-to-end tests of the course's JupyterHub, run as a user would: over HTTP on loopback.

``test_semester_round_trip`` starts ``hub/jupyterhub_config.py`` in system mode (PAM logins,
one process per Unix user) with real system users, and drives a whole assignment cycle
through the hub's REST API, the Jupyter server API of the servers it spawns and nbgrader's
own exchange and formgrader endpoints. It needs root (creating users, switching to them), as
CI has; elsewhere it is skipped. ``test_trial_hub`` checks ``coursekit hub`` (trial mode),
which any user can run.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import html
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import requests

from coursekit import course
from coursekit import hub as coursekit_hub

pytestmark = pytest.mark.slow

ASSIGNMENT = "a01_perceptron"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
COURSE_ID = coursekit_hub.COURSE_ID
SOURCE_ROOT = course.REPO_ROOT / "solutions"
# System accounts the round trip creates (and removes): marked so that an account of the
# same name that the test did not create is never touched.
MARK = "coursekit hub e2e test account"
STUDENTS_GROUP = "students"
INSTRUCTORS_GROUP = "instructors"
GRADER = "grader"
INSTRUCTOR = "instructor"
STUDENTS = ("alice", "bob")
HUB_START_TIMEOUT = 60
SPAWN_TIMEOUT = 120


# ------------------------------------------------------------------------ HTTP helpers


class HubClient:
    """A browser-like session of one user: logs in through the hub's login form."""

    def __init__(self, base_url, name, password):
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.session = requests.Session()
        login_page = self.session.get(f"{self.base_url}/hub/login", timeout=30)
        login_page.raise_for_status()
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', login_page.text).group(1)
        reply = self.session.post(
            f"{self.base_url}/hub/login",
            data={"username": name, "password": password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=60,
        )
        self.logged_in = (
            reply.status_code == 302 and "jupyterhub-session-id" in self.session.cookies
        )
        self.token = None
        if self.logged_in:
            # An API token for this user, requested with the login cookie like the hub's
            # token page does; everything after this uses the token.
            token_reply = self.session.post(
                f"{self.base_url}/hub/api/users/{name}/tokens",
                json={"note": "e2e test", "expires_in": 3600},
                headers={"X-XSRFToken": self.session.cookies.get("_xsrf", xsrf)},
                timeout=30,
            )
            assert token_reply.status_code == 201, token_reply.text
            self.token = token_reply.json()["token"]

    def request(self, method, path, **kwargs):
        headers = {"Authorization": f"token {self.token}", **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 600)  # validating or autograding runs the notebook
        return requests.request(
            method, f"{self.base_url}/{path.lstrip('/')}", headers=headers, **kwargs
        )

    def json(self, method, path, expect=200, **kwargs):
        reply = self.request(method, path, **kwargs)
        assert reply.status_code == expect, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json() if reply.text else None

    def start_server(self):
        reply = self.request("POST", f"hub/api/users/{self.name}/server")
        assert reply.status_code in (201, 202), reply.text
        deadline = time.monotonic() + SPAWN_TIMEOUT
        while time.monotonic() < deadline:
            model = self.json("GET", f"hub/api/users/{self.name}")
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                return model
            time.sleep(0.5)
        raise AssertionError(f"{self.name}'s server did not start in {SPAWN_TIMEOUT} s")

    # The nbgrader assignment list of the user's server (what the Assignments tab calls).
    def assignments(self, action=None, **data):
        path = f"user/{self.name}/assignments" + (f"/{action}" if action else "")
        if action is None:
            reply = self.json("GET", path, params={"course_id": COURSE_ID})
        else:
            reply = self.json("POST", path, data={"course_id": COURSE_ID, **data})
        assert reply["success"], reply
        return {a["assignment_id"]: a for a in reply["value"] if a["course_id"] == COURSE_ID}

    def run_python(self, code):
        """Run ``code`` in a fresh kernel of the user's server; return what it printed."""
        kernel = self.json("POST", f"user/{self.name}/api/kernels", expect=201, json={})
        ws_url = self.base_url.replace("http", "ws", 1)
        ws_url += f"/user/{self.name}/api/kernels/{kernel['id']}/channels"
        try:
            return asyncio.run(_execute(ws_url, self.token, code))
        finally:
            self.request("DELETE", f"user/{self.name}/api/kernels/{kernel['id']}")


async def _execute(ws_url, token, code, timeout=120):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    request = HTTPRequest(ws_url, headers={"Authorization": f"token {token}"})
    connection = await websocket_connect(request)
    msg_id = uuid.uuid4().hex
    header = {
        "msg_id": msg_id,
        "msg_type": "execute_request",
        "session": uuid.uuid4().hex,
        "username": "",
        "version": "5.3",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()),
    }
    content = {"code": code, "silent": False, "store_history": False, "allow_stdin": False}
    message = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
    await connection.write_message(json.dumps({**message, "channel": "shell", "buffers": []}))
    printed = []
    try:
        while True:
            raw = await asyncio.wait_for(connection.read_message(), timeout)
            assert raw is not None, "kernel websocket closed"
            reply = json.loads(raw)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = reply["msg_type"]
            if kind == "stream":
                printed.append(reply["content"]["text"])
            elif kind == "error":
                raise AssertionError("\n".join(reply["content"]["traceback"]))
            elif kind == "status" and reply["content"]["execution_state"] == "idle":
                return "".join(printed)
    finally:
        connection.close()


def _wait_for_hub(base_url, process, log_path):
    deadline = time.monotonic() + HUB_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the hub exited:\n{Path(log_path).read_text()[-4000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base_url}/hub/api/", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise AssertionError(f"the hub did not answer:\n{Path(log_path).read_text()[-4000:]}")


def _start_hub(settings, log_path, extra_env=None):
    env = {**os.environ, **coursekit_hub.settings_environment(settings), **(extra_env or {})}
    command = [
        str(Path(sys.executable).with_name("jupyterhub")),
        "-f",
        str(coursekit_hub.HUB_DIR / "jupyterhub_config.py"),
    ]
    log = open(log_path, "w")  # noqa: SIM115  (closed with the process)
    process = subprocess.Popen(
        command,
        cwd=settings.state_dir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log_file = log
    try:
        _wait_for_hub(settings.public_url, process, log_path)
    except BaseException:
        _stop_hub(process, settings.state_dir)
        raise
    return process


def _stop_hub(process, state_dir):
    """Stop the hub (it stops the servers, services and proxy it started).

    A hub that died on its own leaves its proxy running: that one is stopped by the pid
    the hub wrote.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    process.log_file.close()
    proxy_pid = Path(state_dir) / "jupyterhub-proxy.pid"
    with contextlib.suppress(OSError, ValueError):
        pid = int(proxy_pid.read_text().strip())
        if b"configurable-http-proxy" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGTERM)


def _settings(base, **overrides):
    return coursekit_hub.HubSettings(
        public_url=f"http://127.0.0.1:{coursekit_hub.free_port()}",
        hub_url=f"http://127.0.0.1:{coursekit_hub.free_port()}",
        proxy_api_url=f"http://127.0.0.1:{coursekit_hub.free_port()}",
        formgrader_url=f"http://127.0.0.1:{coursekit_hub.free_port()}",
        state_dir=base / "state",
        course_dir=base / "course",
        exchange=base / "exchange",
        **overrides,
    )


# ------------------------------------------------------------------------ notebooks


def _solution_sources(source_notebook):
    """The reference solution of every solution cell, by grade_id."""
    nb = nbformat.read(source_notebook, as_version=4)
    return {
        cell.metadata.nbgrader["grade_id"]: cell.source
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def _max_points(source_notebook):
    nb = nbformat.read(source_notebook, as_version=4)
    return sum(
        float(cell.metadata.nbgrader.get("points", 0))
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    )


def _squash(text):
    return re.sub(r"\s+", "", text)


def _hidden_test_lines(source_notebook):
    """Lines of the hidden tests that appear nowhere else in the notebook, without blanks.

    Blanks are dropped because the feedback page splits code into highlighted tokens.
    """
    nb = nbformat.read(source_notebook, as_version=4)
    hidden, visible = [], []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside:
                hidden.append(_squash(line.split("#")[0]))
            else:
                visible.append(_squash(line))
    visible_text = "\n".join(visible)
    return {line for line in hidden if len(line) >= 12 and line not in visible_text}


def _visible_text(page):
    """The text a reader of an HTML page sees (no tags, styles or scripts)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


class _FeedbackParts(HTMLParser):
    """Splits a feedback page's text into code cells and error outputs."""

    def __init__(self):
        super().__init__()
        self.stack = []  # the kind of every open <div>: "code", "error" or None
        self.code, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            classes = (dict(attrs).get("class") or "").split()
            kind = "code" if "input_area" in classes else None
            kind = "error" if "output_error" in classes else kind
            self.stack.append(kind)

    def handle_endtag(self, tag):
        if tag == "div" and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if "code" in self.stack:
            self.code.append(data)
        elif "error" in self.stack:
            self.errors.append(data)


def _feedback_parts(page):
    parser = _FeedbackParts()
    parser.feed(page)
    assert parser.code, "no code cells found in the feedback page"
    return "".join(parser.code), "".join(parser.errors)


def _read_feedback(client):
    """Fetch the user's feedback through the exchange; return the HTML page."""
    listing = client.assignments("fetch_feedback", assignment_id=ASSIGNMENT)
    assert listing[ASSIGNMENT]["submissions"][0]["has_local_feedback"], listing
    folder = client.json("GET", f"user/{client.name}/api/contents/{ASSIGNMENT}/feedback")
    (timestamp,) = folder["content"]
    path = f"user/{client.name}/api/contents/{timestamp['path']}/{ASSIGNMENT}.html"
    return client.json("GET", path, params={"format": "text"})["content"]


def _fill_in_solutions(notebook, solutions):
    """Replace the student's stubs by the reference solutions, by grade_id."""
    filled = 0
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in solutions and cell["metadata"]["nbgrader"].get("solution"):
            cell["source"] = solutions[grade_id]
            filled += 1
    return filled


# ------------------------------------------------------------------------ system accounts


class Accounts:
    """Creates the test's groups and users, and removes exactly those again."""

    def __init__(self):
        self.users = []
        self.groups = []
        self.passwords = {}

    def group(self, name):
        try:
            grp.getgrnam(name)
        except KeyError:
            subprocess.run(["groupadd", name], check=True)
            self.groups.append(name)

    def user(self, name, groups):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            command = ["useradd", "--create-home", "--shell", "/bin/bash", "--comment", MARK]
            if groups:
                command += ["--groups", ",".join(groups)]
            subprocess.run([*command, name], check=True)
        else:
            if entry.pw_gecos != MARK:
                pytest.skip(f"system user {name!r} exists and was not made by this test")
            if groups:
                subprocess.run(["usermod", "--groups", ",".join(groups), name], check=True)
        self.users.append(name)
        password = secrets.token_urlsafe(16)
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
        self.passwords[name] = password
        return pwd.getpwnam(name)

    def kill_processes(self):
        uids = {pwd.getpwnam(name).pw_uid for name in self.users}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat().st_uid in uids:
                        os.kill(int(entry.name), signal.SIGKILL)

    def remove(self):
        with contextlib.suppress(KeyError):
            self.kill_processes()
        time.sleep(0.5)
        for name in self.users:
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        for name in self.groups:
            subprocess.run(["groupdel", name], capture_output=True)


def _world_usable(path):
    """True when other users can reach ``path``: every folder above it has o+x."""
    path = Path(path).resolve()
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in [path, *path.parents])


@pytest.fixture
def system_hub():
    """Accounts, course directory, exchange and a running system-mode hub; cleaned up after."""
    if os.geteuid() != 0:
        pytest.skip("the system-mode hub test needs root: it creates Unix users (CI runs as root)")
    for tool in ("useradd", "usermod", "userdel", "groupadd", "chpasswd"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not available on this machine")
    coursekit_hub.proxy_command()  # fails with the install command when the proxy is missing
    for needed in (Path(sys.executable).resolve(), coursekit_hub.HUB_DIR):
        if not _world_usable(needed):
            pytest.fail(
                f"{needed} cannot be used by other users (a folder above it lacks o+x), so "
                "the students' servers could not run the course's Python. Create .venv from "
                "an interpreter every user can run (Debian: /usr/bin/python3.11, e.g. "
                "`rm -rf .venv && make PYTHON=/usr/bin/python3.11 test`) and keep the course "
                "where other users can read it (e.g. /srv/course)."
            )
    source = SOURCE_ROOT / ASSIGNMENT / NOTEBOOK
    assert source.is_file(), f"{source} is missing"

    accounts = Accounts()
    base = Path(tempfile.mkdtemp(prefix="coursekit-hub-e2e-"))
    process = None
    try:
        base.chmod(0o755)
        accounts.group(STUDENTS_GROUP)
        accounts.group(INSTRUCTORS_GROUP)
        grader = accounts.user(GRADER, [])
        accounts.user(INSTRUCTOR, [INSTRUCTORS_GROUP])
        for name in STUDENTS:
            accounts.user(name, [STUDENTS_GROUP])

        settings = _settings(base, grader_user=GRADER, cull_timeout=3600)
        settings.state_dir.mkdir(mode=0o700)
        settings.exchange.mkdir()
        settings.exchange.chmod(0o1777)  # like /tmp: everyone may create, nobody may delete
        # The instructors' course directory: the repository's nbgrader config and the
        # assignment's source, owned by the grader account and private to it.
        course_dir = settings.course_dir
        (course_dir / "solutions").mkdir(parents=True)
        shutil.copy(course.REPO_ROOT / "nbgrader_config.py", course_dir)
        shutil.copytree(SOURCE_ROOT / ASSIGNMENT, course_dir / "solutions" / ASSIGNMENT)
        for path in [course_dir, *course_dir.rglob("*")]:
            os.chown(path, grader.pw_uid, grader.pw_gid)
        course_dir.chmod(0o700)

        log_path = base / "jupyterhub.log"
        started = time.monotonic()
        process = _start_hub(settings, log_path)
        yield {
            "settings": settings,
            "passwords": accounts.passwords,
            "source": source,
            "log": log_path,
            "started": started,
        }
    finally:
        if process is not None:
            _stop_hub(process, settings.state_dir)
            if os.environ.get("COURSEKIT_HUB_TEST_LOG"):
                print(Path(log_path).read_text()[-20000:])
        accounts.remove()
        shutil.rmtree(base, ignore_errors=True)


# ------------------------------------------------------------------------ the tests


def test_semester_round_trip(system_hub):
    """Release, fetch, solve, validate, submit, collect, autograde, feedback; bob kept out."""
    settings = system_hub["settings"]
    passwords = system_hub["passwords"]
    source = system_hub["source"]
    url = settings.public_url
    formgrader = "services/formgrader/formgrader/api"

    # A wrong password is refused; the hub's groups follow the Unix groups.
    assert not HubClient(url, "alice", "not-her-password").logged_in
    instructor = HubClient(url, INSTRUCTOR, passwords[INSTRUCTOR])
    alice = HubClient(url, "alice", passwords["alice"])
    bob = HubClient(url, "bob", passwords["bob"])
    assert instructor.logged_in and alice.logged_in and bob.logged_in
    assert instructor.json("GET", "hub/api/user")["groups"] == [INSTRUCTORS_GROUP]
    assert alice.json("GET", "hub/api/user")["groups"] == [STUDENTS_GROUP]

    # The instructor releases the assignment through the formgrader service.
    for step in ("assign", "release"):
        reply = instructor.json("POST", f"{formgrader}/assignment/{ASSIGNMENT}/{step}")
        assert reply["success"], reply
    # Students may not open the formgrader, and their own servers do not offer it.
    assert alice.request("GET", f"{formgrader}/assignments").status_code == 403

    # alice's server spawns as her Unix user; she fetches the assignment via the exchange.
    model = alice.start_server()
    assert model["servers"][""]["ready"]
    assert alice.request("GET", "user/alice/formgrader").status_code == 404
    whoami = alice.run_python("import getpass, os; print(getpass.getuser(), os.getuid())")
    assert whoami.split() == ["alice", str(pwd.getpwnam("alice").pw_uid)]
    assert ASSIGNMENT in alice.assignments()
    fetched = alice.assignments("fetch", assignment_id=ASSIGNMENT)
    assert fetched[ASSIGNMENT]["status"] == "fetched"
    home = Path(pwd.getpwnam("alice").pw_dir)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700  # the hub made her home private
    assert (home / ASSIGNMENT / NOTEBOOK).stat().st_uid == pwd.getpwnam("alice").pw_uid

    # She writes the correct answer into the notebook (the reference solution's code cells),
    # saves it through the contents API, validates it and submits.
    path = f"user/alice/api/contents/{ASSIGNMENT}/{NOTEBOOK}"
    notebook = alice.json("GET", path, params={"content": "1"})["content"]
    solutions = _solution_sources(source)
    assert _fill_in_solutions(notebook, solutions) == len(solutions) > 0
    alice.json("PUT", path, json={"type": "notebook", "format": "json", "content": notebook})
    validated = alice.json(
        "POST", "user/alice/assignments/validate", data={"path": f"{ASSIGNMENT}/{NOTEBOOK}"}
    )
    assert validated["success"], validated
    assert not {"failed", "changed", "type_changed"} & set(validated["value"]), validated
    submitted = alice.assignments("submit", assignment_id=ASSIGNMENT)
    assert submitted[ASSIGNMENT]["status"] == "submitted"

    # bob fetches too and submits the untouched notebook.
    bob.start_server()
    bob.assignments("fetch", assignment_id=ASSIGNMENT)
    bob.assignments("submit", assignment_id=ASSIGNMENT)

    # The instructor collects and autogrades.
    reply = instructor.json("POST", f"{formgrader}/assignment/{ASSIGNMENT}/collect")
    assert reply["success"], reply
    for student in STUDENTS:
        reply = instructor.json("POST", f"{formgrader}/submission/{ASSIGNMENT}/{student}/autograde")
        assert reply["success"], reply
    max_points = _max_points(source)
    alice_grade = instructor.json("GET", f"{formgrader}/submission/{ASSIGNMENT}/alice")
    bob_grade = instructor.json("GET", f"{formgrader}/submission/{ASSIGNMENT}/bob")
    assert alice_grade["max_score"] == pytest.approx(max_points) and max_points > 0
    assert alice_grade["score"] == pytest.approx(max_points), alice_grade
    assert bob_grade["score"] == 0, bob_grade

    # Feedback goes back through the exchange; each student reads theirs in their server.
    for step in ("generate_feedback", "release_feedback"):
        reply = instructor.json("POST", f"{formgrader}/assignment/{ASSIGNMENT}/{step}")
        assert reply["success"], reply
    score = rf"{max_points:g}(\.0+)?"
    hidden = _hidden_test_lines(source)
    assert hidden, "the assignment has no hidden tests to check"
    for student, expected in ((alice, score), (bob, r"0(\.0+)?")):
        page = _read_feedback(student)
        text = _visible_text(page)
        heading = rf"{ASSIGNMENT}\s*\(Score:\s*{expected}\s*/\s*{score}\)"
        assert re.search(heading, text), f"{student.name}'s feedback: {text[:3000]}"
        assert "HIDDEN TESTS" not in text
        # No hidden test's code in the notebook's cells, nor quoted by a traceback.
        code, errors = _feedback_parts(page)
        quoted = [
            _squash(frame.group(1))
            for frame in re.finditer(r"^\s*(?:-*>)?\s*\d+\s+(.+)$", errors, flags=re.M)
        ]
        leaked = [line for line in hidden if line in _squash(code) or line in quoted]
        assert not leaked, f"{student.name}'s feedback shows hidden tests: {leaked[:3]}"
    # alice passed every test: nothing of the hidden tests appears anywhere in hers.
    text = _visible_text(_read_feedback(alice))
    leaked = [line for line in hidden if line in _squash(text)]
    assert not leaked, f"alice's feedback shows hidden tests: {leaked[:3]}"

    # bob cannot read alice's submission: not in the exchange's inbound folder (write-only
    # for students), not in her home, not in the instructors' course directory.
    inbound = settings.exchange / COURSE_ID / "inbound"
    assert any(p.name.startswith("alice+") for p in inbound.iterdir())  # (root sees it)
    probe = f"""
import glob, json, os
inbound = {str(inbound)!r}
targets = {{
    "inbound": lambda: os.listdir(inbound),
    "home": lambda: open({str(home / ASSIGNMENT / NOTEBOOK)!r}).read(),
    "cache": lambda: os.listdir({str(home / ".local")!r}),
    "submitted": lambda: os.listdir({str(settings.course_dir / "submitted")!r}),
    "feedback": lambda: os.listdir({str(settings.exchange / COURSE_ID / "feedback")!r}),
}}
result = {{"guess": glob.glob(os.path.join(inbound, "alice+*"))}}
for name, read in targets.items():
    try:
        read()
        result[name] = "read"
    except PermissionError:
        result[name] = "denied"
print(json.dumps(result))
"""
    result = json.loads(bob.run_python(probe))
    assert result == {
        "guess": [],
        "inbound": "denied",
        "home": "denied",
        "cache": "denied",
        "submitted": "denied",
        "feedback": "denied",
    }
    # Nor can he use alice's server.
    assert bob.request("GET", "user/alice/api/contents").status_code in (403, 404)
    print(f"hub round trip: {time.monotonic() - system_hub['started']:.1f} s")


def test_trial_hub(tmp_path):
    """`coursekit hub` serves a hub on loopback that the test accounts can use."""
    coursekit_hub.proxy_command()
    port = coursekit_hub.free_port()
    password = secrets.token_urlsafe(12)
    state = tmp_path / "trial"
    course_dir = tmp_path / "course"
    course_dir.mkdir()
    shutil.copy(course.REPO_ROOT / "nbgrader_config.py", course_dir)
    command = [
        sys.executable,
        "-c",
        "import sys; from coursekit.hub import main_hub; sys.exit(main_hub(sys.argv[1:]))",
        "--port",
        str(port),
        "--password",
        password,
        "--state-dir",
        str(state),
        "--course-dir",
        str(course_dir),
    ]
    log_path = tmp_path / "trial.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    process.log_file = open(log_path)  # noqa: SIM115  (closed by _stop_hub)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_hub(url, process, log_path)
        assert f"JupyterHub (trial) at {url}/" in log_path.read_text()
        student = HubClient(url, "student", password)
        instructor = HubClient(url, "instructor", password)
        assert student.logged_in and instructor.logged_in
        assert not HubClient(url, "mallory", password).logged_in  # only the two accounts
        student.start_server()
        status = student.json("GET", "user/student/api/status")
        assert "kernels" in status
        assert (state / "home" / "student").is_dir()
        formgrader = "services/formgrader/formgrader/api/assignments"
        assert instructor.request("GET", formgrader).status_code == 200
        assert student.request("GET", formgrader).status_code == 403
    finally:
        _stop_hub(process, state)
