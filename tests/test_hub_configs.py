"""Static checks of the hub's configuration files: the one-machine JupyterHub configuration,
the single-user image's Dockerfile, the Zero to JupyterHub values and the Kubernetes objects.

No Docker engine and no Kubernetes cluster are needed: the Dockerfile is parsed and checked
against the repository (copied files exist, pins agree with requirements.txt), and the Helm
values are checked against the key lists of the chart's values schema (stored below).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import logging
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import yaml
from traitlets.config import PyFileConfigLoader

from coursekit import course
from coursekit import hub as coursekit_hub

REPO = course.REPO_ROOT
HUB = REPO / "hub"

# Zero to JupyterHub: the chart version hub/k8s/config.yaml is written for, and the
# JupyterHub its hub image runs (the single-user image must carry the same).
CHART_VERSION = "4.4.0"
CHART_JUPYTERHUB = "5.5.0"

# From the chart's values schema (jupyterhub/values.schema.yaml of zero-to-jupyterhub-k8s at
# tag 4.4.0), for the objects config.yaml sets: the complete list of keys each object allows
# ("*": any key), and the type (or allowed values) of each leaf config.yaml sets. Regenerate
# these when moving to another chart version, and add the entries for newly used objects.
# fmt: off
CHART_KEYS = {'': ('cull', 'custom', 'debug', 'enabled', 'fullnameOverride', 'global', 'httpRoute', 'hub',
      'imagePullSecret', 'imagePullSecrets', 'ingress', 'nameOverride', 'prePuller', 'proxy',
      'rbac', 'scheduling', 'singleuser'),
 'cull': ('adminUsers', 'concurrency', 'enabled', 'every', 'maxAge', 'removeNamedServers',
          'timeout', 'users'),
 'hub': ('activeServerLimit', 'allowNamedServers', 'annotations', 'args',
         'authenticatePrometheus', 'baseUrl', 'command', 'concurrentSpawnLimit', 'config',
         'consecutiveFailureLimit', 'containerSecurityContext', 'cookieSecret', 'db',
         'deploymentStrategy', 'existingSecret', 'extraConfig', 'extraContainers', 'extraEnv',
         'extraFiles', 'extraPodSpec', 'extraVolumeMounts', 'extraVolumes', 'fsGid', 'image',
         'initContainers', 'labels', 'lifecycle', 'livenessProbe', 'loadRoles',
         'namedServerLimitPerUser', 'networkPolicy', 'nodeSelector', 'pdb',
         'podSecurityContext', 'readinessProbe', 'redirectToServer', 'resources',
         'revisionHistoryLimit', 'service', 'serviceAccount', 'services', 'shutdownOnLogout',
         'templatePaths', 'templateVars', 'tolerations'),
 'hub.config': '*',
 'hub.config.GenericOAuthenticator': '*',
 'hub.config.JupyterHub': '*',
 'hub.db': ('password', 'pvc', 'type', 'upgrade', 'url'),
 'hub.db.pvc': ('accessModes', 'annotations', 'selector', 'storage', 'storageClassName',
                'subPath'),
 'hub.extraFiles': '*',
 'hub.extraFiles.formgrader-links': ('binaryData', 'data', 'mode', 'mountPath', 'stringData'),
 'hub.loadRoles': '*',
 'hub.services': '*',
 'prePuller': ('annotations', 'containerSecurityContext', 'continuous', 'extraImages',
               'extraTolerations', 'hook', 'labels', 'pause', 'pullProfileListImages',
               'resources', 'revisionHistoryLimit'),
 'prePuller.continuous': ('daemonsetAnnotations', 'enabled', 'serviceAccount'),
 'prePuller.hook': ('containerSecurityContext', 'daemonsetAnnotations', 'enabled', 'image',
                    'nodeSelector', 'podSchedulingWaitDuration', 'pullOnlyOnChanges',
                    'resources', 'serviceAccount', 'serviceAccountImagePuller', 'tolerations'),
 'scheduling': ('corePods', 'podPriority', 'userPlaceholder', 'userPods', 'userScheduler'),
 'scheduling.podPriority': ('defaultPriority', 'enabled', 'globalDefault',
                            'imagePullerPriority', 'userPlaceholderPriority'),
 'scheduling.userScheduler': ('annotations', 'containerSecurityContext', 'enabled',
                              'extraPodSpec', 'image', 'labels', 'logLevel', 'nodeSelector',
                              'pdb', 'pluginConfig', 'plugins', 'replicas', 'resources',
                              'revisionHistoryLimit', 'serviceAccount', 'tolerations'),
 'singleuser': ('allowPrivilegeEscalation', 'cloudMetadata', 'cmd', 'cpu', 'defaultUrl',
                'events', 'extraAnnotations', 'extraContainers', 'extraEnv', 'extraFiles',
                'extraLabels', 'extraNodeAffinity', 'extraPodAffinity', 'extraPodAntiAffinity',
                'extraPodConfig', 'extraResource', 'extraTolerations', 'fsGid', 'image',
                'initContainers', 'lifecycleHooks', 'memory', 'networkPolicy', 'networkTools',
                'nodeSelector', 'podNameTemplate', 'profileList', 'serviceAccountName',
                'startTimeout', 'storage', 'uid'),
 'singleuser.cpu': ('guarantee', 'limit'),
 'singleuser.extraEnv': '*',
 'singleuser.image': ('name', 'pullPolicy', 'pullSecrets', 'tag'),
 'singleuser.memory': ('guarantee', 'limit'),
 'singleuser.storage': ('capacity', 'dynamic', 'extraLabels', 'extraVolumeMounts',
                        'extraVolumes', 'homeMountPath', 'static', 'type')}
CHART_LEAVES = {'cull.enabled': ('boolean',),
 'hub.extraFiles.formgrader-links.mountPath': ('string',),
 'cull.every': ('integer', 'null'),
 'cull.timeout': ('integer', 'null'),
 'cull.users': ('boolean', 'null'),
 'hub.db.pvc.storage': ('string',),
 'prePuller.continuous.enabled': ('boolean',),
 'prePuller.hook.enabled': ('boolean',),
 'scheduling.podPriority.enabled': ('boolean',),
 'scheduling.userScheduler.enabled': ('boolean',),
 'singleuser.cpu.guarantee': ('number', 'null'),
 'singleuser.cpu.limit': ('number', 'null'),
 'singleuser.defaultUrl': ('string', 'null'),
 'singleuser.fsGid': ('integer', 'null'),
 'singleuser.image.name': ('string',),
 'singleuser.image.pullPolicy': ('enum', None, '', 'IfNotPresent', 'Always', 'Never'),
 'singleuser.image.tag': ('string',),
 'singleuser.memory.guarantee': ('number', 'string', 'null'),
 'singleuser.memory.limit': ('number', 'string', 'null'),
 'singleuser.profileList': ('array',),
 'singleuser.startTimeout': ('integer', 'null'),
 'singleuser.storage.capacity': ('string', 'null'),
 'singleuser.storage.extraVolumeMounts': ('object', 'array', 'null'),
 'singleuser.storage.extraVolumes': ('object', 'array', 'null'),
 'singleuser.storage.homeMountPath': ('string',),
 'singleuser.storage.type': ('enum', 'dynamic', 'static', 'none'),
 'singleuser.uid': ('integer', 'null')}
# fmt: on

# KubeSpawner 7.0.0 (the chart's) and Spawner traits that a profile may override.
KUBESPAWNER_OVERRIDES = {
    "cpu_limit",
    "cpu_guarantee",
    "mem_limit",
    "mem_guarantee",
    "environment",
    "image",
    "extra_resource_limits",
    "extra_resource_guarantees",
    "node_selector",
    "tolerations",
    "volumes",
    "volume_mounts",
    "uid",
    "fs_gid",
    "default_url",
}
# What the one-machine hub gives the formgrader it starts (seen in its environment); the
# Kubernetes formgrader pod, which the hub does not start, must be given the same.
SERVICE_ENV = {
    "JUPYTERHUB_SERVICE_NAME",
    "JUPYTERHUB_API_TOKEN",
    "JUPYTERHUB_API_URL",
    "JUPYTERHUB_BASE_URL",
    "JUPYTERHUB_CLIENT_ID",
    "JUPYTERHUB_SERVICE_PREFIX",
    "JUPYTERHUB_SERVICE_URL",
    "JUPYTERHUB_OAUTH_CALLBACK_URL",
    "JUPYTERHUB_OAUTH_ACCESS_SCOPES",
    "JUPYTERHUB_OAUTH_SCOPES",
    "JUPYTERHUB_USER",
    "JUPYTERHUB_DEFAULT_URL",
}


def _load_config(path, monkeypatch, **environ):
    """Load a traitlets configuration file as the program that reads it would."""
    for name in list(coursekit_hub.settings_environment(coursekit_hub.HubSettings())):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(
        coursekit_hub, "proxy_command", lambda hub_dir=None: ["configurable-http-proxy"]
    )
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


# ------------------------------------------------------------------------ one machine


def test_course_id_agrees(monkeypatch):
    course_config = _load_config(REPO / "nbgrader_config.py", monkeypatch)
    common = _load_config(HUB / "jupyter" / "common" / "nbgrader_config.py", monkeypatch)
    assert course_config.CourseDirectory.course_id == coursekit_hub.COURSE_ID
    assert common.CourseDirectory.course_id == coursekit_hub.COURSE_ID


def test_system_config(monkeypatch):
    from jupyterhub.auth import PAMAuthenticator
    from jupyterhub.scopes import _check_scopes_exist
    from jupyterhub.spawner import LocalProcessSpawner

    config = _load_config(
        HUB / "jupyterhub_config.py",
        monkeypatch,
        COURSEKIT_HUB_MEM_LIMIT="2G",
        COURSEKIT_HUB_CPU_LIMIT="1.5",
        COURSEKIT_HUB_CULL_TIMEOUT="600",
        COURSEKIT_HUB_COURSE_DIR="/srv/grading/course",
        COURSEKIT_HUB_SPAWNER="local",
    )
    hub = config.JupyterHub
    authenticator = hub.authenticator_class
    assert issubclass(authenticator, PAMAuthenticator)
    assert config.Authenticator.manage_groups is True
    assert config.CourseAuthenticator.allowed_groups == {"students", "instructors"}
    assert issubclass(hub.spawner_class, LocalProcessSpawner)
    spawner = config.Spawner
    assert (spawner.mem_limit, spawner.cpu_limit) == ("2G", 1.5)
    assert spawner.environment["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    for folder in spawner.environment["JUPYTER_CONFIG_PATH"].split(":"):
        assert Path(folder).is_dir(), folder
    assert Path(spawner.cmd[0]).name == "jupyterhub-singleuser" and Path(spawner.cmd[0]).exists()
    assert callable(spawner.pre_spawn_hook)

    services = {service["name"]: service for service in hub.services}
    formgrader = services["formgrader"]
    assert formgrader["user"] == "grader" and formgrader["cwd"] == "/srv/grading/course"
    assert Path(formgrader["command"][0]).exists()
    assert formgrader["environment"]["COURSEKIT_GRADING"] == "1"
    assert formgrader["environment"]["JUPYTERHUB_DEFAULT_URL"] == "/lab?formgrader=true"
    grader_config = formgrader["environment"]["JUPYTER_CONFIG_PATH"].split(":")
    assert [Path(folder).name for folder in grader_config] == ["grader", "common"]
    student_config = spawner.environment["JUPYTER_CONFIG_PATH"].split(":")
    assert [Path(folder).name for folder in student_config] == ["student", "common"]
    culler = services["idle-culler"]["command"]
    assert "--timeout=600" in culler and culler[:2] == [sys.executable, "-c"]
    assert "run_idle_culler()" in culler[2]
    importlib.metadata.version("jupyterhub-idle-culler")

    (templates,) = hub.template_paths
    assert (Path(templates) / "home.html").is_file()
    assert hub.template_vars["instructors_group"] == "instructors"

    roles = {role["name"]: role for role in hub.load_roles}
    assert roles["course-instructor"]["groups"] == ["instructors"]
    assert "access:services!service=formgrader" in roles["course-instructor"]["scopes"]
    assert roles["idle-culler"]["services"] == ["idle-culler"]
    for role in roles.values():
        _check_scopes_exist(role["scopes"])


def test_idle_culler_stops_on_sigterm(monkeypatch):
    """The culler exits at once on SIGTERM, even when the hub passed the signal on ignored."""
    config = _load_config(HUB / "jupyterhub_config.py", monkeypatch)
    (culler,) = [s["command"] for s in config.JupyterHub.services if s["name"] == "idle-culler"]
    with socket.socket() as silent_hub:  # accepts connections, never answers
        silent_hub.bind(("127.0.0.1", 0))
        silent_hub.listen()
        port = silent_hub.getsockname()[1]
        env = {
            "JUPYTERHUB_API_TOKEN": "test",
            "JUPYTERHUB_API_URL": f"http://127.0.0.1:{port}/hub/api",
            "PATH": "/usr/bin:/bin",
        }

        def ignore_signals():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        for signum in (signal.SIGTERM, signal.SIGINT):
            process = subprocess.Popen(
                culler, env=env, preexec_fn=ignore_signals, stderr=subprocess.PIPE, text=True
            )
            try:
                time.sleep(3)  # started, waiting for the hub's answer
                assert process.poll() is None, process.stderr.read()
                sent = time.monotonic()
                process.send_signal(signum)
                assert process.wait(timeout=10) == 0
                assert time.monotonic() - sent < 2
            finally:
                process.kill()
                process.wait()
                process.stderr.close()


def test_trial_config(monkeypatch, tmp_path):
    from jupyterhub.spawner import SimpleLocalProcessSpawner

    config = _load_config(
        HUB / "jupyterhub_config.py",
        monkeypatch,
        COURSEKIT_HUB_MODE="trial",
        COURSEKIT_HUB_TRIAL_PASSWORD="long-enough",
        COURSEKIT_HUB_STATE_DIR=str(tmp_path),
    )
    assert config.JupyterHub.authenticator_class == "shared-password"
    assert config.SharedPasswordAuthenticator.user_password == "long-enough"
    assert config.Authenticator.allowed_users == {"student", "instructor"}
    assert config.JupyterHub.load_groups["instructors"] == {"users": ["instructor"]}
    assert config.JupyterHub.spawner_class is SimpleLocalProcessSpawner
    assert config.SimpleLocalProcessSpawner.home_dir_template.startswith(str(tmp_path))


def test_trial_mode_needs_a_password():
    with pytest.raises(ValueError, match="COURSEKIT_HUB_TRIAL_PASSWORD"):
        coursekit_hub.hub_settings({"COURSEKIT_HUB_MODE": "trial"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("COURSEKIT_HUB_MODE", "cluster", "'system' or 'trial'"),
        ("COURSEKIT_HUB_PUBLIC_URL", "localhost:8000", "must be a URL"),
        ("COURSEKIT_HUB_CPU_LIMIT", "-1", "positive number"),
        ("COURSEKIT_HUB_CULL_TIMEOUT", "1h", "positive number of seconds"),
        ("COURSEKIT_HUB_SPAWNER", "docker", "'auto', 'systemd' or 'local'"),
    ],
)
def test_bad_settings_name_the_value(name, value, message):
    with pytest.raises(ValueError, match=message) as error:
        coursekit_hub.hub_settings({name: value})
    assert f"{name}={value!r}" in str(error.value)


def test_gpus_are_shared_out_evenly():
    gpus = ["0", "1", "2", "3"]
    counts = {gpu: 0 for gpu in gpus}
    for number in range(400):
        counts[coursekit_hub.gpu_for_user(f"student{number:03d}", gpus)] += 1
    assert all(60 <= count <= 140 for count in counts.values()), counts


def test_pre_spawn_hook_pins_a_gpu():
    settings = coursekit_hub.HubSettings(mode="trial", gpus=("0", "1"), trial_password="x" * 8)
    hook = coursekit_hub.make_pre_spawn_hook(settings)

    class User:
        name = "alice"

    class Spawner:
        user = User()
        environment = {"TF_FORCE_GPU_ALLOW_GROWTH": "true"}

    shared = Spawner.environment
    spawner = Spawner()
    hook(spawner)
    assert spawner.environment == {
        "TF_FORCE_GPU_ALLOW_GROWTH": "true",
        "CUDA_VISIBLE_DEVICES": coursekit_hub.gpu_for_user("alice", ["0", "1"]),
    }
    assert "CUDA_VISIBLE_DEVICES" not in shared  # the configured dict is not changed


def test_proxy_missing_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=rf"npm ci --prefix {tmp_path}"):
        coursekit_hub.proxy_command(tmp_path)


def test_hub_dry_run(capsys):
    assert coursekit_hub.main_hub(["--port", "8123", "--password", "s3cret-pass", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "JupyterHub (trial) at http://127.0.0.1:8123/" in printed
    assert "COURSEKIT_HUB_MODE=trial" in printed
    assert printed.count("s3cret-pass") == 1  # shown once for logging in, not in the settings


def test_feedback_hides_hidden_tests(monkeypatch):
    config = _load_config(HUB / "jupyter" / "common" / "nbgrader_config.py", monkeypatch)
    (strip,) = [p for p in config.GenerateFeedback.preprocessors if not isinstance(p, str)]
    test_cell = nbformat.v4.new_code_cell(
        '"""Visible and hidden checks."""\nassert f(1) == 2\n'
        "### BEGIN HIDDEN TESTS\nassert f(-7) == -14, 'f must handle negatives'\n"
        "### END HIDDEN TESTS"
    )
    test_cell.metadata.nbgrader = {"grade": True, "grade_id": "f_works", "points": 1}
    test_cell.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="AssertionError",
            evalue="f must handle negatives",
            traceback=["----> 4 assert f(-7) == -14, 'f must handle negatives'"],
        )
    ]
    other = nbformat.v4.new_code_cell("f(0)")
    other.outputs = [
        nbformat.v4.new_output("error", ename="E", evalue="v", traceback=["line f(0)"])
    ]
    notebook = nbformat.v4.new_notebook(cells=[test_cell, other])
    notebook, _ = strip().preprocess(notebook, {})
    cleaned, untouched = notebook.cells
    assert "f(-7)" not in cleaned.source and "assert f(1) == 2" in cleaned.source
    assert cleaned.outputs[0].traceback == ["AssertionError: f must handle negatives"]
    assert untouched.outputs[0].traceback == ["line f(0)"]


def test_student_servers_hide_instructor_tools():
    student = HUB / "jupyter" / "student"
    server = json.loads((student / "jupyter_server_config.json").read_text())
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert extensions["nbgrader.server_extensions.formgrader"] is False
    assert extensions["nbgrader.server_extensions.assignment_list"] is True
    page = json.loads((student / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True
    assert page["disabledExtensions"]["@jupyter/nbgrader:create-assignment"] is True


def test_terminals_keep_the_course_path(monkeypatch):
    """Terminals start bash without --login, so Debian's /etc/profile cannot reset PATH."""
    config = _load_config(HUB / "jupyter" / "common" / "jupyter_server_config.py", monkeypatch)
    shell = config.ServerApp.terminado_settings["shell_command"]
    assert shell == ["/bin/bash"]
    # What the terminal then sees: the server's PATH, with the course's commands on it,
    # where a login shell (Jupyter's default) would have lost them.
    venv_bin = str(Path(sys.executable).parent)
    env = {"PATH": f"{venv_bin}:/usr/bin:/bin", "HOME": "/nonexistent"}
    script = "command -v coursekit nbgrader"
    kept = subprocess.run([*shell, "-c", script], env=env, capture_output=True, text=True)
    assert kept.stdout.split() == [f"{venv_bin}/coursekit", f"{venv_bin}/nbgrader"]
    if "PATH=" in Path("/etc/profile").read_text():  # Debian, Ubuntu
        login = subprocess.run([*shell, "-l", "-c", script], env=env, capture_output=True)
        assert login.returncode != 0, "a login shell kept PATH here; the test proves nothing"


