"""The student process's OS sandbox: Debian's bubblewrap (``bwrap``), without root.

:func:`command` wraps the student kernel's command line so that it runs in new user, PID,
network, IPC, UTS and cgroup namespaces with a file system made of:

- the system (``/usr`` and the links to it), the Python environment and the ``coursekit``
  package, read-only; the course data set folder, read-only;
- the submission's *box* (its own scratch folder: the kernel's connection file and sockets,
  its working folder and home, the exchange folder of the grading interface), the only
  writable place that outlives a process;
- a private ``/tmp`` and ``/dev/shm`` of bounded size, which the batch counts against the
  submission's memory limit (:func:`shared_memory_bytes`);
- nothing else: no course folder, gradebook, solutions, hidden tests or other submission is
  mounted, and ``/etc`` has only the few files programs need.

There is no network (the kernel talks through unix sockets in the box: Jupyter's IPC
transport), every process the kernel starts lives in its PID namespace and dies with it, and
a NumPy-only profile leaves TensorFlow, Keras, SciPy, scikit-learn, PyTorch and JAX out of
the environment altogether. As root (CI), the sandbox first drops to an unprivileged user id
of its own (``setpriv``), so it is exactly as isolated as under the hub's ``grader`` account,
which runs it directly (unprivileged user namespaces).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

__all__ = [
    "FORBIDDEN_IN_NUMPY_PROFILE",
    "UID_BASE",
    "SandboxUnavailable",
    "check_available",
    "command",
    "python",
    "shared_memory_bytes",
]

# Top-level names (packages and their .dist-info) left out of a NumPy-only student process.
FORBIDDEN_IN_NUMPY_PROFILE = (
    "tensorflow",
    "tensorboard",
    "tf_keras",
    "keras",
    "scipy",
    "sklearn",
    "scikit_learn",
    "skimage",
    "scikit_image",
    "torch",
    "jax",
    "jaxlib",
    "ml_dtypes",
    "h5py",
)
# The /etc files that Python, NumPy, matplotlib and fontconfig read.
_ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "nsswitch.conf",
    "fonts",
    "mime.types",
    "alternatives",
)


def python():
    """This interpreter's path, normalised (no ``..``: the folders around it are not mounted)."""
    return os.path.normpath(os.path.abspath(sys.executable))


