"""End-to-end tests of the course's JupyterHub, run as a user would: over HTTP on loopback.

``test_semester_round_trip`` installs the hub as hub/README.md does (the course software in a
prefix without solutions, the course repository as the grader account's private checkout),
starts ``jupyterhub_config.py`` in system mode (PAM logins, one process per Unix user) with
real system users, and drives a whole assignment cycle as the guides tell people to: what they
do in a browser in headless Chromium (Playwright; one browser context per user, logged in
through the hub's login form: the formgrader's buttons, commands typed into JupyterLab
terminals, the Assignment List, the notebook editor, Validate), with screenshots of every step
in ``_build/test-artifacts/hub-semester/``, and what a browser does not show (permissions,
grades, the feedback's HTML, what a student's kernel can read) through the hub's REST API, the
Jupyter server API of the servers it spawns and nbgrader's own endpoints. It needs root
(creating users, switching to them), as CI has; elsewhere it is skipped. ``test_trial_hub`` checks ``coursekit hub`` (trial mode), which any user can run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
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
from test_browser import ARTIFACTS, browser  # noqa: F401  (browser: the fixture)

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
STOP_LIMIT = 20  # seconds; the idle culler that ignored SIGTERM made it over 40


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
            return _run_async(_type_in_terminal(ws_url, self.token, command))
        finally:
            self.request("DELETE", f"{prefix}/api/terminals/{terminal}")

    def run_python(self, code):
        """Run ``code`` in a fresh kernel of the user's server; return what it printed."""
        kernel = self.json("POST", f"user/{self.name}/api/kernels", expect=201, json={})
        ws_url = self.base_url.replace("http", "ws", 1)
        ws_url += f"/user/{self.name}/api/kernels/{kernel['id']}/channels"
        try:
            return _run_async(_execute(ws_url, self.token, code))
        finally:
            self.request("DELETE", f"user/{self.name}/api/kernels/{kernel['id']}")


