"""Two processes per submission: the sandboxed student kernel and the grader.

:class:`TwoProcessExecute` is nbgrader's ``Execute`` preprocessor with one change: test cells
never reach the student's process. ``nbgrader_config.py`` makes it the autograde
preprocessor, so ``coursekit autograde``, ``nbgrader autograde`` and the formgrader's
*Autograde* button all grade this way.

1. The **student process** is a Jupyter kernel started inside the sandbox
   (:mod:`coursekit.grader.bwrap`), connected through unix sockets in the submission's box.
   It runs every code cell that is not a test, in notebook order: the student's answers and
   the locked cells the instructor wrote. It never receives the source of a test cell.
2. The **grader** (this process) then runs the setup cell and the test cells, in order, in a
   namespace of its own. The names a test cell needs and does not define
   (:func:`coursekit.grader.names.needed_names`) come from the student process as plain data
   (:mod:`coursekit.grader.wire`); a function arrives as a :class:`RemoteFunction`, which
   runs in the student process with the arguments sent over (under the test cell's NumPy
   floating-point rules, ``np.errstate``). Test cells see the student's
   names as the notebook left them after its last cell.
3. Calls inside ``coursekit.grading.numpy_only()`` run in a second student process whose
   sandbox has no TensorFlow, Keras, SciPy, scikit-learn, PyTorch or JAX (it reruns the same
   cells first). A NumPy-only notebook (``metadata.coursekit.profile == "numpy"`` in the
   source notebook) has only that process.

The student process can lie in what it sends (it is the student's process), but all it can
send is plain data, which is all the tests look at.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import io
import json
import operator
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from queue import Empty

from . import bwrap, wire
from .names import bound_names, mentioned_names, needed_names

__all__ = ["SETTINGS_ENV", "RemoteFunction", "StudentError"]  # and TwoProcessExecute (lazy)

SETTINGS_ENV = "COURSEKIT_GRADER"  # JSON from coursekit autograde: uid, memory, report, unsafe
DEFAULT_MEMORY = 4 * 1024**3
_BUILTIN_NAMES = frozenset(dir(builtins))


class StudentError(Exception):
    """The grading interface itself failed (no reply, a malformed reply, a dead kernel)."""


class CellTimeoutError(TimeoutError):
    """The student's code called by a test ran past the cell time limit (it was interrupted)."""


class KernelDied(StudentError):
    """The student's kernel is gone (the student's code exited or crashed it)."""


def _settings():
    settings = json.loads(os.environ.get(SETTINGS_ENV) or "{}")
    settings.setdefault("memory", DEFAULT_MEMORY)
    settings.setdefault("uid", bwrap.UID_BASE if os.geteuid() == 0 else None)
    return settings


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test(cell):
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and "grade_id" in meta


def is_setup(cell):
    """The locked cell that imports what the tests use: it runs in both processes."""
    meta = _nbgrader(cell)
    return (
        cell.get("cell_type") == "code"
        and meta.get("grade_id") == "setup"
        and bool(meta.get("locked"))
        and not meta.get("grade")
        and not meta.get("solution")
    )


# ---------------------------------------------------------------------------------------
# The box: the only folder the student process shares with the grader
# ---------------------------------------------------------------------------------------


class Box:
    """The submission's scratch folder as the sandbox sees it.

    ``run/`` holds the kernel's connection file and sockets, ``work/`` is its working folder
    (a copy of the files the assignment ships), ``home/`` its home, and ``x/`` the request
    folders of the grading interface (created by the grader, handed to the sandbox's user).
    """

    def __init__(self, path, uid, *, mpl_cache=None):
        self.path = Path(path)
        self.uid = uid if os.geteuid() == 0 else None
        self.path.mkdir(mode=0o755, parents=True, exist_ok=False)
        for name in ("run", "work", "home", "home/.config"):
            (self.path / name).mkdir(mode=0o700)
            self._own(self.path / name)
        if mpl_cache and Path(mpl_cache).is_dir():  # matplotlib's font cache, built once
            target = self.path / "home" / ".config" / "matplotlib"
            shutil.copytree(mpl_cache, target, symlinks=False)
            for item in [target, *target.rglob("*")]:
                self._own(item)
        (self.path / "x").mkdir(mode=0o755)
        self.scratch = Path(self.path.parent / f"{self.path.name}-private")
        self.scratch.mkdir(mode=0o700)
        self._counter = 0

    def _own(self, path):
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)

    def request_folder(self):
        self._counter += 1
        path = self.path / "x" / f"r{self._counter}-{secrets.token_hex(4)}"
        path.mkdir(mode=0o700)
        return path

    def hand_over(self, path):
        """Let the sandbox's user write the request folder (after the grader wrote into it)."""
        self._own(path)

    def copy_work_files(self, folder):
        """Copy the non-notebook files of the submission (data an assignment ships)."""
        for item in Path(folder).iterdir():
            if item.suffix == ".ipynb" or item.name.startswith(".") or item.is_symlink():
                continue
            target = self.path / "work" / item.name
            if item.is_dir():
                shutil.copytree(item, target, symlinks=False, ignore_dangling_symlinks=True)
            elif item.is_file():
                shutil.copy(item, target)
        for path in (self.path / "work").rglob("*"):
            if not path.is_symlink():
                self._own(path)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)