UID_BASE = 64100  # as root, the sandbox of job slot k runs as user id UID_BASE + k (no account)
_DIGITS = "/opt/coursekit-data/digits.csv.gz"  # where a NumPy-only sandbox finds the digits


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot run here; the message says why and what to do."""


def _drop_privileges(uid):
    """The command prefix that runs what follows as ``uid`` (only when we are root)."""
    if os.geteuid() != 0 or uid is None:
        return []
    setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs"]


def _roots():
    """The read-only folders the student process needs: Python, the venv, coursekit."""
    import coursekit

    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(coursekit.__file__).resolve().parent}
    roots |= {Path(p) for p in sysconfig.get_paths().values() if Path(p).is_dir()}
    roots.add(Path(os.path.realpath(sys.executable)).parent)
    # keep the outermost folders, outside /usr (bound as a whole)
    kept = []
    for root in sorted(roots, key=lambda p: len(p.parts)):
        if root != Path("/") and not any(root.is_relative_to(k) for k in [Path("/usr"), *kept]):
            kept.append(root)
    return kept


def _site_packages():
    paths = sysconfig.get_paths()
    return sorted({Path(paths[key]) for key in ("purelib", "platlib") if key in paths})


def _forbidden(entry):
    """Whether a site-packages entry belongs to a package a NumPy-only process must not have."""
    top = re.split(r"[-.]", entry, maxsplit=1)[0].lower()
    return any(top == name or top.startswith(f"{name}_") for name in FORBIDDEN_IN_NUMPY_PROFILE)


def command(kernel_argv, box, *, profile="full", memory, env, data=(), uid=None):
    """The command line that runs ``kernel_argv`` in the sandbox.

    Parameters
    ----------
    kernel_argv : list of str
        What to run inside (the kernel); paths in it are the same inside and outside.
    box : path
        The submission's scratch folder, mounted read-write at the same path.
    profile : {"full", "numpy"}
        ``"numpy"`` leaves the packages in :data:`FORBIDDEN_IN_NUMPY_PROFILE` out.
    memory : int
        Bytes; the size of the private ``/tmp`` and ``/dev/shm`` each.
    env : dict
        The whole environment of the student process (nothing else is inherited).
    data : sequence of path
        Folders mounted read-only (the course's data sets).
    uid : int, optional
        As root, the unprivileged user id to run as.

    Returns
    -------
    list of str
    """
    if profile not in ("full", "numpy"):
        raise ValueError(f"profile must be 'full' or 'numpy'. Received: {profile!r}.")
    box = Path(box).resolve()
    argv = [*_drop_privileges(uid), shutil.which("bwrap") or "bwrap"]
    argv += [
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
    ]
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib32", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    for name in _ETC:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(int(memory)), "--tmpfs", "/tmp"]
    argv += ["--size", str(int(memory)), "--tmpfs", "/dev/shm"]
    for root in _roots():
        argv += ["--ro-bind", str(root), str(root)]
    if profile == "numpy":
        for site in _site_packages():
            if not site.is_dir():
                continue
            argv += ["--tmpfs", str(site)]
            for entry in sorted(os.listdir(site)):
                if not _forbidden(entry):
                    argv += ["--ro-bind", str(site / entry), str(site / entry)]
            argv += ["--remount-ro", str(site)]
    for folder in data:
        if folder and Path(folder).is_dir():
            argv += ["--ro-bind", str(folder), str(folder)]
    argv += ["--bind", str(box), str(box), "--chdir", str(box / "work")]
    argv += ["--clearenv"]
    for key, value in sorted(env.items()):
        argv += ["--setenv", str(key), str(value)]
    if profile == "numpy":  # scikit-learn's digits, as a file: the course's data set, not code
        from ..data import digits_file

        digits = digits_file()
        if digits is not None:
            argv += ["--ro-bind", str(digits), _DIGITS, "--setenv", "COURSEKIT_DIGITS", _DIGITS]
    return [*argv, "--", *kernel_argv]


@functools.cache
def _probe(uid):
    """Why a sandboxed Python cannot import what a kernel needs ("" when it can)."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux; this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return (
            "bubblewrap is not installed (`bwrap` not found on PATH); install Debian's "
            "`bubblewrap` package (apt-get install bubblewrap)"
        )
    import tempfile

    with tempfile.TemporaryDirectory(prefix="coursekit-probe-") as folder:
        box = Path(folder)
        (box / "work").mkdir()
        if uid is not None and os.geteuid() == 0:
            for path in (box, box / "work"):
                os.chown(path, uid, uid)
        os.chmod(box, 0o755)
        argv = command(
            [python(), "-c", "import ipykernel, numpy, coursekit.grader.student"],
            box,
            memory=64 * 1024**2,
            env={"PATH": "/usr/bin:/bin", "HOME": str(box), "PYTHONNOUSERSITE": "1"},
            uid=uid,
        )
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        except (OSError, subprocess.SubprocessError) as error:
            return f"bubblewrap could not be started: {error}"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or [f"exit {done.returncode}"]
        reason = lines[-1]
        if "namespace" in reason.lower() or "permission" in reason.lower():
            reason += (
                " (this machine does not allow unprivileged user namespaces: "
                "sysctl kernel.unprivileged_userns_clone=1, or user.max_user_namespaces > 0, "
                "or an AppArmor profile that permits bwrap)"
            )
        return f"the sandbox could not start a Python process: {reason}"
    return ""


def check_available(uid=None):
    """Raise :class:`SandboxUnavailable` with the reason when the sandbox cannot run here.

    ``COURSEKIT_SIMULATE_NO_USERNS=1`` simulates a machine without user namespaces (tests).
    """
    if os.environ.get("COURSEKIT_SIMULATE_NO_USERNS") == "1":
        raise SandboxUnavailable(
            "the sandbox could not start a Python process: bwrap: No permissions to create new "
            "namespace (simulated: COURSEKIT_SIMULATE_NO_USERNS=1)"
        )
    if reason := _probe(uid):
        raise SandboxUnavailable(reason)


def shared_memory_bytes(pids, size):
    """Bytes held in the private ``/tmp`` and ``/dev/shm`` of the sandboxes among ``pids``.

    Files in a tmpfs belong to no process, so a process tree's resident memory misses them;
    the batch adds this to it. Each mount namespace is counted once, and only file systems
    of the sandbox's own ``size`` (the ``memory`` given to :func:`command`): a sandbox still
    setting itself up shows the host's ``/tmp``, which is not its memory.
    """
    own = _namespace(os.getpid())
    seen, total = set(), 0
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in pids:
        namespace = _namespace(pid)
        if namespace is None or namespace == own or namespace in seen:
            continue
        seen.add(namespace)
        for mount in ("tmp", "dev/shm"):
            try:
                info = os.statvfs(f"/proc/{pid}/root/{mount}")
            except OSError:
                continue
            if abs(info.f_blocks * info.f_frsize - int(size)) > page:
                continue
            total += (info.f_blocks - info.f_bfree) * info.f_frsize
    return total


def _namespace(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None
