"""End-to-end tests of the course's JupyterHub, run as a user would: over HTTP on loopback.

``test_semester_round_trip`` installs the hub as hub/README.md does (the course software in a
prefix without solutions, the course repository as the grader account's private checkout),
starts ``jupyterhub_config.py`` in system mode (PAM logins, one process per Unix user) with
real system users, and drives a whole assignment cycle through the hub's REST API, the
Jupyter server API of the servers it spawns, their terminals and nbgrader's own exchange and
formgrader endpoints. It needs root (creating users, switching to them), as CI has; elsewhere
it is skipped. ``test_trial_hub`` checks ``coursekit hub`` (trial mode), which any user can run.
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
import sysconfig
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

    def run_in_terminal(self, prefix, command):
        """Run ``command`` in a new terminal of the server at ``prefix``; return its output.

        The terminal is what JupyterLab's *File > New > Terminal* opens: the server's
        terminals API, then its websocket, typing the command as a user would.
        """
        terminal = self.json("POST", f"{prefix}/api/terminals")["name"]
        ws_url = self.base_url.replace("http", "ws", 1)
        ws_url += f"/{prefix}/terminals/websocket/{terminal}"
        try:
            return asyncio.run(_type_in_terminal(ws_url, self.token, command))
        finally:
            self.request("DELETE", f"{prefix}/api/terminals/{terminal}")

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


async def _type_in_terminal(ws_url, token, command, timeout=120):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(
        HTTPRequest(ws_url, headers={"Authorization": f"token {token}"})
    )
    # Markers around the output, typed split in two so that only the output has them whole.
    start, end = uuid.uuid4().hex, uuid.uuid4().hex
    typed = f"echo {start[:8]}''{start[8:]}; {command}; echo {end[:8]}''{end[8:]}\r"
    await connection.write_message(json.dumps(["stdin", typed]))
    output = ""
    try:
        while end not in output:
            raw = await asyncio.wait_for(connection.read_message(), timeout)
            assert raw is not None, f"terminal closed; it printed:\n{output}"
            kind, *content = json.loads(raw)
            if kind == "stdout":
                output += content[0]
    finally:
        connection.close()
    return output.split(start, 1)[1].split(end, 1)[0].replace("\r", "").strip()


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


def _start_hub(settings, log_path, extra_env=None, prefix=None):
    """Start the hub from ``prefix`` (the installed course software) or from this checkout."""
    env = {**os.environ, **coursekit_hub.settings_environment(settings), **(extra_env or {})}
    if prefix is None:
        hub, hub_dir = Path(sys.executable).with_name("jupyterhub"), coursekit_hub.HUB_DIR
    else:
        hub, hub_dir = prefix / "bin" / "jupyterhub", prefix / "src" / "hub"
        env.pop("VIRTUAL_ENV", None)
        env["PATH"] = os.pathsep.join([str(prefix / "bin"), "/usr/sbin", "/usr/bin", "/bin"])
    command = [str(hub), "-f", str(hub_dir / "jupyterhub_config.py")]
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
    the hub wrote. Returns the seconds the hub took to stop.
    """
    started = time.monotonic()
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stopped = time.monotonic() - started
    process.log_file.close()
    proxy_pid = Path(state_dir) / "jupyterhub-proxy.pid"
    with contextlib.suppress(OSError, ValueError):
        pid = int(proxy_pid.read_text().strip())
        if b"configurable-http-proxy" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGTERM)
    return stopped


def _settings(base, **overrides):
    values = {
        "public_url": f"http://127.0.0.1:{coursekit_hub.free_port()}",
        "hub_url": f"http://127.0.0.1:{coursekit_hub.free_port()}",
        "proxy_api_url": f"http://127.0.0.1:{coursekit_hub.free_port()}",
        "formgrader_url": f"http://127.0.0.1:{coursekit_hub.free_port()}",
        "state_dir": base / "state",
        "course_dir": base / "course",
        "exchange": base / "exchange",
    }
    return coursekit_hub.HubSettings(**{**values, **overrides})


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


