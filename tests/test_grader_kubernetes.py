"""Grading on Kubernetes (coursekit.grader.kubernetes) and the student container's kernel
(coursekit.grader.podkernel).

No cluster runs here. The generated objects are validated against the Kubernetes API's JSON
schemas (the `kubernetes-validate` package, strict: unknown fields are errors), plus the rules
the schemas do not express (DNS-1123 names, label values, quantities) and the structure the
isolation relies on. The kernel entry point is started for real, on this machine.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time

import kubernetes_validate
import pytest
import yaml

from coursekit.course import REPO_ROOT
from coursekit.grader import kubernetes as k8s
from coursekit.grader import podkernel

EXAMPLES = REPO_ROOT / "hub" / "k8s" / "grading"
# The settings the examples in hub/k8s/grading/ are generated with (hub/README.md).
EXAMPLE_ARGS = dict(
    course=REPO_ROOT,
    assignment="a01_perceptron",
    students=["alice"],
    image="registry.example.edu/dlip-singleuser:0.1.0",
    namespace="dlip",
    max_pods=8,
)
# The oldest Kubernetes that Zero to JupyterHub 4.x supports, and the newest schema shipped.
KUBERNETES_VERSIONS = ["1.28", "1.37"]
STUDENTS = ["alice", "Ann.Smith_2", "bob@example.edu"]

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUANTITY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")


@pytest.fixture
def course(tmp_path):
    """A course directory with one assignment and three submissions."""
    root = tmp_path / "course"
    (root / "solutions" / "a01_perceptron").mkdir(parents=True)
    (root / "solutions" / "a01_perceptron" / "perceptron.ipynb").write_text("{}")
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    for student in STUDENTS:
        (root / "submitted" / student / "a01_perceptron").mkdir(parents=True)
    return root


def _manifests(course, **options):
    options = {"image": "registry.example.edu/dlip-singleuser:0.1.0", "namespace": "dlip"} | (
        options
    )
    return k8s.job_manifests(course, "a01_perceptron", STUDENTS, **options)


def _jobs(objects):
    return [o for o in objects if o["kind"] == "Job"]


def _schema_errors(obj, version):
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(map(str, error.path))}: {error.message}"]
    return []


def _semantic_errors(obj):
    """What the API server checks and the JSON schemas do not."""
    errors = []
    metadata = obj["metadata"]
    if not (DNS_LABEL.match(metadata["name"]) and len(metadata["name"]) <= 63):
        errors.append(f"name {metadata['name']!r} is not a DNS-1123 label")
    objects_meta = [metadata]
    if obj["kind"] == "Job":
        objects_meta.append(obj["spec"]["template"]["metadata"])
    for meta in objects_meta:
        for key, value in meta.get("labels", {}).items():
            if not (LABEL_VALUE.match(value) and len(value) <= 63):
                errors.append(f"label {key}={value!r} is not a valid label value")
    if obj["kind"] == "Job":
        pod = obj["spec"]["template"]["spec"]
        names = [v["name"] for v in pod["volumes"]]
        for container in pod["containers"]:
            for mount in container["volumeMounts"]:
                if mount["name"] not in names:
                    errors.append(f"{container['name']} mounts unknown volume {mount['name']}")
            for kind in ("requests", "limits"):
                for resource, amount in container["resources"][kind].items():
                    if not QUANTITY.match(amount):
                        errors.append(f"{container['name']} {kind}.{resource}={amount!r}")
    return errors


# The generated objects against the API schemas.


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(
    "options", [{}, {"gpu": True, "max_pods": 4, "db_url_secret": "gradebook", "colocate": False}]
)
def test_manifests_validate_against_the_kubernetes_schemas(course, version, options):
    objects = _manifests(course, **options)
    assert [o["kind"] for o in objects].count("Job") == len(STUDENTS)
    for obj in objects:
        assert _schema_errors(obj, version) == [], obj["metadata"]["name"]
        assert _semantic_errors(obj) == [], obj["metadata"]["name"]


@pytest.mark.parametrize(
    "break_it, expected",
    [
        (lambda job: job["spec"].update(backofLimit=0), "backofLimit"),  # unknown field
        (lambda job: job["spec"].update(backoffLimit="zero"), "'zero' is not of type"),
        (lambda job: job["spec"]["template"]["spec"]["containers"][0].pop("name"), "'name'"),
        (
            lambda job: job["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(
                readOnlyRootFS=True
            ),
            "readOnlyRootFS",
        ),
        (
            lambda job: job["spec"]["template"]["spec"]["volumes"][0]["emptyDir"].update(
                sizeLimit=["1Gi"]
            ),
            "sizeLimit",
        ),
    ],
)
def test_schema_validation_rejects_broken_manifests(course, break_it, expected):
    job = _jobs(_manifests(course))[0]
    break_it(job)
    errors = _schema_errors(job, KUBERNETES_VERSIONS[-1])
    assert errors and expected in errors[0] + str(errors), errors


def test_schema_validation_rejects_a_broken_network_policy(course):
    policy = _manifests(course)[0]
    policy["spec"]["policyTypes"] = "Ingress"  # a string, not a list
    assert _schema_errors(policy, KUBERNETES_VERSIONS[-1])
    policy["spec"]["policyTypes"] = ["Ingress", "Egress"]
    policy["spec"]["podSelectors"] = {}
    assert _schema_errors(policy, KUBERNETES_VERSIONS[-1])


def test_semantic_check_rejects_bad_names_and_quantities(course):
    job = _jobs(_manifests(course))[0]
    job["metadata"]["name"] = "Grade_Alice"
    job["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "4 GB"
    assert len(_semantic_errors(job)) == 2


# The structure the isolation relies on.


def test_deny_all_policy_selects_every_grading_pod(course):
    objects = _manifests(course, max_pods=3)
    policy = objects[0]
    assert policy["kind"] == "NetworkPolicy"
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in policy["spec"] and "egress" not in policy["spec"]
    selector = policy["spec"]["podSelector"]
    assert set(selector) == {"matchLabels"} and selector["matchLabels"]
    for job in _jobs(objects):
        assert job["metadata"]["namespace"] == policy["metadata"]["namespace"]
        labels = job["spec"]["template"]["metadata"]["labels"]
        assert selector["matchLabels"].items() <= labels.items()
    quota = objects[1]
    assert quota["kind"] == "ResourceQuota"
    assert quota["spec"] == {"hard": {"pods": "3"}, "scopes": ["Terminating"]}


def test_student_container_sees_only_the_box(course):
    for job in _jobs(_manifests(course, gpu=True)):
        pod = job["spec"]["template"]["spec"]
        student, grader = pod["containers"]
        assert (student["name"], grader["name"]) == ("student", "grader")
        assert student["command"] == ["python", "-m", "coursekit.grader.podkernel", "/box"]
        assert student["volumeMounts"] == [{"name": "box", "mountPath": "/box"}]
        box = next(v for v in pod["volumes"] if v["name"] == "box")
        assert box["emptyDir"]["medium"] == "Memory" and box["emptyDir"]["sizeLimit"] == "1Gi"
        course_volume = next(v for v in pod["volumes"] if v["name"] == "course")
        assert course_volume["persistentVolumeClaim"]["claimName"] == "course-grader"
        assert {m["mountPath"] for m in grader["volumeMounts"]} == {"/course", "/box", "/tmp"}
        assert "envFrom" not in student and all("valueFrom" not in e for e in student["env"])
        assert pod["automountServiceAccountToken"] is False
        assert pod["shareProcessNamespace"] is False
        assert pod["enableServiceLinks"] is False
        assert pod["restartPolicy"] == "Never"
        assert pod["activeDeadlineSeconds"] == 900
        assert job["spec"]["backoffLimit"] == 0 and job["spec"]["ttlSecondsAfterFinished"] > 0
        uids = {c["securityContext"]["runAsUser"] for c in pod["containers"]}
        assert uids == {k8s.STUDENT_UID, k8s.GRADER_UID} and 0 not in uids
        assert pod["securityContext"]["fsGroup"] == k8s.FS_GROUP


def test_grader_command_names_the_exact_student(course):
    for job, student in zip(_jobs(_manifests(course)), STUDENTS, strict=True):
        grader = job["spec"]["template"]["spec"]["containers"][1]
        assert grader["args"] == [
            "coursekit",
            "autograde",
            "a01_perceptron",
            "--student",
            student,
            "--course-dir",
            "/course",
            "--sandbox",
            "external:/box",
        ]
        assert job["metadata"]["annotations"]["coursekit/student"] == student
        assert job["spec"]["template"]["metadata"]["annotations"]["coursekit/student"] == student


def test_containers_meet_the_restricted_pod_security_standard(course):
    """The checks of Kubernetes' `restricted` Pod Security Standard that apply to these pods."""
    for job in _jobs(_manifests(course, gpu=1)):
        pod = job["spec"]["template"]["spec"]
        assert not any(pod.get(key) for key in ("hostNetwork", "hostPID", "hostIPC"))
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        allowed_volumes = {"emptyDir", "persistentVolumeClaim", "configMap", "secret"}
        for volume in pod["volumes"]:
            assert set(volume) - {"name"} <= allowed_volumes
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True and context["runAsUser"] > 0
            assert context["allowPrivilegeEscalation"] is False
            assert context["privileged"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
            assert context["readOnlyRootFilesystem"] is True


def test_limits_are_set_and_equal_to_requests(course):
    objects = _manifests(course, memory="3Gi", cpu="1500m", gpu=True, box_size="512Mi")
    for job in _jobs(objects):
        pod = job["spec"]["template"]["spec"]
        student, grader = pod["containers"]
        for container in (student, grader):
            resources = container["resources"]
            assert resources["requests"] == resources["limits"]
            assert {"cpu", "memory", "ephemeral-storage"} <= set(resources["limits"])
        # The memory-backed box counts against the student's memory.
        assert student["resources"]["limits"]["memory"] == "3584Mi"
        assert student["resources"]["limits"]["cpu"] == "1500m"
        assert student["resources"]["limits"]["nvidia.com/gpu"] == "1"
        assert "nvidia.com/gpu" not in grader["resources"]["limits"]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
            "tolerations"
        ]
    cpu_only = _jobs(_manifests(course))[0]["spec"]["template"]["spec"]
    assert "tolerations" not in cpu_only
    assert "nvidia.com/gpu" not in cpu_only["containers"][0]["resources"]["limits"]


