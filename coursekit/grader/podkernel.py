"""Entry point of the student process: a Jupyter kernel that talks over unix sockets in a box.

``python -m coursekit.grader.podkernel BOX_DIR`` writes the connection file
``BOX_DIR/kernel.json`` (transport ``ipc``, sockets ``BOX_DIR/k-1`` to ``BOX_DIR/k-5``, a
random HMAC key) and then *replaces itself* (``os.execv``) with ``python -m ipykernel_launcher
-f BOX_DIR/kernel.json``, working in ``BOX_DIR/work``. The grader process, which shares the
folder but not the process, connects with ``jupyter_client.BlockingKernelClient`` from the
connection file, sends the student's cells, and ends the kernel with a ``shutdown_request``.

It is the command of the ``student`` container of a grading Job
(:mod:`coursekit.grader.kubernetes`), where the kernel is then the container's main process
and the box is an ``emptyDir`` that only the two containers of the pod share; it works the same
way on a plain machine (inside bubblewrap, or not sandboxed at all, as in the tests).

What the box looks like, and why:

- ``kernel.json``, mode 0640, and the sockets, mode 0770 (the kernel runs with umask 007): in
  the pod both containers run with the group of the pod's ``fsGroup``, which the ``emptyDir``
  hands down to every file created in it (set-group-id folder), so the grader, another user
  id, can read the key and connect; nobody else can.
- ``home/`` is the kernel's ``HOME``, ``IPYTHONDIR``, ``JUPYTER_RUNTIME_DIR``,
  ``MPLCONFIGDIR``, and ``tmp/`` its ``TMPDIR``: the container's root filesystem is read-only,
  and a fresh IPython profile means no startup files from anywhere else.
- ``work/`` is the kernel's working folder: the grader copies the files the assignment ships
  there.

The key authenticates the grader's messages to the kernel, not the kernel's replies: student
code runs *in* the kernel and can read the key, so the grader treats everything that comes
back as untrusted plain data. Only the standard library is imported before the exec.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import sys
from pathlib import Path

__all__ = ["CONNECTION_FILE", "PORTS", "main", "prepare_box"]

CONNECTION_FILE = "kernel.json"
# The five channels and their "ports": with transport ipc a port only numbers a socket file,
# BOX_DIR/k-<port>.
PORTS = {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5}
_SOCKET_PREFIX = "k"
# sockaddr_un.sun_path is 108 bytes on Linux, one of them the terminating NUL.
_MAX_SOCKET_PATH = 107


def prepare_box(box_dir):
    """Lay out ``box_dir`` for a kernel and write its connection file.

    Parameters
    ----------
    box_dir : path-like
        The folder the student process and the grader share (``/box`` in the pod). It is
        created when missing.

    Returns
    -------
    connection_file : pathlib.Path
        ``box_dir/kernel.json``: transport ``ipc``, ``ip`` ``box_dir/k``, the ports of
        :data:`PORTS`, a random 256-bit HMAC key (``hmac-sha256``).

    Examples
    --------
    >>> import json, tempfile
    >>> with tempfile.TemporaryDirectory() as box:
    ...     info = json.loads(prepare_box(box).read_text())
    >>> info["transport"], info["ip"] == box + "/k", info["shell_port"]
    ('ipc', True, 1)
    """
    box = Path(box_dir).absolute()
    ip = str(box / _SOCKET_PREFIX)
    longest = f"{ip}-{max(PORTS.values())}"
    if len(os.fsencode(longest)) > _MAX_SOCKET_PATH:
        raise ValueError(
            f"The box folder's path is too long for unix sockets: {longest!r} has "
            f"{len(os.fsencode(longest))} bytes, Linux allows {_MAX_SOCKET_PATH}. "
            "Use a shorter folder, e.g. one directly under /tmp."
        )
    for sub in ("", "work", "home", "tmp"):
        (box / sub).mkdir(mode=0o770, parents=True, exist_ok=True)
    # A box used before: old sockets would make the kernel's bind fail.
    for port in PORTS.values():
        old = Path(f"{ip}-{port}")
        if old.is_socket():
            old.unlink()
    info = {
        **PORTS,
        "ip": ip,
        "transport": "ipc",
        "key": secrets.token_hex(32),
        "signature_scheme": "hmac-sha256",
        "kernel_name": "",
    }
    path = box / CONNECTION_FILE
    path.unlink(missing_ok=True)
    # Created with its final mode: it is never readable by others, not even for an instant.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(descriptor, "w") as file:
        json.dump(info, file, indent=1)
    os.chmod(path, 0o640)  # the umask may have taken the group's read bit
    return path


def _kernel_environment(box):
    env = dict(os.environ)
    home = box / "home"
    env.update(
        HOME=str(home),
        IPYTHONDIR=str(home / ".ipython"),
        JUPYTER_RUNTIME_DIR=str(home / ".runtime"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        TMPDIR=str(box / "tmp"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    # getpass.getuser() (used by some libraries) fails for a user id without a passwd entry
    # unless one of these is set.
    env.setdefault("USER", "student")
    env.setdefault("LOGNAME", env["USER"])
    return env


def main(argv=None):
    """Prepare the box given on the command line and exec the kernel (never returns).

    Parameters
    ----------
    argv : list of str, optional
        ``[BOX_DIR]`` (default: ``sys.argv[1:]``).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) != 1 or argv[0].startswith("-"):
        print(
            "usage: python -m coursekit.grader.podkernel BOX_DIR\n"
            "Writes BOX_DIR/kernel.json (unix sockets BOX_DIR/k-1..5) and runs an IPython "
            "kernel in BOX_DIR/work.",
            file=sys.stderr,
        )
        return 2
    box = Path(argv[0]).absolute()
    try:
        os.umask(0o007)  # sockets and files: owner and group (the grader) only
        connection_file = prepare_box(box)
    except (OSError, ValueError) as error:
        print(f"podkernel: cannot prepare the box {box}: {error}", file=sys.stderr)
        return 1
    os.chdir(box / "work")
    mode = stat.S_IMODE(connection_file.stat().st_mode)
    print(
        f"podkernel: {connection_file} (mode {mode:o}), starting the kernel as uid "
        f"{os.getuid()} gid {os.getgid()} in {box / 'work'}",
        file=sys.stderr,
        flush=True,
    )
    command = [
        sys.executable,
        "-P",  # do not put the working folder (student files) first on the path
        "-m",
        "ipykernel_launcher",
        "-f",
        str(connection_file),
        "--HistoryManager.hist_file=:memory:",
    ]
    os.execve(sys.executable, command, _kernel_environment(box))
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