def _run_async(coroutine):
    """Run ``coroutine`` to its end in a thread of its own (Playwright's loop runs in this one)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


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


def _cell_source(client, path, grade_id):
    """The saved source of the cell ``grade_id`` of the notebook at ``path`` (contents API).

    None while the file is being written (the server answers 400: not JSON yet).
    """
    reply = client.request("GET", path, params={"content": "1"})
    if reply.status_code == 400:
        return None
    assert reply.status_code == 200, reply.text
    notebook = reply.json()["content"]
    for cell in notebook["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell["source"]
    raise AssertionError(f"no cell {grade_id} in {path}")


# ------------------------------------------------------------------------ browsers

LOAD_TIMEOUT_MS = 90_000  # JupyterLab's first load in headless Chromium on two busy cores
RUN_TIMEOUT_MS = 600_000  # validating or autograding runs the notebook
SHOTS = ARTIFACTS / "hub-semester"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>]")


class BrowserUser:
    """One person at their own browser (a context of its own: cookies, pages).

    Logs in through the hub's login form. Everything their terminals print reaches this
    object too: JupyterLab's terminal is xterm.js on a websocket, whose ``stdout`` messages
    are what the screen shows.
    """

    shot_number = 0
    open = []  # every user's browser, for screenshots when the test fails

    def __init__(self, chromium, url, name, password, next_url=None):
        self.url, self.name = url, name
        BrowserUser.open.append(self)
        self.context = chromium.new_context(viewport={"width": 1400, "height": 900})
        self.context.set_default_timeout(LOAD_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.terminal_output = ""
        self.page.on("websocket", self._watch_websocket)
        login = f"{url}/hub/login" + (f"?next={next_url}" if next_url else "")
        self.page.goto(login)
        self.page.fill("#username_input", name)
        self.page.fill("#password_input", password)
        self.page.click("#login_submit")
        self.page.wait_for_url(lambda u: "/hub/login" not in u, wait_until="commit")

    def _watch_websocket(self, websocket):
        if "/terminals/websocket/" in websocket.url:
            websocket.on("framereceived", self._terminal_frame)

    def _terminal_frame(self, payload):
        with contextlib.suppress(ValueError, TypeError):
            kind, *content = json.loads(payload)
            if kind == "stdout":
                self.terminal_output += content[0]

    def screenshot(self, what):
        BrowserUser.shot_number += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{BrowserUser.shot_number:02d}-{self.name}-{what}.png"
        self.page.screenshot(path=str(path), animations="disabled")

    def wait_for_lab(self):
        self.page.locator("#jp-main-dock-panel").wait_for(timeout=SPAWN_TIMEOUT * 1000)
        self.page.locator(".jp-DirListing-content").first.wait_for()

    def menu(self, title, command, submenu=None):
        """Click a command in JupyterLab's menu bar: *title* (> *submenu*) > the command."""
        page = self.page
        page.locator(".lm-MenuBar-item", has_text=title).first.click()
        if submenu:
            page.locator(".lm-Menu-item[data-type='submenu']", has_text=submenu).first.hover()
        page.locator(f".lm-Menu-item[data-command='{command}']").last.click()

    def open_terminal(self):
        """*File > New > Terminal*; waits for the shell's prompt."""
        before = self.page.locator(".jp-Terminal").count()
        self.menu("File", "terminal:create-new", submenu="New")
        terminal = self.page.locator(".jp-Terminal").nth(before)
        terminal.locator(".xterm-screen").wait_for()
        deadline = time.monotonic() + 60
        while not re.search(r"[$#]\s*$", _ANSI.sub("", self.terminal_output)):
            assert time.monotonic() < deadline, f"no prompt: {self.terminal_output!r}"
            self.page.wait_for_timeout(200)
        terminal.locator(".xterm-screen").click()

    def type_command(self, command, timeout=300):
        """Type ``command`` into the open terminal; return (exit status, what it printed).

        The command is followed on its line by an echo of a marker (split in two by quotes, so
        that only the output has it whole) and the command's exit status.
        """
        marker = uuid.uuid4().hex
        start = len(self.terminal_output)
        self.page.keyboard.type(f"{command}; echo {marker[:8]}''{marker[8:]} $?\n")
        deadline = time.monotonic() + timeout
        while True:
            output = _ANSI.sub("", self.terminal_output[start:]).replace("\r", "")
            done = re.search(rf"{marker} (\d+)", output)
            if done:
                break
            assert time.monotonic() < deadline, f"{command!r} did not finish:\n{output}"
            self.page.wait_for_timeout(300)
        printed = output[: done.start()].split("\n", 1)[-1]
        return int(done.group(1)), printed

    def assignment_list(self):
        """*Nbgrader > Assignment List* (or its tab, when open), refreshed."""
        tab = self.page.locator(".lm-TabBar-tab", has_text=re.compile(r"^Assignments$"))
        if tab.count():
            tab.click()
            self.page.locator("#refresh_assignments_list").click()
        else:
            self.menu("Nbgrader", "nbgrader:open-assignment-list")
        return self.page.locator(".nbgrader-mainarea-widget").last

    def close(self):
        BrowserUser.open.remove(self)
        self.context.close()

    @classmethod
    @contextlib.contextmanager
    def screenshots_on_failure(cls):
        """On an error, a screenshot of every open browser (``NN-name-failed.png``)."""
        try:
            yield
        except BaseException:
            for user in cls.open:
                with contextlib.suppress(Exception):
                    user.screenshot("failed")
            raise
        finally:
            cls.open = []


def _formgrader_row(frame, assignment):
    """The row of ``assignment`` on the formgrader's Manage Assignments page."""
    return frame.locator("tbody tr", has=frame.locator("td.name", has_text=assignment))


