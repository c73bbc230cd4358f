"""JupyterHub for the course on ONE GPU server (the default deployment).

Run it as root (it switches to each user's Unix account), from the installed course software
that holds no solutions (hub/README.md installs it in /opt/coursekit):

    /opt/coursekit/bin/jupyterhub -f /opt/coursekit/src/hub/jupyterhub_config.py

with the deployment settings in ``COURSEKIT_HUB_*`` environment variables (see
``hub/jupyterhub.service`` and ``coursekit.hub.HubSettings``). The servers run the Python this
hub runs, and read the Jupyter settings next to this file (``jupyter/``). ``coursekit hub`` runs
this same file in trial mode (``COURSEKIT_HUB_MODE=trial``) to try the course on a laptop.

What it sets up:

* accounts: students and instructors log in with their Unix account (PAM). Members of the
  Unix groups ``students`` and ``instructors`` may log in, and land in the hub groups of the
  same name, refreshed at every login.
* servers: each user's Jupyter server runs as that user in their home directory, which the
  hub makes private (0700) before it starts: in a systemd unit with enforced memory and CPU
  limits (jupyterhub-systemdspawner) when the hub runs under systemd, else as a plain process
  (the hub log then says that the limits are not enforced). nbgrader's exchange knows
  students by their Unix user, and Unix permissions keep one student out of another's work.
* nbgrader: the exchange at ``COURSEKIT_HUB_EXCHANGE``; the formgrader runs as a hub-managed
  service as the ``grader`` account in the course directory (the only place with the
  solutions); only the ``instructors`` group may open it (role ``course-instructor``).
* resources: per-user memory and CPU limits, idle culling, and TensorFlow GPU memory growth
  so that several students share one GPU.
"""

import os
import sys
from pathlib import Path

from coursekit import hub as coursekit_hub

c = get_config()  # noqa: F821  (injected by traitlets)

settings = coursekit_hub.hub_settings()
state = settings.state_dir
venv_bin = os.path.dirname(sys.executable)
# This file's folder: the Jupyter settings of the servers (jupyter/) and the proxy
# (node_modules/) are next to it, in a checkout as in the installed /opt/coursekit/src/hub.
hub_dir = Path(__file__).resolve().parent  # noqa: F821  (__file__ is set by traitlets)

# ----------------------------------------------------------------------------- network
# Browsers reach the proxy at public_url. Put TLS in front of it (a reverse proxy such as
# nginx or Caddy with a certificate), or set c.JupyterHub.ssl_cert / ssl_key here.
c.JupyterHub.bind_url = settings.public_url
c.JupyterHub.hub_bind_url = settings.hub_url
c.ConfigurableHTTPProxy.api_url = settings.proxy_api_url
c.ConfigurableHTTPProxy.command = coursekit_hub.proxy_command(hub_dir)
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")

# ----------------------------------------------------------------------------- hub state
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.JupyterHub.template_vars = {
    "announcement_login": "Deep Learning in Practice",
    "instructors_group": settings.instructors_group,
}
# templates/home.html: the home page shows the instructors a "Grading" panel with the
# formgrader's link and where its terminal is.
c.JupyterHub.template_paths = [str(hub_dir / "templates")]

# ----------------------------------------------------------------------------- accounts
from jupyterhub.auth import PAMAuthenticator  # noqa: E402


class CourseAuthenticator(PAMAuthenticator):
    """PAM login; hub groups follow the course's Unix groups at every login."""

    async def authenticate(self, handler, data):
        result = await super().authenticate(handler, data)
        if result is None:
            return None
        name = result["name"] if isinstance(result, dict) else result
        groups = coursekit_hub.unix_course_groups(
            name, [settings.students_group, settings.instructors_group]
        )
        return {"name": name, "groups": groups}


course_groups = {settings.students_group, settings.instructors_group}
c.JupyterHub.authenticator_class = CourseAuthenticator
c.CourseAuthenticator.allowed_groups = course_groups
c.Authenticator.admin_users = set(settings.admin_users)
c.Authenticator.manage_groups = True