def _install_course_software(prefix):
    """Install the course software into ``prefix`` as hub/README.md does, without solutions.

    The README builds /opt/coursekit with pip: a virtual environment with the pinned
    requirements, coursekit installed from the package (``pip install``, not editable) and
    the hub's files under ``src/hub``. Here the requirements are not downloaded again: they
    are hard links to this checkout's ``.venv`` (``prefix`` must be on its file system), the
    console scripts and Jupyter's data are taken from ``.venv`` as pip wrote them, and only
    coursekit is installed, from a copy of the package's files.
    """
    venv = Path(sys.prefix)
    subprocess.run(
        [str(Path(sys.executable).resolve()), "-m", "venv", "--without-pip", str(prefix)],
        check=True,
    )
    purelib = Path(sysconfig.get_paths(vars={"base": str(prefix)})["purelib"])
    purelib.rmdir()
    subprocess.run(["cp", "-al", sysconfig.get_paths()["purelib"], str(purelib)], check=True)
    for entry in purelib.iterdir():  # the checkout's editable coursekit
        if entry.name.startswith(("__editable__", "coursekit-")) and "coursekit" in entry.name:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    source = prefix / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(course.REPO_ROOT / name, source)
    ignore = shutil.ignore_patterns("__pycache__", "node_modules", ".trial", "k8s")
    for name in ("coursekit", "hub"):
        shutil.copytree(course.REPO_ROOT / name, source / name, ignore=ignore)
    (source / "hub" / "node_modules").symlink_to(coursekit_hub.HUB_DIR / "node_modules")
    subprocess.run(
        [str(prefix / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps"]
        + ["--no-build-isolation", "--no-index", "--no-cache-dir", str(source)],
        check=True,
    )
    shutil.rmtree(source / "build", ignore_errors=True)
    shebang = f"#!{venv / 'bin' / 'python'}"
    for script in (venv / "bin").iterdir():
        target = prefix / "bin" / script.name
        if target.exists() or not script.is_file():
            continue
        with contextlib.suppress(UnicodeDecodeError):
            text = script.read_text()
            if text.startswith(shebang + "\n") or text.startswith(shebang + "3\n"):
                target.write_text(f"#!{prefix / 'bin' / 'python'}\n" + text.split("\n", 1)[1])
                target.chmod(0o755)
    for name in ("share", "etc"):  # JupyterLab's assets, kernel spec, server extensions
        if (venv / name).is_dir():
            (prefix / name).symlink_to(venv / name)


def _clone_course(course_dir, owner):
    """The grader's course directory: a clone of this repository, private to ``owner``.

    The working tree's nbgrader configuration, coursekit and assignment are copied over the
    clone's, so that what is tested is what is here, committed or not (nbgrader imports the
    course directory's coursekit first, and the installed one is built from the working tree).
    """
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(course.REPO_ROOT), str(course_dir)],
        check=True,
    )
    shutil.copy(course.REPO_ROOT / "nbgrader_config.py", course_dir)
    shutil.rmtree(course_dir / "coursekit")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(course.REPO_ROOT / "coursekit", course_dir / "coursekit", ignore=ignore)
    shutil.rmtree(course_dir / "solutions" / ASSIGNMENT)
    shutil.copytree(SOURCE_ROOT / ASSIGNMENT, course_dir / "solutions" / ASSIGNMENT)
    for path in [course_dir, *course_dir.rglob("*")]:
        os.lchown(path, owner.pw_uid, owner.pw_gid)
    course_dir.chmod(0o700)