@pytest.mark.parametrize("colocate", [True, False])
def test_colocation_with_the_formgrader(course, colocate):
    pod = _jobs(_manifests(course, colocate=colocate))[0]["spec"]["template"]["spec"]
    if colocate:
        term = pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
        assert term["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": "formgrader"}
        # The formgrader Deployment of hub/k8s/course.yaml carries that label.
        documents = yaml.safe_load_all((REPO_ROOT / "hub" / "k8s" / "course.yaml").read_text())
        formgrader = next(d for d in documents if d["metadata"]["name"] == "formgrader")
        pod_labels = formgrader["spec"]["template"]["metadata"]["labels"]
        assert term["labelSelector"]["matchLabels"].items() <= pod_labels.items()
    else:
        assert "affinity" not in pod


def test_odd_student_ids_get_valid_distinct_names(course):
    students = ["Ann.Smith_2", "ann-smith-2", "ann.smith.2", "x" * 80, "_under_", "Élodie"]
    objects = k8s.job_manifests(
        course, "a01_perceptron", students, image="img:1", namespace="grading"
    )
    names = [job["metadata"]["name"] for job in _jobs(objects)]
    assert len(set(names)) == len(students)
    for job in _jobs(objects):
        assert _semantic_errors(job) == []
    assert names[0].startswith("grade-a01-perceptron-ann-smith-2-")
    labels = [job["metadata"]["labels"]["coursekit/student"] for job in _jobs(objects)]
    assert labels[:3] == ["Ann.Smith_2", "ann-smith-2", "ann.smith.2"]  # already valid: kept
    assert labels[5].startswith("Elodie-") and names[5].startswith("grade-a01-perceptron-elodie-")
    assert len(set(labels)) == len(students)
    # A plain id keeps a plain name.
    (course / "solutions" / "a01").mkdir()
    plain = k8s.job_manifests(course, "a01", ["alice"], image="i:1", namespace="dlip")
    assert _jobs(plain)[0]["metadata"]["name"] == "grade-a01-alice"


