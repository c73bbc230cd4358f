"""Process trees of grading workers: their memory, and stopping them.

The batch watches each worker (nbgrader, the grader's test cells and the student kernel's
sandbox below it) and kills the whole tree when it runs past its time or memory limit.
Inside the sandbox every process lives in the student's PID namespace and dies with it; the
marker (``COURSEKIT_SANDBOX`` in the environment) finds what a worker started outside it.
"""

from __future__ import annotations

import contextlib
import os
import signal

__all__ = ["kill_tree", "process_tree", "tree_rss"]


def _marked(pid, marker):
    """Whether process ``pid`` was started with ``COURSEKIT_SANDBOX=marker`` in its environment."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/environ", "rb") as handle:
        return f"COURSEKIT_SANDBOX={marker}".encode() in handle.read().split(b"\0")
    return False


def process_tree(pid, marker=None):
    """The process ``pid``, its descendants and (on Linux) every process carrying ``marker``.

    A kernel that forks and detaches (a "daemon") leaves the tree but keeps the marker in its
    environment, so it is still found.

    Returns
    -------
    list of psutil.Process

    Examples
    --------
    >>> [p.pid for p in process_tree(os.getpid())][0] == os.getpid()
    True
    """
    import psutil

    found = {}
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        found[root.pid] = root
        for child in root.children(recursive=True):
            found[child.pid] = child
    if marker and os.path.isdir("/proc"):
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in found and _marked(entry, marker):
                with contextlib.suppress(psutil.Error):
                    found[int(entry)] = psutil.Process(int(entry))
    return list(found.values())


def tree_rss(pid, marker=None):
    """Resident memory, in bytes, of a process tree (see :func:`process_tree`).

    Examples
    --------
    >>> tree_rss(os.getpid()) > 0
    True
    """
    import psutil

    total = 0
    for process in process_tree(pid, marker):
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


def kill_tree(pid, marker=None, *, grace=2.0):
    """Stop a process tree: SIGTERM to every member, then SIGKILL to what is left.

    Parameters
    ----------
    pid : int
        The root of the tree (e.g. a grading worker).
    marker : str, optional
        Also stop every process started with ``COURSEKIT_SANDBOX=marker``.
    grace : float, default=2.0
        Seconds between SIGTERM and SIGKILL.

    Returns
    -------
    int
        The number of processes signalled.

    Examples
    --------
    >>> import subprocess
    >>> sleeper = subprocess.Popen(["sleep", "60"])
    >>> kill_tree(sleeper.pid, grace=0.5)
    1
    >>> sleeper.wait(timeout=5) is not None  # it is gone
    True
    """
    import psutil

    members = process_tree(pid, marker)
    for process in members:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(members, timeout=grace)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=grace)
    return len(members)