# ----------------------------------------------------------------------------- user servers
c.Spawner.cmd = [os.path.join(venv_bin, "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = coursekit_hub.user_environment(settings, hub_dir)
c.Spawner.pre_spawn_hook = coursekit_hub.make_pre_spawn_hook(settings)
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# Limits per server: memory (bytes, "8G") and CPU cores.
c.Spawner.mem_limit = settings.mem_limit
c.Spawner.cpu_limit = settings.cpu_limit

spawner_kind, spawner_reason = coursekit_hub.choose_spawner(settings)
if spawner_kind == "systemd":
    # Each server in its own transient systemd unit (as The Littlest JupyterHub does): the
    # kernel enforces MemoryMax= and CPUQuota= (from mem_limit and cpu_limit) on everything
    # the student starts, and a runaway kernel is killed alone (OOMPolicy=continue).
    from systemdspawner import SystemdSpawner

    c.JupyterHub.spawner_class = SystemdSpawner
    c.SystemdSpawner.unit_name_template = "jupyter-{USERNAME}-singleuser"
    c.SystemdSpawner.isolate_tmp = True  # a private /tmp per server
    c.SystemdSpawner.isolate_devices = False  # keep /dev/nvidia* visible
    c.SystemdSpawner.disable_user_sudo = True  # NoNewPrivileges=yes
    c.SystemdSpawner.default_shell = "/bin/bash"
    c.SystemdSpawner.unit_extra_properties = dict(coursekit_hub.SYSTEMD_PROPERTIES)
else:
    from jupyterhub.spawner import LocalProcessSpawner

    unenforced = coursekit_hub.unenforced_limits_warning(settings, spawner_reason)

    class CourseLocalProcessSpawner(LocalProcessSpawner):
        """One process per user, as that Unix user; says that the limits are not enforced."""

        async def start(self):
            self.log.warning("%s: %s", self.user.name, unenforced)
            return await super().start()

    c.JupyterHub.spawner_class = CourseLocalProcessSpawner
    print(f"[coursekit hub] WARNING: {unenforced}", file=sys.stderr, flush=True)
# On Kubernetes (hub/k8s/config.yaml) the limits are enforced by the cluster.

# ----------------------------------------------------------------------------- services
# The formgrader: a Jupyter server run by the hub as the grader account, in the course
# directory (its nbgrader_config.py is the repository's). Instructors open it at
# /services/formgrader/, which is JupyterLab with the formgrader in a tab and a terminal in
# the launcher; it releases, collects, autogrades and returns feedback.
grader_command = [os.path.join(venv_bin, "jupyterhub-singleuser")]
# The idle culler stops servers nobody has used for cull_timeout seconds (their files stay).
# coursekit.hub.run_idle_culler makes it exit at once when the hub stops it.
culler_command = [
    sys.executable,
    "-c",
    "from coursekit.hub import run_idle_culler; run_idle_culler()",
    f"--timeout={settings.cull_timeout}",
    "--cull-every=300",
]
c.JupyterHub.services = [
    {
        "name": "formgrader",
        "url": settings.formgrader_url,
        "command": grader_command,
        "user": settings.grader_user,
        "cwd": str(settings.course_dir),
        "environment": coursekit_hub.grader_environment(settings, hub_dir),
        "oauth_no_confirm": True,
        "display": True,
        "info": {
            "description": "nbgrader formgrader in JupyterLab: release, collect, grade, "
            "feedback; File > New > Terminal for coursekit autograde, review, export",
        },
    },
    {"name": "idle-culler", "command": culler_command},
]
# nbgrader's formgrader page opened on its own (outside Lab) links notebooks to /tree/...,
# /notebooks/... and /edit/... at the site's root (nbgrader 0.9.6 hard-codes them): the hub
# sends whoever may open the formgrader on to the same file in its Lab, anyone else to a 404.
# (extra_handlers is deprecated in favour of services, which cannot serve the site's root.)
c.JupyterHub.extra_handlers = coursekit_hub.formgrader_link_handlers()
c.JupyterHub.load_roles = [
    {
        "name": "course-instructor",
        "description": "Open the formgrader service (nbgrader) of the course.",
        "groups": [settings.instructors_group],
        "scopes": ["access:services!service=formgrader", "read:services!service=formgrader"],
    },
    {
        "name": "idle-culler",
        "description": "Stop idle servers.",
        "services": ["idle-culler"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    },
]

# ----------------------------------------------------------------------------- trial mode
# `coursekit hub`: the same hub on loopback, as the current user, with two test accounts
# sharing one password. Every server runs as the current user (no isolation between the
# accounts, and nbgrader sees them as one student): for trying the course, not for teaching.
if settings.mode == "trial":
    from jupyterhub.spawner import SimpleLocalProcessSpawner

    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = settings.trial_password
    c.Authenticator.allowed_users = {"student", "instructor"}
    c.Authenticator.manage_groups = False
    c.JupyterHub.load_groups = {
        settings.students_group: {"users": ["student"]},
        settings.instructors_group: {"users": ["instructor"]},
    }
    c.JupyterHub.spawner_class = SimpleLocalProcessSpawner
    c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
    if os.geteuid() == 0:  # Jupyter refuses to run as root unless told
        c.Spawner.args = ["--allow-root"]
        grader_command.append("--allow-root")