def test_formgrader_may_be_framed_by_its_lab():
    """The formgrader's server lets its own JupyterLab show it in a tab; students' do not."""
    grader = json.loads((HUB / "jupyter" / "grader" / "jupyter_server_config.json").read_text())
    headers = grader["ServerApp"]["tornado_settings"]["headers"]
    assert headers == {"Content-Security-Policy": "frame-ancestors 'self'"}
    student = (HUB / "jupyter" / "student" / "jupyter_server_config.json").read_text()
    assert "Content-Security-Policy" not in student  # JupyterHub's 'none' stays
    env = coursekit_hub.grader_environment(coursekit_hub.HubSettings())
    assert env["JUPYTERHUB_DEFAULT_URL"] == "/lab?formgrader=true"
    # nbgrader's Lab extension opens the formgrader tab for that query (its router pattern).
    labextension = Path(sys.prefix) / "share/jupyter/labextensions/@jupyter/nbgrader/static"
    bundle = "".join(path.read_text() for path in labextension.glob("*.js"))
    assert "pattern:/(\\?|&)formgrader=true/" in bundle


def test_no_news_pop_up():
    """JupyterLab's announcements plugin (the "Jupyter news" question) is off everywhere."""
    page = json.loads((HUB / "jupyter" / "common" / "labconfig" / "page_config.json").read_text())
    (plugin,) = page["disabledExtensions"]
    assert page["disabledExtensions"][plugin] is True
    # The plugin of that name exists in the pinned JupyterLab.
    static = Path(sys.prefix) / "share" / "jupyter" / "lab" / "static"
    assert any(f'"{plugin}"' in path.read_text() for path in static.glob("jlab_core.*.js"))