class ExternalBox(Box):
    """A box another container made, with the student's kernel already running in it.

    Kubernetes (:mod:`coursekit.grader.kubernetes`): the pod's student container runs
    ``python -m coursekit.grader.podkernel /box``; the grader container shares ``/box`` and
    the pod's group, so request folders are group-writable instead of handed over.
    """

    def __init__(self, path):  # noqa: D107  (the folder exists: nothing to lay out)
        self.path, self.uid = Path(path), None
        (self.path / "x").mkdir(mode=0o770, exist_ok=True)
        self.scratch = Path(tempfile.mkdtemp(prefix="coursekit-scratch-"))
        self._counter = 0

    def request_folder(self):
        path = super().request_folder()
        path.chmod(0o770)
        return path

    def hand_over(self, path):
        for item in [path, *path.iterdir()]:
            item.chmod(0o770 if item.is_dir() else 0o660)

    def remove(self):
        shutil.rmtree(self.path / "x", ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)


def _external_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class ExternalKernelManager(AsyncKernelManager):
        """The kernel of another container: connect through its connection file, start none."""

        def __init__(self, *, box, **kwargs):
            super().__init__(connection_file=str(box.path / "kernel.json"), **kwargs)
            self.box, self._started = box, False

        @property
        def has_kernel(self):
            return self._started

        async def _async_start_kernel(self, **kwargs):
            import asyncio

            for _ in range(600):  # the student container may start after this one
                if (self.box.path / "kernel.json").is_file():
                    info = json.loads((self.box.path / "kernel.json").read_text())
                    sockets = [f"{info['ip']}-{info[key]}" for key in info if key.endswith("_port")]
                    if all(Path(socket).exists() for socket in sockets):
                        break
                await asyncio.sleep(0.5)
            self.load_connection_file()
            self._started = True

        start_kernel = _async_start_kernel

        async def _async_is_alive(self):
            return self._started

        is_alive = _async_is_alive

        def _control(self, kind, content, timeout=10):
            """Send a control message (no signal crosses containers) and wait for its reply;
            returns the reply, or None when none came in ``timeout`` seconds."""
            from jupyter_client.blocking import BlockingKernelClient

            client = BlockingKernelClient(connection_file=self.connection_file)
            client.load_connection_file()
            client.start_channels(shell=False, iopub=False, stdin=False, hb=False)
            try:
                client.control_channel.send(client.session.msg(kind, content=content))
                with contextlib.suppress(Exception):
                    return client.control_channel.get_msg(timeout=timeout)
                return None
            finally:
                client.stop_channels()

        async def _async_interrupt_kernel(self):
            self._control("interrupt_request", {})

        interrupt_kernel = _async_interrupt_kernel

        async def _async_shutdown_kernel(self, now=False, restart=False):
            import asyncio

            if self._started:
                # The student container ends when its kernel does. A kernel that still answers
                # after the request (one lost on a loaded machine: the pod would wait for its
                # deadline) gets it again.
                for _ in range(3):
                    self._control("shutdown_request", {"restart": False})
                    await asyncio.sleep(1.0)
                    if self._control("kernel_info_request", {}, timeout=2) is None:
                        break
                self._started = False

        shutdown_kernel = _async_shutdown_kernel

    return ExternalKernelManager


# passed on to the student process from the grader's environment, where set
_INHERITED_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "COURSEKIT_DATA",
    "COURSEKIT_OFFLINE",
    "CUDA_VISIBLE_DEVICES",
)


