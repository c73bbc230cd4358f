"""The course's JupyterHub: settings shared by ``hub/jupyterhub_config.py`` and ``coursekit hub``.

The one-machine hub (``hub/jupyterhub_config.py``) reads its deployment settings from
``COURSEKIT_HUB_*`` environment variables (a systemd unit sets them, see
``hub/jupyterhub.service``); :func:`hub_settings` parses them, and the functions below build
what the configuration hands to the students' servers and to the formgrader service.
``coursekit hub`` (:func:`main_hub`) starts the same configuration in *trial* mode: on
loopback, as the current user, with two test accounts, so that anyone can try the course
without creating system users. The instructor guide (``book/guide_instructor.md``) explains
both, and the Kubernetes variant in ``hub/k8s/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import grp
import os
import pwd
import secrets
import shutil
import socket
import stat
import sys
import zlib
from pathlib import Path

from .course import GRADING_ENV, REPO_ROOT
from .hub_links import formgrader_link_handlers

__all__ = [
    "COURSE_ID",
    "HUB_DIR",
    "HubSettings",
    "SYSTEMD_PROPERTIES",
    "add_hub_parser",
    "choose_spawner",
    "formgrader_link_handlers",
    "free_port",
    "gpu_for_user",
    "grader_environment",
    "hub_settings",
    "main_hub",
    "make_pre_spawn_hook",
    "proxy_command",
    "run_idle_culler",
    "settings_environment",
    "systemd_available",
    "unenforced_limits_warning",
    "unix_course_groups",
    "user_environment",
]

# The hub's files in a course checkout. An installed hub (hub/README.md: /opt/coursekit/src/hub)
# passes its own folder, the one its jupyterhub_config.py is in, as ``hub_dir``.
HUB_DIR = REPO_ROOT / "hub"
# The nbgrader course id (also in nbgrader_config.py and hub/jupyter/common/nbgrader_config.py;
# a test checks that the three agree).
COURSE_ID = "deep-learning-in-practice"
# Per-user Jupyter configuration directories under <hub>/jupyter/ (put on JUPYTER_CONFIG_PATH
# of the servers): common/ holds what every server shares (nbgrader exchange, terminals,
# MathJax, no news pop-up), student/ switches the instructor tools off, grader/ lets the
# formgrader's JupyterLab show the formgrader page in a tab.
_PROXY_NAME = "configurable-http-proxy"
# The formgrader service opens JupyterLab with its Formgrader tab (nbgrader's Lab extension
# opens it for ?formgrader=true): the launcher next to it has the grading terminal, and the
# formgrader's links open notebooks in Lab.
FORMGRADER_DEFAULT_URL = "/lab?formgrader=true"
# systemd properties of every student's server under jupyterhub-systemdspawner, besides the
# memory and CPU limits (MemoryMax=, CPUQuota=) the spawner derives from the hub's settings.
SYSTEMD_PROPERTIES = {
    "MemorySwapMax": "0",  # the memory limit is real memory: no swapping past it
    "TasksMax": "4096",  # processes and threads; TensorFlow starts ~100 per kernel
}


@dataclasses.dataclass(frozen=True)
class HubSettings:
    """Deployment settings of the one-machine hub (environment variable in brackets).

    Attributes
    ----------
    mode : {"system", "trial"}
        ``system`` (``COURSEKIT_HUB_MODE``): students log in with their Unix account (PAM)
        and each server runs as its user. ``trial``: what ``coursekit hub`` starts.
    public_url : str
        Where the proxy listens for browsers (``COURSEKIT_HUB_PUBLIC_URL``).
    hub_url, proxy_api_url, formgrader_url : str
        Internal addresses of the hub, the proxy's REST API and the formgrader service
        (``COURSEKIT_HUB_INTERNAL_URL``, ``COURSEKIT_HUB_PROXY_API_URL``,
        ``COURSEKIT_HUB_FORMGRADER_URL``); keep them on 127.0.0.1.
    state_dir : pathlib.Path
        The hub's database, cookie secret and pid files (``COURSEKIT_HUB_STATE_DIR``).
    course_dir : pathlib.Path
        The instructors' nbgrader course directory, owned by ``grader_user``
        (``COURSEKIT_HUB_COURSE_DIR``).
    exchange : pathlib.Path
        nbgrader's exchange root, mode 1777 (``COURSEKIT_HUB_EXCHANGE``).
    grader_user : str
        The Unix account that runs the formgrader (``COURSEKIT_HUB_GRADER_USER``).
    students_group, instructors_group : str
        Unix groups allowed to log in; their members form the hub groups of the same name
        (``COURSEKIT_HUB_STUDENTS_GROUP``, ``COURSEKIT_HUB_INSTRUCTORS_GROUP``).
    admin_users : tuple of str
        Hub administrators, comma-separated (``COURSEKIT_HUB_ADMIN_USERS``).
    mem_limit : str
        Memory per user server, e.g. ``"8G"`` (``COURSEKIT_HUB_MEM_LIMIT``).
    cpu_limit : float
        CPU cores per user server (``COURSEKIT_HUB_CPU_LIMIT``).
    cull_timeout : int
        Seconds of inactivity after which a server is stopped (``COURSEKIT_HUB_CULL_TIMEOUT``).
    gpus : tuple of str
        GPU indices to spread users over, comma-separated, e.g. ``"0,1"``; empty: every
        server sees every GPU (``COURSEKIT_HUB_GPUS``).
    trial_password : str
        Password of the trial accounts (``COURSEKIT_HUB_TRIAL_PASSWORD``, trial mode only).
    spawner : {"auto", "systemd", "local"}
        How students' servers start (``COURSEKIT_HUB_SPAWNER``): ``systemd``, each in a
        systemd unit with its memory and CPU limits enforced (jupyterhub-systemdspawner);
        ``local``, as plain processes whose limits are not enforced; ``auto``, systemd when
        the hub runs as root on a machine booted with systemd, else local.
    """

    mode: str = "system"
    public_url: str = "http://:8000"
    hub_url: str = "http://127.0.0.1:8081"
    proxy_api_url: str = "http://127.0.0.1:8001"
    formgrader_url: str = "http://127.0.0.1:9999"
    state_dir: Path = Path("/srv/jupyterhub")
    course_dir: Path = Path("/home/grader/course")
    exchange: Path = Path("/srv/nbgrader/exchange")
    grader_user: str = "grader"
    students_group: str = "students"
    instructors_group: str = "instructors"
    admin_users: tuple = ()
    mem_limit: str = "8G"
    cpu_limit: float = 4.0
    cull_timeout: int = 3600
    gpus: tuple = ()
    trial_password: str = ""
    spawner: str = "auto"


_ENV_NAMES = {
    "mode": "COURSEKIT_HUB_MODE",
    "public_url": "COURSEKIT_HUB_PUBLIC_URL",
    "hub_url": "COURSEKIT_HUB_INTERNAL_URL",
    "proxy_api_url": "COURSEKIT_HUB_PROXY_API_URL",
    "formgrader_url": "COURSEKIT_HUB_FORMGRADER_URL",
    "state_dir": "COURSEKIT_HUB_STATE_DIR",
    "course_dir": "COURSEKIT_HUB_COURSE_DIR",
    "exchange": "COURSEKIT_HUB_EXCHANGE",
    "grader_user": "COURSEKIT_HUB_GRADER_USER",
    "students_group": "COURSEKIT_HUB_STUDENTS_GROUP",
    "instructors_group": "COURSEKIT_HUB_INSTRUCTORS_GROUP",
    "admin_users": "COURSEKIT_HUB_ADMIN_USERS",
    "mem_limit": "COURSEKIT_HUB_MEM_LIMIT",
    "cpu_limit": "COURSEKIT_HUB_CPU_LIMIT",
    "cull_timeout": "COURSEKIT_HUB_CULL_TIMEOUT",
    "gpus": "COURSEKIT_HUB_GPUS",
    "trial_password": "COURSEKIT_HUB_TRIAL_PASSWORD",
    "spawner": "COURSEKIT_HUB_SPAWNER",
}


def _parse_setting(field, text):
    name = _ENV_NAMES[field]
    if field == "mode":
        if text not in ("system", "trial"):
            raise ValueError(f"{name} must be 'system' or 'trial'. Received: {name}={text!r}.")
        return text
    if field == "spawner":
        if text not in ("auto", "systemd", "local"):
            raise ValueError(
                f"{name} must be 'auto', 'systemd' or 'local'. Received: {name}={text!r}."
            )
        return text
    if field.endswith("_url"):
        if not text.startswith(("http://", "https://")):
            raise ValueError(
                f"{name} must be a URL such as 'http://127.0.0.1:8081'. Received: {name}={text!r}."
            )
        return text
    if field in ("state_dir", "course_dir", "exchange"):
        if not os.path.isabs(text):
            raise ValueError(f"{name} must be an absolute path. Received: {name}={text!r}.")
        return Path(text)
    if field in ("admin_users", "gpus"):
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if field == "cpu_limit":
        try:
            value = float(text)
        except ValueError:
            value = 0.0
        if value <= 0:
            raise ValueError(f"{name} must be a positive number. Received: {name}={text!r}.")
        return value
    if field == "cull_timeout":
        if not text.isdigit() or int(text) <= 0:
            raise ValueError(
                f"{name} must be a positive number of seconds. Received: {name}={text!r}."
            )
        return int(text)
    return text


def hub_settings(environ=None):
    """Read the hub's settings from ``COURSEKIT_HUB_*`` environment variables.

    Parameters
    ----------
    environ : mapping, optional
        The environment to read (default: ``os.environ``). Unset or empty variables keep
        the defaults of :class:`HubSettings`.

    Returns
    -------
    HubSettings

    Examples
    --------
    >>> settings = hub_settings({"COURSEKIT_HUB_GPUS": "0,1", "COURSEKIT_HUB_CPU_LIMIT": "2"})
    >>> settings.gpus, settings.cpu_limit, settings.mode
    (('0', '1'), 2.0, 'system')
    >>> hub_settings({"COURSEKIT_HUB_EXCHANGE": "exchange"})
    Traceback (most recent call last):
    ...
    ValueError: COURSEKIT_HUB_EXCHANGE must be an absolute path. Received: COURSEKIT_HUB_EXCHANGE='exchange'.
    """
    environ = os.environ if environ is None else environ
    values = {}
    for field, name in _ENV_NAMES.items():
        text = environ.get(name, "").strip()
        if text:
            values[field] = _parse_setting(field, text)
    settings = HubSettings(**values)
    if settings.mode == "trial" and len(settings.trial_password) < 8:
        raise ValueError(
            "Trial mode needs COURSEKIT_HUB_TRIAL_PASSWORD of at least 8 characters. "
            f"Received: {len(settings.trial_password)} characters. `coursekit hub` sets one."
        )
    return settings


def settings_environment(settings):
    """The ``COURSEKIT_HUB_*`` variables that reproduce ``settings`` (inverse of hub_settings).

    Examples
    --------
    >>> env = settings_environment(HubSettings(gpus=("0", "1")))
    >>> env["COURSEKIT_HUB_GPUS"], hub_settings(env) == HubSettings(gpus=("0", "1"))
    ('0,1', True)
    """
    env = {}
    for field, name in _ENV_NAMES.items():
        value = getattr(settings, field)
        env[name] = ",".join(value) if isinstance(value, tuple) else str(value)
    return env


def _venv_bin():
    return Path(sys.executable).parent


def _quiet_tf_env():
    # Students' kernels get the grading run's TensorFlow settings (so a notebook behaves the
    # same when they validate it), but not the grading-only switches.
    env = {k: v for k, v in GRADING_ENV.items() if k != "COURSEKIT_GRADING"}
    # Several servers share one GPU: each TensorFlow process takes GPU memory as it needs it
    # instead of grabbing the whole card at start-up.
    env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
    return {**env, **_course_language()}


def _course_language():
    # The course's language (en, hu): the messages of the tests in students' notebooks and,
    # through nbgrader_config.py (c.CourseKit.language), the grader's. Set it once, in the
    # hub's environment (COURSEKIT_LANGUAGE in the systemd unit).
    language = os.environ.get("COURSEKIT_LANGUAGE")
    return {"COURSEKIT_LANGUAGE": language} if language else {}


def _jupyter_config_path(hub_dir, *names):
    return os.pathsep.join(str(Path(hub_dir) / "jupyter" / name) for name in names)


def user_environment(settings, hub_dir=HUB_DIR):
    """Environment of a student's single-user server.

    Parameters
    ----------
    settings : HubSettings
    hub_dir : path-like, optional
        The hub's folder, with ``jupyter/`` in it (default: the checkout's ``hub/``).

    Returns
    -------
    dict of str to str
        ``TF_FORCE_GPU_ALLOW_GROWTH=true`` so that several students share a GPU, the
        course's TensorFlow log settings, the exchange location, ``PATH`` with the course's
        virtual environment first, and ``JUPYTER_CONFIG_PATH`` pointing to ``jupyter/``
        (nbgrader exchange settings; formgrader and course list switched off for students).

    Examples
    --------
    >>> env = user_environment(HubSettings())
    >>> env["TF_FORCE_GPU_ALLOW_GROWTH"], env["COURSEKIT_HUB_EXCHANGE"]
    ('true', '/srv/nbgrader/exchange')
    >>> "COURSEKIT_GRADING" in env
    False
    """
    return {
        **_quiet_tf_env(),
        "COURSEKIT_HUB_EXCHANGE": str(settings.exchange),
        "JUPYTER_CONFIG_PATH": _jupyter_config_path(hub_dir, "student", "common"),
        "PATH": os.pathsep.join([str(_venv_bin()), "/usr/local/bin", "/usr/bin", "/bin"]),
    }


def grader_environment(settings, hub_dir=HUB_DIR):
    """Environment of the formgrader service: the grading environment of coursekit.course.

    Instructors who open the service land in JupyterLab with the formgrader in a tab
    (:data:`FORMGRADER_DEFAULT_URL`).

    Examples
    --------
    >>> env = grader_environment(HubSettings())
    >>> env["COURSEKIT_GRADING"], env["JUPYTERHUB_DEFAULT_URL"]
    ('1', '/lab?formgrader=true')
    """
    return {
        **GRADING_ENV,
        "TF_FORCE_GPU_ALLOW_GROWTH": "true",
        "COURSEKIT_HUB_EXCHANGE": str(settings.exchange),
        "JUPYTER_CONFIG_PATH": _jupyter_config_path(hub_dir, "grader", "common"),
        "PATH": os.pathsep.join([str(_venv_bin()), "/usr/local/bin", "/usr/bin", "/bin"]),
        "JUPYTERHUB_DEFAULT_URL": FORMGRADER_DEFAULT_URL,
        **_course_language(),
    }


def gpu_for_user(username, gpus):
    """The GPU a user's server gets on a machine with several, or None to leave all visible.

    Users are spread over ``gpus`` by a stable hash of their name, so a student gets the
    same card at every start.

    Parameters
    ----------
    username : str
    gpus : sequence of str
        GPU indices (``CUDA_VISIBLE_DEVICES`` values); empty means no assignment.

    Examples
    --------
    >>> gpu_for_user("alice", ["0", "1"]), gpu_for_user("alice", ["0", "1"])
    ('1', '1')
    >>> gpu_for_user("alice", []) is None
    True
    """
    if not gpus:
        return None
    return gpus[zlib.crc32(username.encode()) % len(gpus)]


def unix_course_groups(username, groups):
    """The Unix groups among ``groups`` that ``username`` belongs to (primary or not).

    The hub calls this at every login, so adding a student to the ``students`` group
    (``usermod -aG students NAME``) is all it takes.

    Examples
    --------
    >>> unix_course_groups("root", ["root", "no-such-group"])
    ['root']
    """
    try:
        account = pwd.getpwnam(username)
    except KeyError:
        return []
    gids = set(os.getgrouplist(username, account.pw_gid))
    found = []
    for name in groups:
        try:
            if grp.getgrnam(name).gr_gid in gids:
                found.append(name)
        except KeyError:
            continue
    return found


def make_pre_spawn_hook(settings):
    """The hub's ``Spawner.pre_spawn_hook``: private home, and a GPU on multi-GPU machines.

    Before a server starts, the user's home directory loses all group and other
    permissions (mode 0700): nbgrader keeps each student's working copy and a cache of
    their submissions there, and another student must not read them. On a machine with
    several GPUs (``COURSEKIT_HUB_GPUS``) the server sees only the one
    :func:`gpu_for_user` picks.

    Returns
    -------
    callable
        ``hook(spawner)``.
    """

    def pre_spawn_hook(spawner):
        name = spawner.user.name
        if settings.mode == "system":
            home = Path(pwd.getpwnam(name).pw_dir)
            if home.is_dir() and stat.S_IMODE(home.stat().st_mode) & 0o077:
                home.chmod(0o700)
        gpu = gpu_for_user(name, settings.gpus)
        if gpu is not None:
            spawner.environment = {**spawner.environment, "CUDA_VISIBLE_DEVICES": gpu}

    return pre_spawn_hook


def proxy_command(hub_dir=HUB_DIR):
    """The configurable-http-proxy command: ``<hub_dir>/node_modules`` first, then ``PATH``.

    Returns
    -------
    list of str

    Raises
    ------
    FileNotFoundError
        When it is installed in neither place; the message says how to install it.
    """
    hub_dir = Path(hub_dir)
    local = hub_dir / "node_modules" / ".bin" / _PROXY_NAME
    if local.exists():
        return [str(local)]
    found = shutil.which(_PROXY_NAME)
    if found:
        return [found]
    raise FileNotFoundError(
        f"{_PROXY_NAME} (JupyterHub's proxy, a Node.js program) was found neither in "
        f"{local.parent} nor on PATH. Install the pinned version with "
        f"`npm ci --prefix {hub_dir}` (needs Node.js >= 18 and npm)."
    )


def systemd_available():
    """Whether servers can be started as systemd units: root, systemd running, systemd-run.

    Examples
    --------
    >>> isinstance(systemd_available(), bool)
    True
    """
    return (
        os.geteuid() == 0
        and os.path.isdir("/run/systemd/system")  # what sd_booted() checks
        and shutil.which("systemd-run") is not None
    )


def choose_spawner(settings, systemd=None):
    """Which spawner the hub uses, and why: ``("systemd" or "local", reason)``.

    Parameters
    ----------
    settings : HubSettings
        ``settings.spawner`` is ``"auto"``, ``"systemd"`` or ``"local"``.
    systemd : bool, optional
        Whether systemd can start the servers (default: :func:`systemd_available`).

    Returns
    -------
    tuple of (str, str)

    Examples
    --------
    >>> choose_spawner(HubSettings(spawner="auto"), systemd=False)[0]
    'local'
    >>> choose_spawner(HubSettings(spawner="auto"), systemd=True)[0]
    'systemd'
    """
    if settings.mode == "trial":
        return "local", "trial mode runs every server as the current user"
    if settings.spawner == "local":
        return "local", "COURSEKIT_HUB_SPAWNER=local"
    if settings.spawner == "systemd":
        return "systemd", "COURSEKIT_HUB_SPAWNER=systemd"
    systemd = systemd_available() if systemd is None else systemd
    if systemd:
        return "systemd", "the hub runs as root on a machine booted with systemd"
    return "local", (
        "systemd cannot start the servers here (the hub must run as root on a machine "
        "booted with systemd, with systemd-run on PATH)"
    )


def unenforced_limits_warning(settings, reason):
    """What the hub logs when servers start as plain processes: the limits are not enforced.

    Examples
    --------
    >>> print(unenforced_limits_warning(HubSettings(), "COURSEKIT_HUB_SPAWNER=local"))
    ... # doctest: +ELLIPSIS
    Memory and CPU limits are NOT enforced (mem_limit=8G, cpu_limit=4.0): ...
    """
    return (
        f"Memory and CPU limits are NOT enforced (mem_limit={settings.mem_limit}, "
        f"cpu_limit={settings.cpu_limit}): servers start as plain processes because "
        f"{reason}. One student's server can take all of the machine's memory and cores. "
        "Run the hub as root under systemd (hub/jupyterhub.service) to enforce them."
    )


def run_idle_culler(argv=None):
    """Run jupyterhub-idle-culler so that SIGTERM and SIGINT stop it at once.

    The hub stops its services with SIGINT, then SIGTERM, then SIGKILL, waiting 10 and 5
    seconds in between. The culler relies on Python's default dispositions, which a hub
    started with those signals ignored (a background job of a script, some supervisors)
    passes on, and the culler then ignored them until killed. This installs handlers that
    exit whatever was inherited. ``hub/jupyterhub_config.py`` starts the culler this way.

    Parameters
    ----------
    argv : list of str, optional
        The culler's options, e.g. ``["--timeout=3600"]`` (default: ``sys.argv[1:]``).

    Examples
    --------
    >>> run_idle_culler(["--timeout=3600", "--cull-every=300"])  # doctest: +SKIP
    """
    import signal

    from jupyterhub_idle_culler import main

    def stop(signum, frame):
        raise SystemExit(0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    sys.argv = ["jupyterhub-idle-culler", *(sys.argv[1:] if argv is None else argv)]
    main()


def free_port(host="127.0.0.1"):
    """A TCP port that is free on ``host`` right now.

    Examples
    --------
    >>> 1024 <= free_port() <= 65535
    True
    """
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- coursekit hub


def _trial_settings(args):
    state = Path(args.state_dir).resolve()
    host = args.ip
    return HubSettings(
        mode="trial",
        public_url=f"http://{host}:{args.port}",
        hub_url=f"http://127.0.0.1:{free_port()}",
        proxy_api_url=f"http://127.0.0.1:{free_port()}",
        formgrader_url=f"http://127.0.0.1:{free_port()}",
        state_dir=state,
        course_dir=Path(args.course_dir).resolve(),
        exchange=state / "exchange",
        grader_user=getpass.getuser(),
        cull_timeout=args.cull_timeout,
        trial_password=args.password or secrets.token_urlsafe(12),
    )


def add_hub_parser(subparsers):
    """Register ``coursekit hub`` on an argparse ``subparsers`` object.

    The parser's ``func`` default is :func:`_run_hub_args`, which takes the parsed
    namespace and returns an exit status, like the other ``coursekit`` commands.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="coursekit")
    >>> hub = add_hub_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["hub", "--port", "8123", "--dry-run"])
    >>> args.port, args.dry_run
    (8123, True)
    """
    parser = subparsers.add_parser(
        "hub",
        help="start a local JupyterHub to try the course (loopback, two test accounts)",
        description=(
            "Start hub/jupyterhub_config.py in trial mode: on this machine only, as the "
            "current user, with the accounts 'student' and 'instructor' sharing one "
            "password (printed). The instructor reaches the formgrader at "
            "/services/formgrader/. For a real course on one GPU server see "
            "hub/README.md (system mode, PAM accounts, one process per Unix user)."
        ),
    )
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--state-dir",
        default=str(HUB_DIR / ".trial"),
        help="hub database, exchange and the trial users' homes (default: hub/.trial)",
    )
    parser.add_argument(
        "--course-dir",
        default=str(REPO_ROOT),
        help="nbgrader course directory the formgrader works in (default: this repository)",
    )
    parser.add_argument("--password", help="password of both accounts (default: random)")
    parser.add_argument(
        "--cull-timeout", type=int, default=3600, help="stop servers idle this many seconds"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the command and settings, start nothing"
    )
    parser.set_defaults(func=_run_hub_args)
    return parser


def _hub_command():
    return [
        str(_venv_bin() / "jupyterhub"),
        "-f",
        str(HUB_DIR / "jupyterhub_config.py"),
    ]


def _run_hub_args(args):
    if not 0 < args.port < 65536:
        raise ValueError(f"port must be in 1..65535. Received: port={args.port}.")
    if not (HUB_DIR / "jupyterhub_config.py").is_file():
        raise FileNotFoundError(
            f"coursekit hub needs a checkout of the course repository (it runs "
            f"{HUB_DIR / 'jupyterhub_config.py'}, which an installed coursekit does not "
            "have). Run it from the checkout's .venv: `.venv/bin/coursekit hub`."
        )
    settings = _trial_settings(args)
    env = {**os.environ, **settings_environment(settings)}
    command = _hub_command()
    url = settings.public_url.rstrip("/") + "/"
    print(f"JupyterHub (trial) at {url}")
    print(f"  log in as 'student' or 'instructor', password: {settings.trial_password}")
    print(f"  formgrader (instructor): {url}services/formgrader/")
    print(f"  state: {settings.state_dir}   course: {settings.course_dir}")
    if args.dry_run:
        print("command: " + " ".join(command))
        for name, value in settings_environment(settings).items():
            if name != "COURSEKIT_HUB_TRIAL_PASSWORD":
                print(f"  {name}={value}")
        return 0
    proxy_command()  # fail early, with the install hint, when the proxy is missing
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    settings.exchange.mkdir(parents=True, exist_ok=True)
    settings.exchange.chmod(0o1777)
    print("Stop it with Ctrl-C.", flush=True)
    sys.stderr.flush()
    # The hub replaces this process, so Ctrl-C and SIGTERM reach it directly and it stops
    # the servers, services and proxy it started.
    os.chdir(settings.state_dir)
    os.execve(command[0], command, env)


def main_hub(argv=None):
    """Run ``coursekit hub ARGS`` on its own; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``hub`` (default: ``sys.argv[1:]``).

    Examples
    --------
    >>> main_hub(["--port", "0"])
    Traceback (most recent call last):
    ...
    ValueError: port must be in 1..65535. Received: port=0.
    """
    parser = argparse.ArgumentParser(prog="coursekit")
    add_hub_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["hub", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)