def _formgrader_step(instructor, frame, button, success):
    """Click a button of the assignment's row in the formgrader; wait for its success dialog."""
    _formgrader_row(frame, ASSIGNMENT).locator(f"td.{button} a").click()
    modal = frame.locator("#success-modal, #error-modal")
    modal.wait_for(timeout=RUN_TIMEOUT_MS)
    text = modal.inner_text()
    assert success in text, text
    instructor.screenshot(button)
    modal.locator(".modal-footer button").click()
    modal.wait_for(state="detached")
    return text


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
            running = process.poll() is None  # (the round trip stops it itself, and says so)
            stop_seconds = _stop_hub(process, settings.state_dir)
            if running:
                print(f"the hub stopped in {stop_seconds:.1f} s")
            if os.environ.get("COURSEKIT_HUB_TEST_LOG"):
                print(Path(log_path).read_text()[-20000:])
        accounts.remove()
        shutil.rmtree(base, ignore_errors=True)
        if prefix is not None:
            shutil.rmtree(prefix.parent, ignore_errors=True)


# ------------------------------------------------------------------------ the tests


def test_semester_round_trip(system_hub, browser):  # noqa: F811  (browser: the fixture)
    """A semester in the browser: release, fetch, solve, validate, submit, collect, autograde,
    feedback, as the guides say; bob kept out of alice's work and the hidden tests."""
    with BrowserUser.screenshots_on_failure():
        _semester_round_trip(system_hub, browser)