def _student_env(box):
    from ..course import GRADING_ENV

    home = box.path / "home"
    return {
        "PATH": f"{Path(bwrap.python()).parent}:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "JPY_PARENT_PID": "1",  # the sandbox's init: the kernel ends with it
        "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(box.path / "run"),
        "MPLCONFIGDIR": str(home / ".config" / "matplotlib"),
        "KERAS_HOME": str(home / ".keras"),
        **GRADING_ENV,
        **{key: os.environ[key] for key in _INHERITED_ENV if key in os.environ},
    }


def _data_folders():
    folders = []
    with contextlib.suppress(Exception):
        from .. import data

        folders.append(str(data.fashion_mnist_dir()))
    if os.environ.get("COURSEKIT_DATA"):
        folders.append(os.environ["COURSEKIT_DATA"])
    return folders


def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class SandboxedKernelManager(AsyncKernelManager):
        """A kernel in the sandbox, reached through unix sockets in the box (IPC transport)."""

        def __init__(self, *, box, profile, settings, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", str(box.path / "run" / profile[0]))
            kwargs.setdefault("connection_file", str(box.path / "run" / f"{profile}.json"))
            super().__init__(**kwargs)
            self.box, self.profile, self.settings = box, profile, settings

        def write_connection_file(self, **kwargs):
            super().write_connection_file(**kwargs)
            self.box._own(Path(self.connection_file))

        def format_kernel_cmd(self, extra_arguments=None):
            command = super().format_kernel_cmd(extra_arguments=extra_arguments)
            if command and command[0] == sys.executable:
                command[0] = bwrap.python()
            if self.settings.get("unsafe"):
                return command
            return bwrap.command(
                command,
                self.box.path,
                profile=self.profile,
                memory=self.settings["memory"],
                env=_student_env(self.box),
                data=_data_folders(),
                uid=self.box.uid,
            )

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if self.settings.get("unsafe"):
                kw["env"] = _student_env(self.box)
            kw["cwd"] = str(self.box.path / "work")
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return SandboxedKernelManager


# ---------------------------------------------------------------------------------------
# The grading interface, grader side
# ---------------------------------------------------------------------------------------


def _reconstruct(info):
    """An exception like the one the student's code raised (a built-in class, or a subclass)."""
    bases = [getattr(builtins, name, None) for name in info.get("bases", [])]
    bases = [cls for cls in bases if isinstance(cls, type) and issubclass(cls, Exception)]
    base = bases[0] if bases else RuntimeError
    name = str(info.get("type", "Exception"))[:100]
    message = str(info.get("message", ""))
    if base.__name__ == name:
        kind = base
    else:
        kind = type(name if name.isidentifier() else "StudentException", (base,), {})
        kind.__module__ = "student"
    try:
        return kind(message)
    except Exception:  # noqa: BLE001  (an exception class with other arguments)
        return RuntimeError(f"{name}: {message}")


def _apply_in_place(target, new):
    """Give ``target`` the state the student's function left its copy in."""
    import numpy as np

    with contextlib.suppress(Exception):
        if type(target) is np.ndarray and isinstance(new, np.ndarray):
            if target.shape == new.shape and target.flags.writeable:
                target[...] = new
        elif type(target) is list and isinstance(new, list):
            target[:] = new
        elif type(target) is dict and isinstance(new, dict):
            target.clear()
            target.update(new)
        elif wire._is_keras(target, "Model") and wire._is_keras(new, "Model"):
            target.trainable = new.trainable
            for mine, theirs in zip(target.layers, new.layers, strict=False):
                mine.trainable = theirs.trainable
            if len(target.weights) == len(new.weights):
                target.set_weights(new.get_weights())


def _at(value, path):
    return functools.reduce(operator.getitem, path, value)


def _link_shared_layers(result, arguments, shared):
    """Record on the grader's copies which layers the student's models share (not copy).

    Sets ``model._coursekit_shared[layer name] = (other model, its layer name)``; the check
    :func:`coursekit.grading.shares_layer` reads it. This is what the student process
    reported: the one fact the grader cannot see in a copy (see the grading guide).
    """
    if not isinstance(shared, list):
        return
    for entry in shared[:10_000]:
        with contextlib.suppress(Exception):
            path, name, (kind, where), other_name = entry
            model = _at(result, path)
            other = arguments[where] if kind == "arg" else _at(result, where)
            if wire._is_keras(model, "Model") and wire._is_keras(other, "Model"):
                links = model.__dict__.setdefault("_coursekit_shared", {})
                links[str(name)] = (other, str(other_name))


class RemoteFunction:
    """A function of the student's, called in the student process with plain-data arguments."""

    def __init__(self, client, name, display_name):
        self._client, self._name = client, name
        self.__name__ = self.__qualname__ = str(display_name)[:100]

    def __repr__(self):
        return f"<student function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        return self._client.call(self._name, args, kwargs)


class StudentClient:
    """Sends lookups and calls to a student kernel and reads its replies."""

    def __init__(self, executor, km, box, *, timeout):
        from jupyter_client.blocking import BlockingKernelClient

        self.executor, self.km, self.box, self.timeout = executor, km, box, timeout
        self.kc = BlockingKernelClient()
        self.kc.load_connection_file(km.connection_file)
        self.kc.start_channels()
        self.calls, self.seconds = 0, 0.0
        self.requests = {}  # "call f" or "lookup a, b" -> [count, seconds], for the report
        self.output = []  # what the student's code printed during the current test cell
        self.errors = []  # (ename, evalue) of errors the kernel reported
        self.missing = []  # packages the student's cells could not import (NumPy-only process)

    def close(self):
        with contextlib.suppress(Exception):
            self.kc.stop_channels()

    @contextlib.contextmanager
    def _request(self, request, args=None):
        """Send ``request``; yields (reply, folder) with the reply's folder still open."""
        folder_path = self.box.request_folder()
        started = time.perf_counter()
        with wire.Folder(folder_path, scratch=self.box.scratch) as folder:
            if args is not None:
                request["args"] = wire.encode(list(args[0]), folder)
                request["kwargs"] = wire.encode(dict(args[1]), folder)
            folder.write_json("request.json", request)
            self.box.hand_over(folder_path)
            code = (
                "__import__('coursekit.grader.student', fromlist=['handle'])"
                f".handle(globals(), {str(folder_path)!r})"
            )
            try:
                msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
                self._wait(msg_id)
                reply = folder.read_json("reply.json")
                if not isinstance(reply, dict):
                    raise wire.WireError("the reply is not a JSON object")
                yield reply, folder
            finally:
                seconds = time.perf_counter() - started
                self.calls += 1
                self.seconds += seconds
                key = (
                    f"{request['op']} {request.get('name') or ', '.join(request.get('names', ()))}"
                )
                entry = self.requests.setdefault(key[:200], [0, 0.0])
                entry[0] += 1
                entry[1] += seconds
        shutil.rmtree(folder_path, ignore_errors=True)

    def _wait(self, msg_id):
        """Wait for the reply to ``msg_id`` (shell) and its outputs (iopub, until idle).

        Both are needed: the reply is certain to come (shell messages are never dropped), the
        outputs come before "idle" on iopub, whose first messages a new subscriber can miss.
        """
        deadline = time.monotonic() + self.timeout
        replied = idle = None  # when each came
        while True:
            now = time.monotonic()
            if replied is not None and (idle is not None or now - replied > 2.0):
                return
            if idle is not None and replied is None and now - idle > 2.0:
                return
            if now > deadline:
                self.executor.log.warning("student call timed out; interrupting the kernel")
                self.interrupt()
                raise CellTimeoutError(
                    f"your code did not finish within the cell time limit ({self.timeout:g} s) "
                    "and was interrupted"
                )
            if self.dead():
                raise KernelDied(
                    "the kernel running your code died (your code exited it, e.g. with "
                    "os._exit, or crashed it); the remaining tests cannot run"
                )
            if replied is None:
                reply = self._shell_reply(msg_id, 0)
                if reply is not None:
                    replied = time.monotonic()
                    content = reply.get("content", {})
                    if content.get("status") == "error":
                        self.errors.append((str(content.get("ename")), str(content.get("evalue"))))
                if replied is not None and idle is not None:
                    return
            try:
                message = self.kc.get_iopub_msg(timeout=0.05 if replied else 0.2)
            except Empty:
                continue
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream" and sum(map(len, self.output)) < 20_000:
                self.output.append(str(content.get("text", ""))[:20_000])
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = time.monotonic()

    def _shell_reply(self, msg_id, timeout):
        """The shell reply to ``msg_id`` (skipping others), or None if none came in ``timeout`` s."""
        with contextlib.suppress(Empty):
            while True:
                reply = self.kc.get_shell_msg(timeout=timeout)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    return reply
        return None

    def wait_ready(self, timeout):
        """Wait until the kernel answers (its heartbeat may not beat yet at start-up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.dead():
                raise KernelDied("the student process exited while starting")
            if self._shell_reply(self.kc.kernel_info(), 1.0) is not None:
                return
        raise StudentError(f"the student process did not answer within {timeout:g} s")

    def dead(self):
        """Whether the sandbox (and so the kernel) has exited."""
        if not hasattr(self.km, "provisioner") or self.km.provisioner is None:
            # another container's kernel: its heartbeat, silent for 10 s (not at start-up)
            if self.kc.hb_channel.is_beating():
                self._silent_since = None
                return False
            self._silent_since = getattr(self, "_silent_since", None) or time.monotonic()
            return time.monotonic() - self._silent_since > 10
        process = getattr(self.km.provisioner, "process", None)
        return process is None or process.poll() is not None

    def interrupt(self):
        """SIGINT to the ipykernel process inside the sandbox (a message to another pod's)."""
        import psutil

        if getattr(self.km, "provisioner", None) is None:
            self.km._control("interrupt_request", {})
            return

        with contextlib.suppress(psutil.Error, AttributeError):
            for child in psutil.Process(self.km.provisioner.process.pid).children(recursive=True):
                line = child.cmdline()  # the kernel itself, not bwrap (whose arguments name it)
                if line[:1] and "python" in Path(line[0]).name and "ipykernel_launcher" in line:
                    child.send_signal(2)
                    return

    def lookup(self, names):
        """``{name: value or RemoteFunction}`` for the names the student process has."""
        with self._request({"op": "lookup", "names": sorted(names)}) as (reply, folder):
            if "error" in reply:
                raise StudentError(f"lookup failed in the student process: {reply['error']}")
            found = {}
            for name, entry in dict(reply.get("found", {})).items():
                if name not in names or not isinstance(entry, dict):
                    continue
                if entry.get("kind") == "callable":
                    found[name] = RemoteFunction(self, name, entry.get("name", name))
                elif entry.get("kind") == "value":
                    try:
                        found[name] = wire.decode(entry.get("value"), folder)
                    except wire.WireError as error:
                        found[name] = wire.Uncarried(f"unreadable value ({error})")
            return found

    def call(self, name, args, kwargs):
        import numpy as np

        # The test's floating-point error handling (a test cell's ``np.errstate``) applies to
        # the call, as it would if the function ran in the grader's own process.
        request = {"op": "call", "name": name, "errstate": np.geterr()}
        with self._request(request, (args, kwargs)) as (reply, folder):
            folder.arguments = {**dict(enumerate(args)), **kwargs}
            if "error" in reply:
                raise StudentError(
                    f"the call of {name} failed in the student process: {reply['error']}"
                )
            for key, tree in dict(reply.get("changed", {})).items():
                target = kwargs.get(key) if key in kwargs else None
                if target is None and key.isdigit() and int(key) < len(args):
                    target = args[int(key)]
                if target is not None:
                    with contextlib.suppress(wire.WireError):
                        _apply_in_place(target, wire.decode(tree, folder))
            if "raise" in reply:
                raise _reconstruct(dict(reply["raise"]))
            value = wire.decode(reply.get("value"), folder)
            _link_shared_layers(value, folder.arguments, reply.get("shared"))
            return value


# ---------------------------------------------------------------------------------------
# nbgrader integration
# ---------------------------------------------------------------------------------------


def __getattr__(name):  # lazy: importing this module must not import nbgrader
    if name == "TwoProcessExecute":
        return _execute_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _execute_class():  # noqa: C901  (the class body)
    from nbclient.client import NotebookClient
    from nbclient.util import run_sync
    from nbformat import NotebookNode
    from nbgrader.preprocessors import Execute

    from .. import grading
    from ..i18n import configured_language, set_language

    class TwoProcessExecute(Execute):
        """nbgrader's Execute: answers in the sandboxed student kernel, tests in the grader."""

        def preprocess(self, nb, resources=None, km=None):
            settings = _settings()
            # the tests' messages in the course's language (c.CourseKit.language)
            set_language(configured_language(self.config))
            resources = resources or {}
            started = time.perf_counter()
            external = settings.get("external")
            box_root = Path(tempfile.mkdtemp(prefix="coursekit-box-", dir=settings.get("box_root")))
            box_root.chmod(0o711)  # the sandbox's user must reach its box inside
            if external:
                box = ExternalBox(external)
            else:
                box = Box(box_root / "box", settings["uid"], mpl_cache=settings.get("mpl_cache"))
            self._box, self._settings = box, settings
            profile = self._profile(resources)
            sandbox = "bwrap"
            if settings.get("unsafe"):
                sandbox = "none (--unsafe-no-sandbox)"
            elif external:
                sandbox = f"external ({external})"
            self._events = report = {"sandbox": sandbox, "profile": profile}
            km = None
            try:
                if sandbox == "bwrap":
                    bwrap.check_available(box.uid)
                box.copy_work_files(Path(resources.get("metadata", {}).get("path") or Path.cwd()))
                if external:
                    km = _external_manager_class()(box=box)
                else:
                    km = _kernel_manager_class()(box=box, profile=profile, settings=settings)
                NotebookClient.__init__(self, nb, km)
                self.reset_execution_trackers()
                self._check_assign_resources(resources)
                self._numpy_client = None
                self._student_sources = []
                with self.setup_kernel():
                    info = self.wait_for_reply(self.kc.kernel_info())
                    self.nb.metadata["language_info"] = info["content"]["language_info"]
                    for index, cell in enumerate(self.nb.cells):
                        if cell.cell_type == "code" and not is_test(cell):
                            answer = bool(_nbgrader(cell).get("solution")) or not _nbgrader(cell)
                            self._student_sources.append((cell.source, answer))
                            if cell.source.strip():
                                self.preprocess_cell(cell, resources, index)
                    client = StudentClient(self, self.km, box, timeout=self.timeout or 300)
                    client.wait_ready(self.startup_timeout)
                    try:
                        self._run_tests(client, profile)
                    finally:
                        client.close()
                        report["calls"] = client.calls
                        report["call_seconds"] = round(client.seconds, 3)
                        slowest = sorted(client.requests.items(), key=lambda item: -item[1][1])
                        report["requests"] = {
                            key: [count, round(seconds, 3)]
                            for key, (count, seconds) in slowest[:30]
                        }
                        if self._numpy_client is not None:
                            self._numpy_client.close()
                            report["calls"] += self._numpy_client.calls
                            run_sync(self._numpy_client.km.shutdown_kernel)(now=True)
                self.set_widgets_metadata()
            finally:
                # (nbclient shuts down only kernels it made itself: this one is ours)
                if km is not None:
                    with contextlib.suppress(Exception):
                        run_sync(km.shutdown_kernel)(now=True)
                box.remove()
                shutil.rmtree(box_root, ignore_errors=True)
                report["execute_seconds"] = round(time.perf_counter() - started, 3)
                if settings.get("report"):
                    notebook = self.resources.get("nbgrader", {}).get("notebook", "notebook")
                    target = Path(settings["report"]) / f"{notebook}.json"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(json.dumps(report, indent=1))
            return self.nb, self.resources

        def _profile(self, resources):
            """The sandbox profile from the instructor's notebook (never the submission's).

            ``metadata.coursekit.profile`` of ``solutions/ASSIGNMENT/NOTEBOOK.ipynb``:
            ``"numpy"`` for a NumPy-only notebook, else ``"full"``.
            """
            import nbformat

            info = resources.get("nbgrader", {})
            settings = self.config.get("CourseDirectory", {})
            root = Path(settings.get("root") or os.getcwd())
            source = root / settings.get("source_directory", "source")
            path = source / str(info.get("assignment", "")) / f"{info.get('notebook', '')}.ipynb"
            try:
                metadata = nbformat.read(path, as_version=4).metadata
            except Exception:  # noqa: BLE001  (no source notebook here: the full profile)
                return "full"
            profile = metadata.get("coursekit", {}).get("profile", "full")
            return profile if profile in ("full", "numpy") else "full"

        # -- the grader's side of the notebook ----------------------------------------
        def _run_tests(self, client, profile):
            namespace = {"__name__": "__main__", "__builtins__": builtins}
            for cell in self.nb.cells:
                if is_setup(cell):
                    with contextlib.redirect_stdout(io.StringIO()):
                        with contextlib.redirect_stderr(io.StringIO()):
                            exec(compile(cell.source, "<setup>", "exec"), namespace)  # noqa: S102
            own = set(namespace)
            # names a test mentions as a string ("history" in globals()) and a cell defines
            self._defined = set().union(*(bound_names(s) for s, _ in self._student_sources))
            count = 0
            previous_hook = grading._numpy_only_route
            grading._numpy_only_route = functools.partial(self._numpy_route, client, profile)
            setup_names = set(own)
            try:
                for cell in self.nb.cells:
                    if cell.cell_type == "code" and not is_test(cell) and not is_setup(cell):
                        # a name a test defined and a later cell of the notebook binds again:
                        # from here on the tests see the student process's (notebook order)
                        for name in bound_names(cell.source) & (own - setup_names):
                            own.discard(name)
                            namespace.pop(name, None)
                    if is_test(cell):
                        count += 1
                        started = time.perf_counter()
                        self._run_test(cell, namespace, own, client, count)
                        # (the report says which tests take the time)
                        seconds = round(time.perf_counter() - started, 3)
                        self._events.setdefault("test_seconds", {})[
                            str(_nbgrader(cell).get("grade_id"))
                        ] = seconds
            finally:
                grading._numpy_only_route = previous_hook

        def _run_test(self, cell, namespace, own, client, count):
            cell.outputs = []
            cell.execution_count = count
            stdout, fetched = io.StringIO(), {}
            client.output = []
            error = None
            try:
                code = compile(cell.source, f"<test {_nbgrader(cell).get('grade_id')}>", "exec")
                wanted = needed_names(cell.source) | (mentioned_names(cell.source) & self._defined)
                wanted -= own | _BUILTIN_NAMES
                if wanted:
                    fetched = client.lookup(wanted)
                    namespace.update(fetched)
                with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
                    exec(code, namespace)  # noqa: S102
            except BaseException as caught:  # noqa: BLE001  (any failure fails the test)
                if isinstance(caught, KernelDied) or client.dead():
                    self._events.setdefault("kernel_died", _nbgrader(cell).get("grade_id"))
                if isinstance(caught, CellTimeoutError):
                    self._events.setdefault("timeouts", []).append(_nbgrader(cell).get("grade_id"))
                if isinstance(caught, (SystemExit, KeyboardInterrupt)) and not isinstance(
                    caught, Exception
                ):
                    caught = RuntimeError(f"the test stopped with {type(caught).__name__}")
                error = caught
            finally:
                for name, value in fetched.items():
                    if namespace.get(name) is value:
                        del namespace[name]
                own.update(name for name in namespace if name not in fetched)
            text = "".join(client.output) + stdout.getvalue()
            if text:
                cell.outputs.append(NotebookNode(output_type="stream", name="stdout", text=text))
            if error is not None:
                render = getattr(error, "_render_traceback_", None)  # (CheckFailed: no traceback)
                lines = render() if render else traceback.format_exception_only(type(error), error)
                cell.outputs.append(
                    NotebookNode(
                        output_type="error",
                        ename=type(error).__name__,
                        evalue=str(error),
                        traceback=[line.rstrip("\n") for line in lines],
                    )
                )

        @contextlib.contextmanager
        def _numpy_route(self, client, profile):
            """The context in which calls go to a NumPy-only student process."""
            if profile == "numpy" or self._settings.get("external"):
                # (external: the pod has one student process; see the grading guide)
                yield client.missing
                return
            numpy_client = self._numpy_student()
            saved = client.call
            client.call = numpy_client.call
            try:
                yield numpy_client.missing
            finally:
                client.call = saved

        def _numpy_student(self):
            """A second student kernel without TensorFlow, Keras, SciPy, scikit-learn, ..."""
            if self._numpy_client is None:
                manager = _kernel_manager_class()
                km = manager(box=self._box, profile="numpy", settings=self._settings)
                run_sync(km.start_kernel)(extra_arguments=self.extra_arguments)
                client = StudentClient(self, km, self._box, timeout=self.timeout or 300)
                try:
                    client.wait_ready(max(self.startup_timeout, self.timeout or 300))
                except Exception:
                    client.close()
                    run_sync(km.shutdown_kernel)(now=True)
                    raise
                for source, answer in self._student_sources:
                    client.errors = []
                    msg_id = client.kc.execute(source, silent=True, store_history=False)
                    client._wait(msg_id)
                    for ename, evalue in client.errors if answer else []:
                        found = re.search(r"No module named '([\w.]+)'", evalue)
                        if ename in ("ModuleNotFoundError", "ImportError") and found:
                            client.missing.append(found.group(1).partition(".")[0])
                self._numpy_client = client
            return self._numpy_client

    return TwoProcessExecute