def _as_user(name, *command, cwd="/"):
    """Run ``command`` as the Unix user ``name``; return the completed process."""
    return subprocess.run(
        ["runuser", "-u", name, "--", *command], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture
def system_hub():
    """The hub installed as hub/README.md does, running, with its accounts; cleaned up after."""
    if os.geteuid() != 0:
        pytest.skip("the system-mode hub test needs root: it creates Unix users (CI runs as root)")
    for tool in ("useradd", "usermod", "userdel", "groupadd", "chpasswd", "runuser", "git"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not available on this machine")
    coursekit_hub.proxy_command()  # fails with the install command when the proxy is missing
    requirements = Path(sysconfig.get_paths()["purelib"])
    for needed in (Path(sys.executable).resolve(), requirements, coursekit_hub.HUB_DIR):
        if not _world_usable(needed):
            pytest.fail(
                f"{needed} cannot be used by other users (a folder above it lacks o+x), so "
                "the students' servers could not run the course's Python. Create .venv from "
                "an interpreter every user can run (Debian: /usr/bin/python3.11, e.g. "
                "`rm -rf .venv && make PYTHON=/usr/bin/python3.11 test`) and keep the course "
                "where other users can read it."
            )
    source = SOURCE_ROOT / ASSIGNMENT / NOTEBOOK
    assert source.is_file(), f"{source} is missing"

    accounts = Accounts()
    base = Path(tempfile.mkdtemp(prefix="coursekit-hub-e2e-"))
    process = prefix = None
    try:
        base.chmod(0o755)
        accounts.group(STUDENTS_GROUP)
        accounts.group(INSTRUCTORS_GROUP)
        grader = accounts.user(GRADER, [])
        accounts.user(INSTRUCTOR, [INSTRUCTORS_GROUP])
        for name in STUDENTS:
            accounts.user(name, [STUDENTS_GROUP])

        # What hub/README.md installs: the software every user runs, without solutions ...
        prefix = Path(tempfile.mkdtemp(prefix=".hub-e2e-", dir=sys.prefix)) / "coursekit"
        prefix.parent.chmod(0o755)
        _install_course_software(prefix)
        # ... and the course repository, only in the grader's home (mode 0700).
        settings = _settings(
            base,
            grader_user=GRADER,
            cull_timeout=3600,
            course_dir=Path(grader.pw_dir) / "course",
        )
        Path(grader.pw_dir).chmod(0o700)
        _clone_course(settings.course_dir, grader)
        settings.state_dir.mkdir(mode=0o700)
        settings.exchange.mkdir()
        settings.exchange.chmod(0o1777)  # like /tmp: everyone may create, nobody may delete

        log_path = base / "jupyterhub.log"
        started = time.monotonic()
        process = _start_hub(settings, log_path, prefix=prefix)
        yield {
            "settings": settings,
            "passwords": accounts.passwords,
            "source": source,
            "log": log_path,
            "started": started,
            "prefix": prefix,
            "process": process,
        }
    finally:
        if process is not None:
            stop_seconds = _stop_hub(process, settings.state_dir)
            print(f"the hub stopped in {stop_seconds:.1f} s")
            if os.environ.get("COURSEKIT_HUB_TEST_LOG"):
                print(Path(log_path).read_text()[-20000:])
        accounts.remove()
        shutil.rmtree(base, ignore_errors=True)
        if prefix is not None:
            shutil.rmtree(prefix.parent, ignore_errors=True)


# ------------------------------------------------------------------------ the tests


def test_semester_round_trip(system_hub):
    """Release, fetch, solve, validate, submit, collect, autograde, feedback; bob kept out."""
    settings = system_hub["settings"]
    passwords = system_hub["passwords"]
    source = system_hub["source"]
    prefix = system_hub["prefix"]
    url = settings.public_url
    formgrader = "services/formgrader/formgrader/api"
    installed = [str(prefix / "bin" / "coursekit"), str(prefix / "bin" / "nbgrader")]

    # A wrong password is refused; the hub's groups follow the Unix groups.
    assert not HubClient(url, "alice", "not-her-password").logged_in
    instructor = HubClient(url, INSTRUCTOR, passwords[INSTRUCTOR])
    alice = HubClient(url, "alice", passwords["alice"])
    bob = HubClient(url, "bob", passwords["bob"])
    assert instructor.logged_in and alice.logged_in and bob.logged_in
    assert instructor.json("GET", "hub/api/user")["groups"] == [INSTRUCTORS_GROUP]
    assert alice.json("GET", "hub/api/user")["groups"] == [STUDENTS_GROUP]

    # The hub's home page shows the instructors (only) where grading happens.
    home = instructor.session.get(f"{url}/hub/home", timeout=30)
    panel = home.text.split('id="coursekit-grading"', 1)[1]
    assert re.search(r'href="([^"]*)"', panel).group(1) == "/services/formgrader/"
    assert "New &rarr; Terminal" in panel
    assert 'id="coursekit-grading"' not in alice.session.get(f"{url}/hub/home", timeout=30).text
    # The formgrader service opens JupyterLab with the formgrader in a tab (its links then open
    # notebooks in Lab); Lab may frame the formgrader's pages, which students' servers forbid.
    landing = instructor.request("GET", "services/formgrader/")
    assert landing.status_code == 200
    assert landing.url.startswith(f"{url}/services/formgrader/lab?formgrader=true")
    page = instructor.request("GET", "services/formgrader/formgrader/manage_assignments")
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    # Its terminal (the launcher's, File > New > Terminal) runs coursekit and nbgrader, in
    # the course directory: the guide's grading steps work as written.
    grading_terminal = instructor.run_in_terminal(
        "services/formgrader", "command -v coursekit nbgrader; pwd"
    )
    assert grading_terminal.splitlines() == [*installed, str(settings.course_dir)]
    # The roster gives the students their names (the formgrader showed "None, None").
    roster = settings.course_dir / "roster.csv"
    roster.write_text("id,first_name,last_name,email\nalice,Alice,Liddell,\nbob,Bob,Dylan,\n")
    os.chown(roster, pwd.getpwnam(GRADER).pw_uid, pwd.getpwnam(GRADER).pw_gid)
    imported = instructor.run_in_terminal(
        "services/formgrader", "nbgrader db student import roster.csv"
    )
    assert "Error" not in imported, imported
    students = {s["id"]: s for s in instructor.json("GET", f"{formgrader}/students")}
    assert (students["alice"]["first_name"], students["alice"]["last_name"]) == ("Alice", "Liddell")

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
    whoami = alice.run_python(
        "import getpass, os, coursekit; print(getpass.getuser(), os.getuid(), coursekit.__file__)"
    )
    user, uid, coursekit_file = whoami.split()
    assert [user, uid] == ["alice", str(pwd.getpwnam("alice").pw_uid)]
    assert coursekit_file.startswith(str(prefix) + "/"), coursekit_file  # the installed one
    # Her terminal finds the course's commands (`coursekit doctor` as the student guide says).
    assert alice.run_in_terminal("user/alice", "command -v coursekit nbgrader").splitlines() == (
        installed
    )
    # Her JupyterLab: no "Jupyter news" pop-up, no instructor tools, not framable; MathJax
    # for the feedback pages comes from her own server.
    lab = alice.request("GET", "user/alice/lab")
    assert lab.headers["Content-Security-Policy"].startswith("frame-ancestors 'none'")
    config_data = re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', lab.text, re.S)
    disabled = json.loads(config_data.group(1))["disabledExtensions"]
    assert "@jupyterlab/apputils-extension:announcements" in disabled
    assert "@jupyter/nbgrader:formgrader" in disabled
    mathjax = alice.request("GET", "user/alice/static/mathjax/es5/tex-chtml.js")
    served = coursekit_hub.HUB_DIR / "node_modules" / "mathjax" / "es5" / "tex-chtml.js"
    assert mathjax.status_code == 200 and mathjax.content == served.read_bytes()
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
        # The formgrader's dialog shows this log: no display_data_priority warnings in it.
        assert "display_data_priority" not in json.dumps(reply), reply
    score = rf"{max_points:g}(\.0+)?"
    hidden = _hidden_test_lines(source)
    assert hidden, "the assignment has no hidden tests to check"
    for student, expected in ((alice, score), (bob, r"0(\.0+)?")):
        page = _read_feedback(student)
        text = _visible_text(page)
        heading = rf"{ASSIGNMENT}\s*\(Score:\s*{expected}\s*/\s*{score}\)"
        assert re.search(heading, text), f"{student.name}'s feedback: {text[:3000]}"
        assert "HIDDEN TESTS" not in text
        # Formulas are typeset by MathJax from the student's server, not from a CDN.
        assert "static/mathjax/es5/tex-chtml.js" in page and "cdnjs" not in page
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

    # The solutions and hidden tests are only in the grader's course directory, a private
    # checkout: a student can read neither its files nor its git history, and the software
    # the students run holds no solutions.
    solution = f"solutions/{ASSIGNMENT}/{NOTEBOOK}"
    course_dir = str(settings.course_dir)
    assert (settings.course_dir / ".git").is_dir() and (settings.course_dir / solution).is_file()
    for command in (
        ["cat", f"{course_dir}/{solution}"],
        ["git", "-C", course_dir, "show", f"HEAD:{solution}"],
        ["ls", f"{course_dir}/.git"],
    ):
        done = _as_user("alice", *command)
        assert done.returncode != 0 and "HIDDEN TESTS" not in done.stdout, (command, done)
    found = [
        os.path.join(folder, name)
        for folder, folders, files in os.walk(prefix)
        for name in folders + files
        if name in ("solutions", ".git") or name == NOTEBOOK
    ]
    assert not found, found
    log = system_hub["log"].read_text()
    if not coursekit_hub.systemd_available():
        # No systemd here: servers are plain processes, and the hub says so.
        assert "Memory and CPU limits are NOT enforced" in log
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