def _semester_round_trip(system_hub, browser):  # noqa: F811  (browser: the fixture)
    from playwright.sync_api import expect

    settings = system_hub["settings"]
    passwords = system_hub["passwords"]
    source = system_hub["source"]
    prefix = system_hub["prefix"]
    url = settings.public_url
    formgrader = "services/formgrader/formgrader/api"
    installed = [str(prefix / "bin" / "coursekit"), str(prefix / "bin" / "nbgrader")]
    shutil.rmtree(SHOTS, ignore_errors=True)
    BrowserUser.shot_number = 0

    # A wrong password is refused; the hub's groups follow the Unix groups. (These sessions
    # are the users' API tokens, for the checks a browser does not show.)
    assert not HubClient(url, "alice", "not-her-password").logged_in
    instructor = HubClient(url, INSTRUCTOR, passwords[INSTRUCTOR])
    alice = HubClient(url, "alice", passwords["alice"])
    bob = HubClient(url, "bob", passwords["bob"])
    assert instructor.logged_in and alice.logged_in and bob.logged_in
    assert instructor.json("GET", "hub/api/user")["groups"] == [INSTRUCTORS_GROUP]
    assert alice.json("GET", "hub/api/user")["groups"] == [STUDENTS_GROUP]
    assert 'id="coursekit-grading"' not in alice.session.get(f"{url}/hub/home", timeout=30).text

    # The instructor logs in; the home page's Grading panel leads to the formgrader, which
    # is JupyterLab with the Formgrader tab open.
    teacher = BrowserUser(browser, url, INSTRUCTOR, passwords[INSTRUCTOR], next_url="/hub/home")
    panel = teacher.page.locator("#coursekit-grading")
    assert "File → New → Terminal" in panel.inner_text()
    teacher.screenshot("home")
    link = panel.locator("a[href$='/services/formgrader/']")
    assert link.get_attribute("href") == "/services/formgrader/"
    link.click()
    teacher.page.wait_for_url("**/services/formgrader/lab?formgrader=true*", wait_until="commit")
    formgrader_frame = teacher.page.frame_locator("#formgrader-iframe iframe")
    _formgrader_row(formgrader_frame, ASSIGNMENT).locator("td.assign a").wait_for()
    # Lab may frame the formgrader's pages, which students' servers forbid.
    page = instructor.request("GET", "services/formgrader/formgrader/manage_assignments")
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    teacher.screenshot("formgrader")

    # Its terminal (File > New > Terminal) runs coursekit and nbgrader in the course
    # directory; the roster gives the students their names (else "None, None").
    teacher.open_terminal()
    status, printed = teacher.type_command("command -v coursekit nbgrader; pwd")
    assert status == 0 and printed.split() == [*installed, str(settings.course_dir)], printed
    roster = settings.course_dir / "roster.csv"
    roster.write_text("id,first_name,last_name,email\nalice,Alice,Liddell,\nbob,Bob,Dylan,\n")
    os.chown(roster, pwd.getpwnam(GRADER).pw_uid, pwd.getpwnam(GRADER).pw_gid)
    status, printed = teacher.type_command("nbgrader db student import roster.csv")
    assert status == 0 and "Error" not in printed, printed
    teacher.screenshot("roster-import")
    students = {s["id"]: s for s in instructor.json("GET", f"{formgrader}/students")}
    assert (students["alice"]["first_name"], students["alice"]["last_name"]) == ("Alice", "Liddell")

    # Generate and Release: the formgrader's buttons.
    teacher.page.locator(".lm-TabBar-tab", has_text="Formgrader").click()
    _formgrader_step(
        teacher, formgrader_frame, "assign", "Successfully created the student version"
    )
    _formgrader_step(teacher, formgrader_frame, "release", f"Successfully released '{ASSIGNMENT}'")
    # Students may not open the formgrader, and their own servers do not offer it.
    assert alice.request("GET", f"{formgrader}/assignments").status_code == 403

    # alice logs in: her server starts as her Unix user and JupyterLab opens.
    student = BrowserUser(browser, url, "alice", passwords["alice"])
    student.wait_for_lab()
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
    assert student.page.get_by_text("official Jupyter news").count() == 0
    mathjax = alice.request("GET", "user/alice/static/mathjax/es5/tex-chtml.js")
    served = coursekit_hub.HUB_DIR / "node_modules" / "mathjax" / "es5" / "tex-chtml.js"
    assert mathjax.status_code == 200 and mathjax.content == served.read_bytes()

    # Nbgrader > Assignment List > Fetch.
    listing = student.assignment_list()
    listing.locator("#released_assignments_list").get_by_role("button", name="Fetch").click()
    fetched = listing.locator("#fetched_assignments_list")
    fetched.get_by_role("button", name="Submit").wait_for()
    student.screenshot("fetched")
    assert alice.assignments()[ASSIGNMENT]["status"] == "fetched"
    home = Path(pwd.getpwnam("alice").pw_dir)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700  # the hub made her home private
    assert (home / ASSIGNMENT / NOTEBOOK).stat().st_uid == pwd.getpwnam("alice").pw_uid

    # She has written every function but `step` (saved through the contents API before she
    # opens the notebook, so that no open editor holds an older copy) ...
    path = f"user/alice/api/contents/{ASSIGNMENT}/{NOTEBOOK}"
    notebook = alice.json("GET", path, params={"content": "1"})["content"]
    solutions = _solution_sources(source)
    typed = "step"
    others = {grade_id: code for grade_id, code in solutions.items() if grade_id != typed}
    assert _fill_in_solutions(notebook, others) == len(solutions) - 1 > 0
    alice.json("PUT", path, json={"type": "notebook", "format": "json", "content": notebook})
    # ... opens it from the file browser, runs the setup cell and writes `step` in its cell.
    student.page.locator(".jp-FileBrowser [data-command='filebrowser:refresh']").click()
    files = student.page.locator(".jp-DirListing-content")
    files.locator(".jp-DirListing-item", has_text=ASSIGNMENT).first.dblclick()
    files.locator(".jp-DirListing-item", has_text=NOTEBOOK).first.dblclick()
    cells = student.page.locator(".jp-NotebookPanel .jp-Cell")
    setup = cells.nth(1)
    assert "import coursekit" in setup.locator(".cm-content").inner_text()
    # (once its kernel is connected: the status bar says "Python 3 (ipykernel) | Idle"; Lab
    # drops a cell run before that)
    status_bar = student.page.locator("#jp-main-statusbar")
    status_bar.get_by_text(re.compile(r"\|\s*Idle$")).wait_for()
    toolbar = student.page.locator(".jp-NotebookPanel-toolbar")
    setup.locator(".jp-InputPrompt").click()  # selects the cell
    expect(setup).to_have_class(re.compile(r"\bjp-mod-active\b"))
    toolbar.locator("[data-command='notebook:run-cell-and-select-next']").click()
    expect(setup.locator(".jp-InputPrompt")).to_have_text("[1]:", timeout=RUN_TIMEOUT_MS)
    assert setup.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0
    student.screenshot("setup-cell")
    cell = cells.nth(3)
    assert "def step(" in cell.locator(".cm-content").inner_text()
    cell.locator(".cm-content").click()
    expect(cell).to_have_class(re.compile(r"\bjp-mod-active\b"))
    expect(cell.locator(".cm-editor")).to_have_class(re.compile(r"\bcm-focused\b"))
    student.page.keyboard.press("ControlOrMeta+a")
    student.page.keyboard.insert_text(solutions[typed])
    student.page.keyboard.press("ControlOrMeta+s")
    deadline = time.monotonic() + 60
    while _cell_source(alice, path, typed) != solutions[typed]:
        assert time.monotonic() < deadline, _cell_source(alice, path, typed)
        student.page.wait_for_timeout(300)
    student.screenshot("step-written")
    # Validate (the notebook's toolbar button) runs it in a fresh kernel: every test passes.
    toolbar.locator(".validate-button").click()
    dialog = student.page.locator(".jp-Dialog")
    dialog.locator(".validation-success, .validation-failed, .validation-changed").first.wait_for(
        timeout=RUN_TIMEOUT_MS
    )
    assert "Success! Your notebook passes all the tests." in dialog.inner_text()
    student.screenshot("validated")
    dialog.locator(".jp-mod-accept").click()
    # Submit, in the Assignment List.
    listing = student.assignment_list()
    listing.locator("#fetched_assignments_list").get_by_role("button", name="Submit").click()
    listing.locator("#submitted_assignments_list .list_item").first.wait_for()
    student.screenshot("submitted")
    assert alice.assignments()[ASSIGNMENT]["status"] == "submitted"

    # bob fetches too. He implements nothing, but one of his cells tries to read the hidden
    # tests from the course's checkout (he saves it through his server; the cell then fails
    # at grading, and the static review flags it): his feedback must wait for the instructor.
    other = BrowserUser(browser, url, "bob", passwords["bob"])
    other.wait_for_lab()
    listing = other.assignment_list()
    listing.locator("#released_assignments_list").get_by_role("button", name="Fetch").click()
    listing.locator("#fetched_assignments_list").get_by_role("button", name="Submit").wait_for()
    saved = f"user/bob/api/contents/{ASSIGNMENT}/{NOTEBOOK}"
    notebook = bob.json("GET", saved)["content"]
    cell = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("solution"))
    attack = f"{settings.course_dir}/solutions/{ASSIGNMENT}/{NOTEBOOK}"
    cell["source"] += f"\nanswers = open({attack!r}).read()\n"
    bob.json("PUT", saved, json={"type": "notebook", "format": "json", "content": notebook})
    listing.locator("#fetched_assignments_list").get_by_role("button", name="Submit").click()
    listing.locator("#submitted_assignments_list .list_item").first.wait_for()
    other.screenshot("submitted")
    # ... and tries, in his terminal, to read alice's work and the hidden tests: her home,
    # the exchange's inbound folder (also as nbgrader lists it), the course checkout and its
    # git history.
    inbound = settings.exchange / COURSE_ID / "inbound"
    course_dir = str(settings.course_dir)
    solution = f"solutions/{ASSIGNMENT}/{NOTEBOOK}"
    other.open_terminal()
    for command in (
        f"cat {home / ASSIGNMENT / NOTEBOOK}",
        f"ls {home}",
        f"ls {inbound}",
        f"nbgrader list --inbound --course {COURSE_ID}",
        f"ls {course_dir}/solutions",
        f"git -C {course_dir} show HEAD:{solution}",
        f"cat {course_dir}/{solution}",
    ):
        status, printed = other.type_command(command)
        assert "HIDDEN TESTS" not in printed and "alice+" not in printed, (command, printed)
        if command.startswith("nbgrader"):
            assert "alice" not in printed, printed  # lists nothing of hers
        else:
            assert status != 0 and "ermission denied" in printed, (command, printed)
    other.screenshot("terminal-refused")
    # In his browser: alice's server's files API, the formgrader and the hub's formgrader
    # links are refused too.
    for target, refused in (
        (f"user/alice/api/contents/{ASSIGNMENT}", (403, 404)),
        ("user/alice/files/" + f"{ASSIGNMENT}/{NOTEBOOK}", (403, 404)),
        (f"services/formgrader/api/contents/{solution}", (403,)),
        ("services/formgrader/lab", (403,)),
        (f"tree/{solution}", (404,)),
        (f"notebooks/{solution}", (404,)),
        ("services/formgrader/formgrader/manage_assignments", (403,)),  # (the screenshot)
    ):
        reply = other.page.goto(f"{url}/{target}")
        assert reply.status in refused, (target, reply.status, reply.url)
        assert "HIDDEN TESTS" not in other.page.content(), target
    other.screenshot("formgrader-refused")
    other.close()

    # The instructor collects (the formgrader's button) and autogrades in the terminal.
    teacher.page.locator(".lm-TabBar-tab", has_text="Formgrader").click()
    _formgrader_step(teacher, formgrader_frame, "collect", "Successfully collected submissions")
    teacher.page.locator(".lm-TabBar-tab", has_text=f"{GRADER}@").first.click()  # the terminal
    teacher.page.locator(".jp-Terminal .xterm-screen").first.click()
    status, printed = teacher.type_command(
        f"coursekit autograde {ASSIGNMENT} --jobs 2", timeout=RUN_TIMEOUT_MS / 1000
    )
    teacher.screenshot("autograde")
    assert status == 0 and "graded 2 submission(s)" in printed, printed
    max_points = _max_points(source)
    alice_grade = instructor.json("GET", f"{formgrader}/submission/{ASSIGNMENT}/alice")
    bob_grade = instructor.json("GET", f"{formgrader}/submission/{ASSIGNMENT}/bob")
    assert alice_grade["max_score"] == pytest.approx(max_points) and max_points > 0
    assert alice_grade["score"] == pytest.approx(max_points), alice_grade
    assert bob_grade["score"] == 0, bob_grade
    status, printed = teacher.type_command(f"coursekit review {ASSIGNMENT}")
    teacher.screenshot("review")
    assert status == 0 and "1 of 2 submission(s) flagged" in printed, printed
    assert re.search(r"bob\b[\s\S]*grading files", printed), printed  # bob's open(...)

    # Feedback: `coursekit feedback --release` in the terminal; no display_data_priority
    # warnings in its log (nor in the formgrader's dialog, which shows nbgrader's log).
    # bob's is held back until the instructor has looked at his submission ...
    status, printed = teacher.type_command(f"coursekit feedback {ASSIGNMENT} --release")
    teacher.screenshot("feedback")
    assert status == 0 and "released feedback to 1 student(s)" in printed, printed
    assert "held back 1 flagged submission(s): bob" in printed, printed
    assert "display_data_priority" not in printed, printed
    reply = instructor.json("POST", f"{formgrader}/assignment/{ASSIGNMENT}/generate_feedback")
    assert reply["success"] and "display_data_priority" not in json.dumps(reply), reply
    assert not bob.assignments("fetch_feedback", assignment_id=ASSIGNMENT)[ASSIGNMENT][
        "submissions"
    ][0]["has_local_feedback"]
    # ... by the formgrader's Release feedback button too ...
    teacher.page.locator(".lm-TabBar-tab", has_text="Formgrader").click()
    logged = _formgrader_step(
        teacher, formgrader_frame, "release-feedback", "Successfully released feedback"
    )
    assert "Holding back the feedback of flagged submissions" in logged, logged
    assert not bob.assignments("fetch_feedback", assignment_id=ASSIGNMENT)[ASSIGNMENT][
        "submissions"
    ][0]["has_local_feedback"]
    # ... and released once the instructor has reviewed it.
    teacher.page.locator(".lm-TabBar-tab", has_text=f"{GRADER}@").first.click()
    teacher.page.locator(".jp-Terminal .xterm-screen").first.click()
    status, printed = teacher.type_command(
        f"coursekit feedback {ASSIGNMENT} --release --reviewed bob"
    )
    assert status == 0 and "released feedback to 2 student(s)" in printed, printed
    # The grades: `coursekit export`.
    status, printed = teacher.type_command("coursekit export")
    teacher.screenshot("export")
    assert status == 0, printed
    written = re.search(r"wrote (\S*grades\.csv)", printed).group(1)
    with open(settings.course_dir / written, newline="") as table:
        rows = {row["student_id"]: row for row in csv.DictReader(table)}
    assert float(rows["alice"]["score"]) == pytest.approx(max_points), rows
    assert float(rows["bob"]["score"]) == 0, rows

    # alice fetches her feedback in the Assignment List and opens it: full marks, and no
    # hidden test's code.
    listing = student.assignment_list()
    submitted = listing.locator("#submitted_assignments_list")
    submitted.get_by_role("button", name="Fetch Feedback").click()
    submitted.get_by_text("(view feedback)").click()
    files = student.page.locator(".jp-DirListing-content")
    files.locator(".jp-DirListing-item", has_text=f"{ASSIGNMENT}.html").first.dblclick()
    shown = student.page.frame_locator(".jp-HTMLViewer iframe").locator("body")
    score = rf"{max_points:g}(\.0+)?"
    heading = re.compile(rf"{ASSIGNMENT}\s*\(Score:\s*{score}\s*/\s*{score}\)")
    expect(shown).to_contain_text(heading, timeout=LOAD_TIMEOUT_MS)
    student.screenshot("feedback")
    leaked = [line for line in _hidden_test_lines(source) if line in _squash(shown.inner_text())]
    assert not leaked, f"alice's feedback page shows hidden tests: {leaked[:3]}"
    student.close()
    teacher.close()

    # Each student's feedback page: the score, no hidden tests, MathJax from their server.
    hidden = _hidden_test_lines(source)
    assert hidden, "the assignment has no hidden tests to check"
    for client, expected in ((alice, score), (bob, r"0(\.0+)?")):
        page = _read_feedback(client)
        text = _visible_text(page)
        heading = rf"{ASSIGNMENT}\s*\(Score:\s*{expected}\s*/\s*{score}\)"
        assert re.search(heading, text), f"{client.name}'s feedback: {text[:3000]}"
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
        assert not leaked, f"{client.name}'s feedback shows hidden tests: {leaked[:3]}"
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
    # The hub stops promptly: its services (the idle culler, the formgrader) and the users'
    # servers end on SIGTERM, so systemd's stop is not a 40-second wait and a SIGKILL.
    seconds = _stop_hub(system_hub["process"], settings.state_dir)
    print(f"the hub stopped in {seconds:.1f} s")
    assert seconds < STOP_LIMIT, f"the hub took {seconds:.1f} s to stop (at most {STOP_LIMIT})"


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