def test_the_formgrader_course_volume_layout_matches(course):
    """The claim, sub-folder and user id are those of hub/k8s/course.yaml's formgrader."""
    documents = list(yaml.safe_load_all((REPO_ROOT / "hub" / "k8s" / "course.yaml").read_text()))
    formgrader = next(d for d in documents if d["metadata"]["name"] == "formgrader")
    spec = formgrader["spec"]["template"]["spec"]
    claims = {v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"]}
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "course-grader")
    pod = _jobs(_manifests(course))[0]["spec"]["template"]["spec"]
    course_volume = next(v for v in pod["volumes"] if v["name"] == "course")
    assert course_volume["persistentVolumeClaim"]["claimName"] in claims
    course_mount = next(m for m in pod["containers"][1]["volumeMounts"] if m["name"] == "course")
    # The formgrader works in /home/grader/course, the volume being mounted at /home/grader.
    assert spec["containers"][0]["workingDir"] == f"{mount['mountPath']}/{course_mount['subPath']}"
    assert spec["securityContext"]["runAsUser"] == k8s.GRADER_UID
    assert spec["securityContext"]["fsGroup"] == k8s.FS_GROUP


# Bad input.


@pytest.mark.parametrize(
    "options, message",
    [
        ({"memory": "4GB"}, "memory must be a Kubernetes quantity"),
        ({"memory": 4}, "Received: memory=4"),
        ({"cpu": "two"}, "cpu must be a positive number of CPU cores"),
        ({"cpu": 0}, "Received: cpu=0"),
        ({"namespace": "DLIP"}, "namespace must be a DNS-1123 label"),
        ({"image": ""}, "image must name the single-user image"),
        ({"timeout_s": 0}, "timeout_s must be a positive integer"),
        ({"gpu": -1}, "gpu must be True, False"),
        ({"max_pods": 0}, "max_pods must be a positive integer"),
        ({"course_claim": "Course Grader"}, "course_claim must be the name"),
        ({"course_subpath": "../etc"}, "course_subpath must be a relative folder"),
    ],
)
def test_bad_options_are_refused_with_the_value(course, options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _manifests(course, **options)


def test_unknown_assignment_names_the_path_and_the_fix(course):
    with pytest.raises(ValueError) as error:
        k8s.job_manifests(course, "a99_nothing", None, image="i:1", namespace="dlip")
    text = str(error.value)
    assert str(course / "solutions" / "a99_nothing") in text
    assert "a01_perceptron" in text and "--course-dir" in text


def test_not_a_course_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nbgrader_config.py"):
        k8s.job_manifests(tmp_path, "a01_perceptron", None, image="i:1", namespace="dlip")


def test_students_default_to_the_submissions(course):
    objects = k8s.job_manifests(course, "a01_perceptron", None, image="i:1", namespace="dlip")
    found = [job["metadata"]["annotations"]["coursekit/student"] for job in _jobs(objects)]
    assert found == sorted(STUDENTS)
    for student in STUDENTS:
        (course / "submitted" / student / "a01_perceptron").rmdir()
    with pytest.raises(ValueError, match=r"No submissions of 'a01_perceptron' .*coursekit collect"):
        k8s.job_manifests(course, "a01_perceptron", None, image="i:1", namespace="dlip")


@pytest.mark.parametrize(
    "students, error",
    [("alice", TypeError), ([], ValueError), (["a/b"], ValueError), (["x", "x"], ValueError)],
)
def test_bad_student_lists(course, students, error):
    with pytest.raises(error):
        k8s.job_manifests(course, "a01_perceptron", students, image="i:1", namespace="dlip")


# Files and the command line.


def test_main_writes_manifests_that_validate(course, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["a01_perceptron", "--course-dir", str(course), "--image", "reg/img:1"]
    argv += ["--namespace", "dlip", "--out", str(out), "--gpu", "--max-pods", "2"]
    assert k8s.main(argv) == 0
    assert f"kubectl apply -f {out}" in capsys.readouterr().out
    files = sorted(out.iterdir())
    assert len(files) == 2 + len(STUDENTS)
    assert files[0].name.startswith("0-networkpolicy-") and files[1].name.startswith("1-")
    for path in files:
        (obj,) = yaml.safe_load_all(path.read_text())
        assert _schema_errors(obj, KUBERNETES_VERSIONS[-1]) == []
    # Again, for one student: the files written before are replaced.
    assert k8s.main(argv[:-3] + ["--student", "alice"]) == 0
    assert len(list(out.iterdir())) == 2


def test_main_reports_errors_without_a_traceback(course, tmp_path, capsys):
    argv = ["a99", "--course-dir", str(course), "--image", "i:1", "--namespace", "dlip"]
    assert k8s.main(argv + ["--out", str(tmp_path / "out")]) == 2
    assert "No assignment 'a99'" in capsys.readouterr().err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.yaml").write_text("kind: ConfigMap\n")
    argv[0] = "a01_perceptron"
    assert k8s.main(argv + ["--out", str(foreign)]) == 2
    assert "notes.yaml" in capsys.readouterr().err
    assert (foreign / "notes.yaml").exists()


def test_runs_as_a_module_without_nbgrader_or_tensorflow(course, tmp_path):
    code = (
        "import sys, coursekit.grader.kubernetes, coursekit.grader.podkernel;"
        "print([m for m in ('nbgrader', 'tensorflow', 'keras', 'zmq') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "coursekit.grader.kubernetes", "a01_perceptron", "--course-dir"]
        + [str(course), "--image", "i:1", "--namespace", "dlip", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "o").glob("2-job-*.yaml"))) == len(STUDENTS)


def test_examples_in_hub_k8s_grading_are_up_to_date(tmp_path):
    """hub/k8s/grading/ holds what the generator writes; regenerate it when this fails."""
    written = k8s.write_manifests(**EXAMPLE_ARGS, out_dir=tmp_path)
    expected = {p.name: p.read_text() for p in written}
    shipped = {p.name: p.read_text() for p in EXAMPLES.glob("*.yaml")}
    fix = (
        "Regenerate: .venv/bin/python -c 'from tests.test_grader_kubernetes import "
        "regenerate_examples; regenerate_examples()'"
    )
    assert shipped == expected, fix
    for text in shipped.values():
        for obj in yaml.safe_load_all(text):
            for version in KUBERNETES_VERSIONS:
                assert _schema_errors(obj, version) == []


def regenerate_examples():
    """Rewrite hub/k8s/grading/*.yaml from the generator."""
    k8s.write_manifests(**EXAMPLE_ARGS, out_dir=EXAMPLES)


# The student container's kernel, on this machine.


def _socket_newer_than(path, time_ns):
    try:
        info = path.stat()
    except FileNotFoundError:
        return False
    return stat.S_ISSOCK(info.st_mode) and info.st_ctime_ns > time_ns


def _start_kernel(box):
    """Start podkernel on ``box``; return once the kernel has bound its five sockets."""
    started = time.time_ns()
    process = subprocess.Popen(
        [sys.executable, "-m", "coursekit.grader.podkernel", str(box)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Before the sockets exist, jupyter_client's wait_for_ready can take a slow start for a
    # dead kernel (its heartbeat check waits 1 s): the grader waits for them the same way.
    # (Sockets of an earlier kernel in the same box are older than this start.)
    sockets = [box / f"k-{port}" for port in podkernel.PORTS.values()]
    deadline = time.monotonic() + 120
    while not all(_socket_newer_than(path, started) for path in sockets):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"podkernel's kernel did not start: {process.communicate()[1]}")
        time.sleep(0.05)
    return process


# The kernel ended on the shutdown request: exit code 0, or SIGABRT when libzmq aborts while
# the kernel tears its sockets down (seen once in a loaded full run; the kernel is gone
# either way, which is what the grader needs).
_ENDED = (0, -6)


def _result_of(client, code):
    """Run ``code`` ("statements; expression"); the expression's value as text, or the name of
    the exception it raised. Read from the shell reply: shell messages are never dropped, while a
    busy machine can keep iopub messages from a new subscriber."""
    statements, _, expression = code.rpartition(";")
    msg_id = client.execute(statements, user_expressions={"r": expression.strip()})
    while True:
        reply = client.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    result = reply["content"]["user_expressions"]["r"]
    return result["data"]["text/plain"] if result["status"] == "ok" else result["ename"]


def test_podkernel_serves_a_kernel_over_unix_sockets(tmp_path):
    from jupyter_client import BlockingKernelClient

    box = tmp_path / "box"
    process = _start_kernel(box)
    client = BlockingKernelClient()
    try:
        connection = json.loads((box / "kernel.json").read_text())
        assert connection["transport"] == "ipc"
        assert connection["ip"] == str(box / "k")
        ports = [connection[f"{c}_port"] for c in ("shell", "iopub", "stdin", "control", "hb")]
        assert sorted(ports) == [1, 2, 3, 4, 5]
        assert len(connection["key"]) == 64
        client.load_connection_file(str(box / "kernel.json"))
        client.start_channels()
        client.wait_for_ready(timeout=60)
        assert _result_of(client, "1+1") == "2"
        # podkernel replaced itself with the kernel: same process, working in the box.
        assert _result_of(client, "import os; os.getpid()") == str(process.pid)
        assert _result_of(client, "os.getcwd()") == repr(str(box / "work"))
        assert _result_of(client, "os.environ['HOME']") == repr(str(box / "home"))
        # Readable by the owner's group (the grader's in the pod), nobody else; the kernel did
        # not rewrite it.
        assert stat.S_IMODE((box / "kernel.json").stat().st_mode) == 0o640
        for port in range(1, 6):
            socket = box / f"k-{port}"
            assert socket.is_socket() and stat.S_IMODE(socket.stat().st_mode) & 0o007 == 0
        # No signal crosses containers: the grader interrupts with a control message.
        msg_id = client.execute("import time\nwhile True: time.sleep(0.01)")
        time.sleep(0.5)
        client.control_channel.send(client.session.msg("interrupt_request", {}))
        reply = client.get_shell_msg(timeout=120)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert _result_of(client, "2*3") == "6"
        client.shutdown()
        assert process.wait(timeout=120) in _ENDED
    finally:
        client.stop_channels()
        if process.poll() is None:
            process.kill()
            process.wait()


def test_podkernel_starts_again_in_a_used_box(tmp_path):
    from jupyter_client import BlockingKernelClient

    box = tmp_path / "box"
    first_key = None
    for _ in range(2):
        process = _start_kernel(box)
        client = BlockingKernelClient()
        try:
            key = json.loads((box / "kernel.json").read_text())["key"]
            assert key != first_key
            first_key = key
            client.load_connection_file(str(box / "kernel.json"))
            client.start_channels()
            client.wait_for_ready(timeout=60)
            assert _result_of(client, "40+2") == "42"
            client.shutdown()
            assert process.wait(timeout=120) in _ENDED
        finally:
            client.stop_channels()
            if process.poll() is None:
                process.kill()
                process.wait()


def test_podkernel_refuses_bad_boxes(tmp_path):
    long_box = tmp_path / ("b" * 110)
    with pytest.raises(ValueError, match="too long for unix sockets"):
        podkernel.prepare_box(long_box)
    result = subprocess.run(
        [sys.executable, "-m", "coursekit.grader.podkernel"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "usage:" in result.stderr
    blocked = tmp_path / "file"
    blocked.write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "coursekit.grader.podkernel", str(blocked / "box")],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 1 and "cannot prepare the box" in result.stderr


@pytest.mark.slow
def test_the_grader_grades_against_a_podkernel_in_a_shared_box(tmp_path):
    """What a grading Job does, on one machine: the student container's podkernel in a box,
    then `coursekit autograde --sandbox external:BOX` in the grader container."""
    import subprocess
    import sys
    import time

    from test_autograde import TINY, _make_course, _submit

    from coursekit import cli
    from coursekit.grader import engine

    course_dir = _make_course(tmp_path / "course")
    _submit(course_dir, "ada")
    _submit(course_dir, "bob", "return np.asarray(x, dtype=float)")
    box = tmp_path / "box"
    pod = subprocess.Popen([sys.executable, "-m", "coursekit.grader.podkernel", str(box)])
    try:
        with pytest.raises(ValueError, match="one student"):
            engine.autograde(TINY, course_dir=course_dir, external=box)
        arguments = ["autograde", TINY, "--student", "ada", "--course-dir", str(course_dir)]
        assert cli.main([*arguments, "--sandbox", f"external:{box}"]) == 0
        (ada,) = engine.read_reports(TINY, course_dir=course_dir).values()
        assert (ada.score, ada.sandbox, ada.status) == (5, "external", "graded")
        deadline = time.monotonic() + 60
        while pod.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert pod.poll() in _ENDED, "the grader ends the student container's kernel"
        assert cli.main([*arguments, "--sandbox", "externally"]) == 2  # a clear error
    finally:
        pod.kill()


def test_a_lost_shutdown_request_is_sent_again(tmp_path, monkeypatch):
    """The student container ends when its kernel does: a kernel that still answers after the
    grader's shutdown request (here the first request is dropped) is asked again."""
    from types import SimpleNamespace

    from jupyter_client.utils import run_sync

    from coursekit.grader import execute

    box = tmp_path / "box"
    pod = subprocess.Popen([sys.executable, "-m", "coursekit.grader.podkernel", str(box)])
    try:
        manager = execute._external_manager_class()(box=SimpleNamespace(path=box))
        run_sync(manager.start_kernel)()
        real, dropped = type(manager)._control, []

        def control(self, kind, content, timeout=10):
            if kind == "shutdown_request" and not dropped:
                dropped.append(kind)
                return None
            return real(self, kind, content, timeout)

        monkeypatch.setattr(type(manager), "_control", control)
        run_sync(manager.shutdown_kernel)(now=True)
        assert dropped, "the first request was dropped"
        assert pod.wait(timeout=60) in _ENDED, "the second request ends the kernel"
    finally:
        if pod.poll() is None:
            pod.kill()
            pod.wait()