def test_feedback_mathjax_is_local_and_quiet(monkeypatch, caplog):
    """Feedback pages load MathJax from the server showing them; no display_data_priority noise."""
    from nbconvert import HTMLExporter
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import ClearHiddenTests

    from coursekit.book import MATHJAX_VERSION

    server = _load_config(HUB / "jupyter" / "common" / "jupyter_server_config.py", monkeypatch)
    (static,) = server.ServerApp.extra_static_paths
    assert (Path(static) / "mathjax" / "es5" / "tex-chtml.js").is_file()  # npm ci --prefix hub
    lock = json.loads((HUB / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/mathjax"]["version"] == MATHJAX_VERSION  # the book's

    config = _load_config(HUB / "jupyter" / "common" / "nbgrader_config.py", monkeypatch)
    converter = GenerateFeedback(config=config)
    exporter = HTMLExporter(parent=converter, config=converter.config)
    with caplog.at_level(logging.WARNING):
        exporter.register_preprocessor(ClearHiddenTests, enabled=True)
    assert "display_data_priority" not in caplog.text
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$x^2$")])
    grades = {"notebook": "a01", "score": 1, "max_score": 2, "late_penalty": 0}
    page, _ = exporter.from_notebook_node(notebook, resources={"nbgrader": grades})
    assert "static/mathjax/es5/tex-chtml.js" in page and "cdnjs" not in page
    assert "$x^2$" in page and "Score: 1" in page  # still nbgrader's feedback page
    # The formgrader's own HTML exporter (manual grading) keeps nbgrader's template.
    assert HTMLExporter(config=converter.config).template_name == "feedback"


def _spawner_user(name="nobody"):
    from jupyterhub.objects import Server

    server = Server(base_url=f"/user/{name}/")
    return SimpleNamespace(name=name, id=7, url=server.base_url, escaped_name=name, server=server)


def test_systemd_spawner_enforces_limits(monkeypatch, tmp_path):
    """Under systemd each server is a unit with MemoryMax= and CPUQuota=: the systemd-run call."""
    from jupyterhub.objects import Hub
    from systemdspawner import SystemdSpawner, systemd

    config = _load_config(
        HUB / "jupyterhub_config.py",
        monkeypatch,
        COURSEKIT_HUB_SPAWNER="systemd",
        COURSEKIT_HUB_MEM_LIMIT="2G",
        COURSEKIT_HUB_CPU_LIMIT="1.5",
        COURSEKIT_HUB_GPUS="0,1",
    )
    spawner_class = config.JupyterHub.spawner_class
    assert issubclass(spawner_class, SystemdSpawner)

    calls, running = [], []

    async def create_subprocess_exec(*argv, **kwargs):
        calls.append(argv)
        running.append(True)
        return SimpleNamespace(wait=lambda: asyncio.sleep(0, result=0))

    async def service_running(unit):
        return bool(running)

    async def service_failed(unit):
        return False

    monkeypatch.setattr(systemd, "RUN_ROOT", str(tmp_path))
    monkeypatch.setattr(systemd.asyncio, "create_subprocess_exec", create_subprocess_exec)
    monkeypatch.setattr(systemd, "service_running", service_running)
    monkeypatch.setattr(systemd, "service_failed", service_failed)
    monkeypatch.setattr(systemd, "get_systemd_version", lambda: 252)
    user = _spawner_user()
    spawner = spawner_class(user=user, hub=Hub(), config=config, api_token="t")
    spawner.server = user.server
    config.Spawner.pre_spawn_hook(spawner)
    assert asyncio.run(spawner.start())[0] == "127.0.0.1"

    ((*systemd_run, command),) = calls
    properties = dict(a.split("=", 2)[1:] for a in systemd_run if a.startswith("--property="))
    assert systemd_run[:3] == ["systemd-run", "--unit", "jupyter-nobody-singleuser"]
    assert f"--uid={pwd_uid('nobody')}" in systemd_run
    assert properties["MemoryMax"] == str(2 * 1024**3)
    assert properties["CPUQuota"] == "150%"
    for name, value in {
        **coursekit_hub.SYSTEMD_PROPERTIES,
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "OOMPolicy": "continue",
    }.items():
        assert properties[name] == value, name
    assert "PrivateDevices" not in properties  # the GPUs stay visible
    assert Path(command).name == "jupyterhub-singleuser"
    environment = Path(properties["EnvironmentFile"]).read_text()
    gpu = coursekit_hub.gpu_for_user("nobody", ["0", "1"])
    assert f"CUDA_VISIBLE_DEVICES={gpu}\n" in environment
    assert "TF_FORCE_GPU_ALLOW_GROWTH=true\n" in environment


def pwd_uid(name):
    import pwd

    return pwd.getpwnam(name).pw_uid


def test_without_systemd_the_hub_says_limits_are_not_enforced(monkeypatch, capsys):
    from jupyterhub.spawner import LocalProcessSpawner

    monkeypatch.setattr(coursekit_hub, "systemd_available", lambda: False)
    config = _load_config(HUB / "jupyterhub_config.py", monkeypatch)
    assert issubclass(config.JupyterHub.spawner_class, LocalProcessSpawner)
    printed = capsys.readouterr().err
    assert "Memory and CPU limits are NOT enforced (mem_limit=8G, cpu_limit=4.0)" in printed
    monkeypatch.setattr(coursekit_hub, "systemd_available", lambda: True)
    assert coursekit_hub.choose_spawner(coursekit_hub.HubSettings())[0] == "systemd"
    local = coursekit_hub.HubSettings(spawner="local")
    assert coursekit_hub.choose_spawner(local) == ("local", "COURSEKIT_HUB_SPAWNER=local")


def test_systemd_unit_sets_known_settings():
    unit = (HUB / "jupyterhub.service").read_text()
    names = re.findall(r"^Environment=(\w+)=", unit, flags=re.M)
    known = set(coursekit_hub.settings_environment(coursekit_hub.HubSettings()))
    known.add("COURSEKIT_LANGUAGE")  # the course's language, passed on to servers and grader
    assert names and set(names) <= known
    (exec_start,) = re.findall(r"^ExecStart=(.*)$", unit, flags=re.M)
    assert exec_start.endswith("/hub/jupyterhub_config.py")


def test_pins():
    """npm and pip pins of the hub are exact and agree with what is installed."""
    package = json.loads((HUB / "package.json").read_text())
    lock = json.loads((HUB / "package-lock.json").read_text())
    pinned = package["dependencies"]["configurable-http-proxy"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned)
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == pinned
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["dependencies"]["mathjax"])
    for line in (REPO / "requirements-hub.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            assert importlib.metadata.version(name) == version, name


# ------------------------------------------------------------------------ the image


def _dockerfile():
    """(instruction, arguments) pairs of hub/Dockerfile, continuation lines joined."""
    text = (HUB / "Dockerfile").read_text()
    text = re.sub(r"\\\n\s*", " ", text)
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def _requirement_pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_dockerfile_builds_from_the_repository():
    instructions = _dockerfile()
    keywords = [keyword for keyword, _ in instructions]
    assert keywords[0] in ("FROM", "ARG") and "FROM" in keywords
    base = dict(instructions)["FROM"]
    if base == "${BASE}":  # the base is a build argument (make image passes a Debian-built one)
        base = dict(a.split("=", 1) for k, a in instructions if k == "ARG")["BASE"]
    assert base.startswith("python:3.11-")  # the course's Python (requirements are for 3.11)
    ignored = (HUB / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = [line[1:].rstrip("/") for line in ignored if line.startswith("!")]
    for keyword, arguments in instructions:
        if keyword == "COPY":
            *sources, _ = shlex.split(arguments)
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
                assert any(source == a or source.startswith(a + "/") for a in allowed), source
    assert keywords[-1] == "CMD" and "jupyterhub-singleuser" in instructions[-1][1]
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_dockerfile_pins_agree():
    instructions = _dockerfile()
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    pins = _requirement_pins(REPO / "requirements.txt")
    assert "pip install -r /opt/course/requirements.txt" in runs
    (tensorflow,) = re.findall(r'"tensorflow\[and-cuda\]==([\d.]+)"', runs)
    assert tensorflow == pins["tensorflow"]
    args = dict(arguments.split("=", 1) for keyword, arguments in instructions if keyword == "ARG")
    assert args["JUPYTERHUB_VERSION"] == CHART_JUPYTERHUB
    assert f"--version {CHART_VERSION}" in (HUB / "k8s" / "config.yaml").read_text()


def test_dockerfile_data_and_settings():
    instructions = _dockerfile()
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    env = {}
    for keyword, arguments in instructions:
        if keyword == "ENV":
            env.update(token.split("=", 1) for token in shlex.split(arguments))
    assert "apt-get install" in runs and "dataset-fashion-mnist" in runs
    # The Debian package's folder (what `dpkg -L dataset-fashion-mnist` lists).
    assert env["COURSEKIT_DATA"] == "/usr/share/datasets/fashion-mnist"
    assert "COURSEKIT_OFFLINE=1 coursekit data --check fashion_mnist" in runs
    assert env["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    for folder in env["JUPYTER_CONFIG_PATH"].split(":"):
        relative = Path(folder).relative_to("/opt/course")
        assert (REPO / relative).is_dir(), folder
    assert env["COURSEKIT_HUB_EXCHANGE"] == "/srv/nbgrader/exchange"
    assert "solutions" not in " ".join(a for k, a in instructions if k == "COPY")


# ------------------------------------------------------------------------ Kubernetes


def _values():
    return yaml.safe_load((HUB / "k8s" / "config.yaml").read_text())


_JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}


def _check_against_chart(value, path, problems):
    allowed = CHART_KEYS.get(path)
    if allowed is None:
        problems.append(f"{path}: not in the stored schema lists (regenerate them)")
        return
    for key, child in value.items():
        child_path = f"{path}.{key}" if path else key
        if allowed != "*" and key not in allowed:
            problems.append(f"{child_path}: not a key of the chart's values")
        elif isinstance(child, dict) and child_path in CHART_KEYS:
            _check_against_chart(child, child_path, problems)
        elif child_path in CHART_LEAVES:
            kind = CHART_LEAVES[child_path]
            if kind[0] == "enum":
                if child not in kind[1:]:
                    problems.append(f"{child_path}: {child!r} is not one of {kind[1:]}")
            elif not isinstance(child, tuple(_JSON_TYPES[t] for t in kind)) or (
                isinstance(child, bool) and "boolean" not in kind
            ):
                problems.append(f"{child_path}: {child!r} is not of type {kind}")
        elif allowed != "*":
            problems.append(f"{child_path}: not in the stored schema lists (regenerate them)")


def test_values_match_the_chart_schema():
    problems = []
    _check_against_chart(_values(), "", problems)
    assert not problems, "\n".join(problems)


def test_schema_check_catches_mistakes():
    problems = []
    values = _values()
    values["singleuser"]["memory"]["limitt"] = "2G"
    values["cull"]["timeout"] = "1h"
    values["singleuser"]["storage"]["type"] = "nfs"
    _check_against_chart(values, "", problems)
    assert len(problems) == 3, problems


def test_formgrader_links_on_kubernetes():
    """The chart's hub runs coursekit/hub_links.py from jupyterhub_config.d, with its ``c``."""
    import traitlets.config

    from coursekit import hub_links

    entry = _values()["hub"]["extraFiles"]["formgrader-links"]
    assert entry["mountPath"].startswith("/usr/local/etc/jupyterhub/jupyterhub_config.d/")
    assert entry["mountPath"].endswith(".py") and "stringData" not in entry  # (--set-file)
    set_file = "--set-file hub.extraFiles.formgrader-links.stringData=coursekit/hub_links.py"
    for text in ((HUB / "k8s" / "config.yaml").read_text(), (HUB / "README.md").read_text()):
        assert set_file in " ".join(text.replace("\\\n", " ").replace("#", " ").split())
    # What the chart does with a file there: exec it where ``c`` is the hub's config.
    source = Path(hub_links.__file__).read_text()
    assert "import coursekit" not in source and "from coursekit" not in source
    assert not re.search(r"^from \\.", source, re.M)  # (no relative imports either)
    namespace = {"c": traitlets.config.Config()}
    exec(compile(source, "formgrader_links.py", "exec"), namespace)  # noqa: S102
    ((pattern, handler),) = namespace["c"].JupyterHub.extra_handlers
    assert pattern == "/(?:tree|notebooks|edit)(?:/(.*))?" and handler.__name__.endswith("Handler")


def test_gpu_profile():
    profiles = {p["slug"]: p for p in _values()["singleuser"]["profileList"]}
    assert set(profiles) == {"cpu", "gpu"} and profiles["cpu"]["default"] is True
    assert "kubespawner_override" not in profiles["cpu"]
    override = profiles["gpu"]["kubespawner_override"]
    assert set(override) <= KUBESPAWNER_OVERRIDES, set(override) - KUBESPAWNER_OVERRIDES
    assert override["extra_resource_limits"] == {"nvidia.com/gpu": "1"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in override[
        "tolerations"
    ]


def _course_objects():
    documents = list(yaml.safe_load_all((HUB / "k8s" / "course.yaml").read_text()))
    return {(d["kind"], d["metadata"]["name"]): d for d in documents}


def test_course_objects_fit_the_values():
    values = _values()
    objects = _course_objects()
    assert set(objects) == {
        ("PersistentVolumeClaim", "nbgrader-exchange"),
        ("PersistentVolumeClaim", "course-grader"),
        ("Deployment", "formgrader"),
        ("Service", "formgrader"),
    }
    for document in objects.values():
        assert document["apiVersion"] in ("v1", "apps/v1")
    exchange = objects[("PersistentVolumeClaim", "nbgrader-exchange")]
    assert exchange["spec"]["accessModes"] == ["ReadWriteMany"]

    storage = values["singleuser"]["storage"]
    (volume,) = storage["extraVolumes"]
    (mount,) = storage["extraVolumeMounts"]
    assert volume["persistentVolumeClaim"]["claimName"] == "nbgrader-exchange"
    assert mount["mountPath"] == values["singleuser"]["extraEnv"]["COURSEKIT_HUB_EXCHANGE"]

    # The hub finds the formgrader where the Service puts it.
    service = objects[("Service", "formgrader")]
    port = service["spec"]["ports"][0]["port"]
    assert values["hub"]["services"]["formgrader"]["url"] == f"http://formgrader:{port}"
    roles = values["hub"]["loadRoles"]["course-instructor"]
    assert "access:services!service=formgrader" in roles["scopes"]
    assert roles["groups"] == ["instructors"]
    assert "instructors" in values["hub"]["config"]["GenericOAuthenticator"]["allowed_groups"]


def test_formgrader_pod():
    values = _values()
    pod = _course_objects()[("Deployment", "formgrader")]["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    assert SERVICE_ENV <= set(env), SERVICE_ENV - set(env)
    token = env["JUPYTERHUB_API_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert token == {"name": "hub", "key": "hub.services.formgrader.apiToken"}
    assert env["JUPYTERHUB_SERVICE_PREFIX"]["value"] == "/services/formgrader/"
    # The same Jupyter settings and landing page as the one-machine formgrader.
    local = coursekit_hub.grader_environment(coursekit_hub.HubSettings(), "/opt/course/hub")
    assert env["JUPYTER_CONFIG_PATH"]["value"] == local["JUPYTER_CONFIG_PATH"]
    assert env["JUPYTERHUB_DEFAULT_URL"]["value"] == local["JUPYTERHUB_DEFAULT_URL"]
    for name, value in course.GRADING_ENV.items():  # the rest comes from the image
        if name not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "KERAS_BACKEND"):
            assert env[name]["value"] == value, name
    image = f"{values['singleuser']['image']['name']}:{values['singleuser']['image']['tag']}"
    assert container["image"] == image
    assert pod["metadata"]["labels"]["hub.jupyter.org/network-access-hub"] == "true"
    # Students (uid 1000) and the grader are different users, as on one machine.
    args = dict(a.split("=", 1) for k, a in _dockerfile() if k == "ARG")
    assert values["singleuser"]["uid"] == int(args["NB_UID"])
    assert pod["spec"]["securityContext"]["runAsUser"] == int(args["GRADER_UID"])
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/srv/nbgrader/exchange" in mounts
    assert container["workingDir"].startswith(tuple(mounts))


def test_the_course_language_reaches_students_and_the_grader(monkeypatch):
    monkeypatch.setenv("COURSEKIT_LANGUAGE", "hu")
    settings = coursekit_hub.HubSettings()
    assert coursekit_hub.user_environment(settings)["COURSEKIT_LANGUAGE"] == "hu"
    assert coursekit_hub.grader_environment(settings)["COURSEKIT_LANGUAGE"] == "hu"
    monkeypatch.delenv("COURSEKIT_LANGUAGE")
    assert "COURSEKIT_LANGUAGE" not in coursekit_hub.user_environment(settings)
