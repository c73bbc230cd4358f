"""Attack submissions for a01_perceptron, and what autograding must make of each.

Each :class:`Attack` builds a submission folder from the released notebook (``blank``), the
reference solution (``reference``) or ``wrong`` (the released notebook with every NumPy
function returning zeros of the right shape: what code that is wrong but well-formed earns).
``expect`` says what the grade must be:

- ``score``: a number, or the name of a control submission whose score it must equal
  ("reference", "blank", "wrong"), or "<=wrong" (at most what ``wrong`` earns);
- ``status``: the autograding status (graded, timeout, memory, kernel-died, error);
- ``flags`` / ``reason``: substrings that the review flags / the reason must contain;
- ``output``: text that the student's own cells printed into the autograded notebook (what
  the attack found); ``absent``: text that must appear in no autograded notebook.

The student's cells run in a sandboxed process and the tests in the grader's: most attacks
simply change nothing the tests look at, and earn exactly what their honest code earns. The
instructor guide (book/guide_grading.md) has the same table in words.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from coursekit import course

ASSIGNMENT = "a01_perceptron"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"

# What each NumPy function of a01 returns in the "wrong" control: right shape, wrong values
# (step is left correct, so that the control earns step's points and nothing else).
WRONG_BODIES = {
    "step": "return (np.asarray(z) >= 0).astype(int)",  # correct
    "sigmoid": "return np.zeros(np.shape(z))",
    "tanh": "return np.zeros(np.shape(z))",
    "relu": "return np.zeros(np.shape(z))",
    "leaky_relu": "return np.zeros(np.shape(z))",
    "elu": "return np.zeros(np.shape(z))",
    "tlu_predict": "return np.zeros(np.shape(X)[0], dtype=int)",
    "logic_gate": "return np.zeros(2), 0.0",
    "perceptron_fit": "return np.zeros(np.shape(X)[1]), 0.0, [0] * num_epochs",
}


@dataclass
class Attack:
    """One attack submission and the outcome autograding must produce."""

    name: str
    category: str
    description: str
    build: object  # callable(folder: Path) -> None, writes the submission into folder
    expect: dict = field(default_factory=dict)
    batch: int = 1  # attacks in batch 2 are killed on purpose (short time/memory limits)


# -- building blocks -------------------------------------------------------------------


def load(kind):
    """The released (``blank``) or reference notebook of a01, as a fresh NotebookNode."""
    folder = "exercises" if kind == "blank" else "solutions"
    return nbformat.read(course.REPO_ROOT / folder / ASSIGNMENT / NOTEBOOK, as_version=4)


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cell_index(nb, name):
    return next(i for i, cell in enumerate(nb.cells) if grade_id(cell) == name)


def replace_body(source, function, body):
    """Make ``function`` (defined in ``source``) run ``body`` first (after its docstring)."""
    pattern = re.compile(rf"def {function}\(.*?\):\n(?:[ \t]+\"\"\"[\s\S]*?\"\"\"\n)?")
    match = pattern.search(source)
    assert match, f"cannot find def {function}"
    indented = "".join(f"    {line}\n" for line in body.splitlines())
    return source[: match.end()] + indented + source[match.end() :]


def with_bodies(nb, bodies):
    """Copy of ``nb`` where each function in ``bodies`` starts with the given code."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for function, body in bodies.items():
            if cell.cell_type == "code" and f"def {function}(" in cell.source:
                cell.source = replace_body(cell.source, function, body)
    return nb


def wrong():
    return with_bodies(load("blank"), WRONG_BODIES)


def insert_after_setup(nb, *sources):
    """Copy of ``nb`` with new (unlocked) code cells right after the setup cell."""
    nb = copy.deepcopy(nb)
    index = cell_index(nb, "setup") + 1
    for offset, source in enumerate(sources):
        nb.cells.insert(index + offset, nbformat.v4.new_code_cell(source))
    return nb


def writer(make_notebook, extra_files=None):
    """A ``build`` function writing ``make_notebook()`` (and extra files) into the folder."""

    def build(folder):
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_notebook(), folder / NOTEBOOK)
        for name, text in (extra_files or {}).items():
            (folder / name).write_text(text)

    return build


# -- attack code --------------------------------------------------------------------------

REBIND_HELPERS = """
# (e) make every check pass by replacing the helpers the tests call
check_array = check_equal = check_raises = lambda *args, **kwargs: None


class hidden:
    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return True  # swallow every failure


numpy_only = hidden
"""

PATCH_LIBRARIES = """
# (e) make the real helpers lenient: patch NumPy, the grading module, builtins, imports
import builtins
import sys
import types

import numpy

import coursekit.grading as grading

numpy.isclose = lambda a, b, **k: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
numpy.allclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
grading.hidden.__exit__ = lambda self, *exc: True
grading.numpy_only.__exit__ = lambda self, *exc: False
grading.CheckFailed.__init__ = lambda self, *a: None
grading._fail = lambda *a, **k: None
for name in ("check_array", "check_equal", "check_raises"):
    setattr(grading, name, lambda *a, **k: None)
builtins.AssertionError = type("AssertionError", (Exception,), {})
fake = types.ModuleType("coursekit.grading")
fake.check_array = fake.check_equal = fake.check_raises = lambda *a, **k: None
sys.modules["coursekit.grading"] = fake
try:
    grading.check_array.__defaults__ = (None, 1e9, 1e9, None, False)
except Exception as error:
    print("refused:", error)
"""

PATCH_DURING_TEST = """
import numpy
import coursekit.grading as grading


def _cheat():
    numpy.isclose = lambda a, b, **k: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
    grading.hidden.__exit__ = lambda self, *exc: True
    grading._fail = lambda *a, **k: None
    globals()["check_array"] = lambda *a, **k: None
"""

IPYTHON_INTERNALS = """
# (e) change IPython itself: blank out every later cell, swallow and hide errors
ip = get_ipython()
ip.input_transformers_cleanup.append(lambda lines: ["pass\\n"])
ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
ip.showtraceback = lambda *args, **kwargs: None
ip.events.register("pre_run_cell", lambda *args: None)
"""

FORGE_REPLIES = """
# (lying objects) take over the grading interface inside the student process: forge replies
# that point the grader at files outside the message folder, at links, at unsafe models
import json, os
import coursekit.grader.student as bridge

_real_handle = bridge.handle


def _forged(namespace, path):
    _real_handle(namespace, path)
    reply_path = os.path.join(path, "reply.json")
    reply = json.load(open(reply_path))
    if "value" in reply:  # every call: "the value is this file"
        os.symlink("/etc/passwd", os.path.join(path, "aLINK.npy"))
        reply["value"] = {"$": "ndarray", "file": "aLINK.npy"}
        reply["shared"] = [[[], "x", ["arg", 0], "x"]] * 3
        reply["changed"] = {"0": {"$": "ndarray", "file": "../../../etc/shadow"}}
    os.remove(reply_path)
    json.dump(reply, open(reply_path, "w"))


bridge.handle = _forged
"""

LYING_OBJECTS = """
# (lying objects) values that claim to equal anything, arrays that lie about themselves
import sys
import numpy


class Liar:
    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return numpy.zeros(3)


class LyingArray(numpy.ndarray):
    def __eq__(self, other):
        return numpy.ones(numpy.shape(other), dtype=bool)


def _lie(like):
    frames = []
    frame = sys._getframe()
    while frame is not None:  # (b) walk the stack for the grader's expected values
        frames.append(frame.f_code.co_name)
        frame = frame.f_back
    print("FRAMES SEEN:", frames)
    return numpy.asarray(like, dtype=float).view(LyingArray) if len(frames) % 2 else Liar()
"""

NEIGHBOURS = """
# (parallel neighbours, files in reach) walk everything visible for notebooks, gradebooks,
# solutions and other submissions; list the processes; try the network
import os, sys
found = []
skip = ("/proc", "/sys", "/dev", "/usr", sys.prefix)  # the system and the Python environment
for top in ("/",):
    for folder, subfolders, files in os.walk(top):
        subfolders[:] = [s for s in subfolders if os.path.join(folder, s) not in skip]
        for name in files + subfolders:
            if name.endswith((".ipynb", ".db")) or name in (
                "solutions", "submitted", "autograded", "feedback", "autograde_reports",
                "nbgrader_config.py", "shadow", ".git",
            ):
                found.append(os.path.join(folder, name))
print("NEIGHBOURS:", sorted(found))
print("PROCESSES:", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
print("ENVIRONMENT:", sorted(os.environ))
import socket
try:
    socket.create_connection(("127.0.0.1", 5432), timeout=2)
    print("NETWORK: connected")
except OSError as error:
    print("NETWORK: refused", type(error).__name__)
"""

OUTLIVE = """
# (processes that outlive the kernel) detached sleepers that should keep running after grading
import os, subprocess
subprocess.Popen(["sleep", "4242"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "4243"])
    os._exit(0)
print("SPAWNED")
"""

SHM_HOG = """
# (shared memory) fill /dev/shm: files in a tmpfs belong to no process
import os
block = b"x" * 2**26
with open("/dev/shm/coursekit-attack", "wb") as handle:
    try:
        while True:
            handle.write(block)
            handle.flush()
    except OSError as error:
        print("shm full:", error)
import time
time.sleep(60)
"""

STDERR_NOISE = """import sys
import warnings

print("debugging output on stderr", file=sys.stderr)
warnings.warn("a warning from the student's code")
"""

EXITS = """import sys

for leave in (lambda: sys.exit(1), lambda: sys.exit("bye"), lambda: sys.exit()):
    try:
        leave()
    except SystemExit as stop:
        print("SystemExit", stop.code)
sys.exit(2)
"""

KILL_WORKER = """import os
import signal

for pid in (os.getppid(), 1, -1):  # the process above the kernel, the sandbox's init, all
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as error:
        print("refused:", pid, type(error).__name__)
"""

READ_HIDDEN = """
# (h) read the hidden tests and the gradebook, and print them into the feedback
import os
import pathlib
import sqlite3
import subprocess

import coursekit.course

here = pathlib.Path(os.getcwd())
targets = [
    here.parents[2] / "gradebook.db",
    here.parents[2] / "solutions" / "a01_perceptron" / "a01_perceptron.ipynb",
    coursekit.course.REPO_ROOT / "solutions" / "a01_perceptron" / "a01_perceptron.ipynb",
    coursekit.course.REPO_ROOT / "gradebook.db",
]
for target in targets:
    for read in (
        lambda: open(target).read(),
        lambda: pathlib.Path(target).read_bytes().decode("latin-1"),
        lambda: os.listdir(target.parent),
        lambda: sqlite3.connect(str(target)).execute("select source from source_cell").fetchall(),
    ):
        try:
            print(str(read())[:20000])
        except Exception as error:
            print("refused:", type(error).__name__, error)
try:
    os.symlink(targets[1], "innocent.txt")
    print(open("innocent.txt").read()[:20000])
except Exception as error:
    print("refused:", type(error).__name__)
shown = subprocess.run(["cat", str(targets[2])], capture_output=True, text=True)
print(shown.stdout[:50000])
"""

SHADOW_NUMPY = '''"""A numpy.py next to the notebook: would make every comparison succeed."""
import importlib.util
import sys

del sys.modules["numpy"]
_spec = importlib.util.find_spec("numpy", [p for p in sys.path if p not in ("", ".")])
_real = importlib.util.module_from_spec(_spec)
sys.modules["numpy"] = _real
_spec.loader.exec_module(_real)
_real.isclose = lambda a, b, **k: _real.ones(_real.broadcast(a, b).shape, dtype=bool)
'''

SHADOW_COURSEKIT = '''"""A coursekit.py next to the notebook: grading helpers that always pass."""
def check_array(*args, **kwargs):
    pass
'''


# -- the attack list ------------------------------------------------------------------------


def _delete_and_duplicate():
    nb = load("blank")
    tests = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    for cell in tests[::2]:  # delete every other test cell
        nb.cells.remove(cell)
    duplicate = copy.deepcopy(nb.cells[cell_index(nb, "step_hidden")])
    duplicate.source = "pass"
    duplicate["id"] = "step-hidden-copy"
    nb.cells.insert(cell_index(nb, "step_hidden") + 1, duplicate)  # nbgrader keeps the last
    meta = nb.cells[cell_index(nb, "sigmoid_hidden")].metadata.nbgrader
    meta["points"], meta["grade"] = 100, False  # un-grade a test and raise its points
    fake = nbformat.v4.new_code_cell("pass")
    fake.metadata["nbgrader"] = dict(meta, grade_id="bonus_points", grade=True, points=50)
    nb.cells.append(fake)
    return nb


def _split_reference():
    nb = load("reference")
    index = cell_index(nb, "leaky_relu")
    source = nb.cells[index].source
    head, _, tail = source.partition("    ### BEGIN SOLUTION\n")
    body, _, rest = tail.partition("    ### END SOLUTION\n")
    nb.cells[index].source = head + "    return _leaky_relu(z, alpha)\n" + rest
    helper = "def _leaky_relu(z, alpha):\n" + body
    nb.cells.insert(index, nbformat.v4.new_code_cell(helper))
    return nb


def _edit_locked():
    nb = load("blank")
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            cell.source = "pass  # the test is gone"
        elif meta.get("grade_id") == "setup":
            cell.source += "\ncheck_array = check_equal = check_raises = lambda *a, **k: None\n"
    return nb


def _invalid_json(folder):
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(nbformat.writes(load("reference")))
    (folder / NOTEBOOK).write_text(text[: len(text) // 2])


def _missing_notebook(folder):
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(load("reference"), folder / "my_solution_renamed.ipynb")


def _lying_wrong():
    nb = insert_after_setup(wrong(), LYING_OBJECTS)
    bodies = {name: "return _lie(z)" for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu")}
    bodies["tlu_predict"] = "return _lie(np.zeros(np.shape(X)[0]))"
    return with_bodies(nb, bodies)


ATTACKS = [
    # controls
    Attack(
        "reference",
        "control",
        "the reference solution",
        writer(lambda: load("reference")),
        {"status": "graded", "score": 36.0, "no_flags": True},
    ),
    Attack(
        "blank",
        "control",
        "the released notebook, untouched",
        writer(lambda: load("blank")),
        {"status": "graded", "score": 0.0, "no_flags": True},
    ),
    Attack(
        "wrong",
        "control",
        "well-formed but wrong NumPy functions",
        writer(wrong),
        {"status": "graded", "no_flags": True},
    ),
    # (a) loops
    Attack(
        "loop_in_function",
        "a",
        "logic_gate loops forever when called (reference otherwise)",
        writer(lambda: with_bodies(load("reference"), {"logic_gate": "while True:\n    pass"})),
        {"status": "graded", "score": 32.0, "flags": ["timed out"]},
    ),
    Attack(
        "loop_uninterruptible",
        "a",
        "a cell ignores SIGINT and loops forever (reference otherwise)",
        writer(
            lambda: insert_after_setup(
                load("reference"),
                "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
                "    pass",
            )
        ),
        {"status": "timeout", "score": 0.0, "reason": "timeout"},
        batch=2,
    ),
    # (b) memory, shared memory
    Attack(
        "memory_hog",
        "b",
        "a cell allocates 1 GB blocks until memory runs out",
        writer(
            lambda: insert_after_setup(
                load("reference"), "blocks = []\nwhile True:\n    blocks.append(np.ones(2**27))"
            )
        ),
        {"status": "memory", "score": 0.0, "reason": "memory"},
        batch=2,
    ),
    Attack(
        "shared_memory_hog",
        "b",
        "a cell fills /dev/shm (files in a tmpfs are in no process's memory)",
        writer(lambda: insert_after_setup(load("reference"), SHM_HOG)),
        {"status": "memory", "score": 0.0, "reason": "memory"},
        batch=2,
    ),
    Attack(
        "huge_allocation",
        "b",
        "a cell asks NumPy for 8 TB at once (reference otherwise)",
        writer(lambda: insert_after_setup(load("reference"), "x = np.ones(10**12)")),
        {"status": "graded", "score": 36.0},
    ),
    # (c) cell structure
    Attack(
        "delete_duplicate_cells",
        "c",
        "tests deleted, a test duplicated as `pass`, a test un-graded, a fake bonus test",
        writer(_delete_and_duplicate),
        {"status": "graded", "score": 0.0, "flags": ["deleted", "more than once"]},
    ),
    Attack(
        "split_solution_cell",
        "c",
        "a solution moved into a new cell (reference otherwise)",
        writer(_split_reference),
        {"status": "graded", "score": 36.0},
    ),
    # (d) locked cells
    Attack(
        "edit_locked_cells",
        "d",
        "every test cell replaced by `pass`, setup cell edited",
        writer(_edit_locked),
        {"status": "graded", "score": 0.0, "flags": ["was edited"]},
    ),
    # (e) the execution machinery, builtins and frames: all in the student's own process
    Attack(
        "rebind_helpers",
        "e",
        "wrong functions; the check helpers redefined as no-ops",
        writer(lambda: insert_after_setup(wrong(), REBIND_HELPERS)),
        {"status": "graded", "score": "wrong", "flags": ["grading helper"]},
    ),
    Attack(
        "patch_libraries",
        "e",
        "wrong functions; NumPy, coursekit.grading, builtins and sys.modules patched",
        writer(lambda: insert_after_setup(wrong(), PATCH_LIBRARIES)),
        {"status": "graded", "score": "wrong", "flags": ["replaces numpy.isclose"]},
    ),
    Attack(
        "patch_during_test",
        "e",
        "wrong functions that patch NumPy and the helpers while the test runs",
        writer(
            lambda: with_bodies(
                insert_after_setup(wrong(), PATCH_DURING_TEST),
                {name: "_cheat()" for name in WRONG_BODIES},
            )
        ),
        {"status": "graded", "score": "wrong"},
    ),
    Attack(
        "ipython_internals",
        "e",
        "input transformer blanking every later cell, error handler and display hooks",
        writer(lambda: insert_after_setup(load("blank"), IPYTHON_INTERNALS)),
        {"status": "graded", "score": 0.0, "flags": ["changes how IPython reads cells"]},
    ),
    Attack(
        "forge_replies",
        "e",
        "wrong functions; the grading interface in the kernel forges replies (links, paths)",
        writer(lambda: insert_after_setup(wrong(), FORGE_REPLIES)),
        {"status": "graded", "score": "<=wrong", "absent": ["root:x:0:0"]},
    ),
    Attack(
        "lying_objects",
        "e",
        "functions return objects equal to anything, ndarray subclasses, and walk the stack",
        writer(_lying_wrong),
        {"status": "graded", "score": "<=wrong", "flags": ["fool comparisons"]},
    ),
    Attack(
        "shadow_modules",
        "e",
        "wrong functions; numpy.py and coursekit.py submitted beside",
        writer(wrong, {"numpy.py": SHADOW_NUMPY, "coursekit.py": SHADOW_COURSEKIT}),
        {"status": "graded", "score": "<=wrong", "flags": ["numpy.py"]},
    ),
    # (f) stderr
    Attack(
        "stderr_output",
        "f",
        "reference whose functions print to stderr and warn",
        writer(
            lambda: with_bodies(
                load("reference"), {name: STDERR_NOISE for name in ("relu", "step")}
            )
        ),
        {"status": "graded", "score": 36.0},
    ),
    # (g) exits, processes
    Attack(
        "sys_exit",
        "g",
        "a cell calls sys.exit in several ways (reference otherwise)",
        writer(lambda: insert_after_setup(load("reference"), EXITS)),
        {"status": "graded", "score": 36.0, "flags": ["exits the kernel"]},
    ),
    Attack(
        "os_exit_in_function",
        "g",
        "relu calls os._exit (the given plot cell calls relu: the kernel dies before the tests)",
        writer(lambda: with_bodies(load("reference"), {"relu": "import os\nos._exit(3)"})),
        {"status": "kernel-died", "score": 0.0, "reason": "kernel died"},
    ),
    Attack(
        "os_exit_in_test",
        "g",
        "logic_gate calls os._exit: the kernel dies inside a test; the tests after it get 0",
        writer(lambda: with_bodies(load("reference"), {"logic_gate": "import os\nos._exit(3)"})),
        {"status": "graded", "score": 18.0, "flags": ["kernel died during test logic_gate_values"]},
    ),
    Attack(
        "kill_grader",
        "g",
        "a cell sends SIGKILL to its parent, the sandbox's init and every process it can",
        writer(lambda: insert_after_setup(load("reference"), KILL_WORKER)),
        {"status": "graded", "score": 36.0, "flags": ["sends signals"]},
    ),
    Attack(
        "outlive_the_kernel",
        "g",
        "a cell starts detached processes (setsid, double fork) that should outlive grading",
        writer(lambda: insert_after_setup(load("reference"), OUTLIVE)),
        {"status": "graded", "score": 36.0, "output": ["SPAWNED"]},
    ),
    # (h) hidden tests, files in reach, neighbours
    Attack(
        "read_hidden_tests",
        "h",
        "reads the gradebook and solutions (open, pathlib, sqlite3, symlink, cat) and prints",
        writer(lambda: insert_after_setup(load("blank"), READ_HIDDEN)),
        {"status": "graded", "score": 0.0, "flags": ["grading files"]},
    ),
    Attack(
        "neighbours",
        "h",
        "looks for other submissions, the course, the grader's processes, the network",
        writer(lambda: insert_after_setup(load("reference"), NEIGHBOURS)),
        {
            "status": "graded",
            "score": 36.0,
            "output": ["NEIGHBOURS: []", "NETWORK: refused", "PROCESSES: [1, 2]"],
            "absent": ["COURSEKIT_DB_URL", "JUPYTERHUB_API_TOKEN"],
        },
    ),
    # (i) failing at import
    Attack(
        "import_errors",
        "i",
        "a cell imports a missing module, another does not parse (reference otherwise)",
        writer(
            lambda: insert_after_setup(
                load("reference"), "import no_such_module_here", "def broken(:\n    pass"
            )
        ),
        {"status": "graded", "score": 36.0},
    ),
    Attack(
        "invalid_json",
        "i",
        "the notebook file is cut in half (not valid JSON)",
        _invalid_json,
        {"status": "error", "score": 0.0, "reason": "not valid JSON"},
    ),
    Attack(
        "missing_notebook",
        "i",
        "the notebook was renamed, so a01_perceptron.ipynb is missing",
        _missing_notebook,
        {"status": "error", "score": 0.0, "reason": "no notebook"},
    ),
    # (k) NumPy-only tasks: the rule is the sandbox's (no SciPy, no Keras in that process)
    Attack(
        "not_numpy_only",
        "k",
        "sigmoid through scipy.special.expit (tanh uses it), relu through keras.ops",
        writer(lambda: _not_numpy_only()),
        {"status": "graded", "score": 32.0},
    ),
    # (j) feedback: text a student typed must not break feedback for anyone
    Attack(
        "feedback_breaker",
        "j",
        "hidden-test markers and template syntax typed into the student's own cells",
        writer(lambda: _feedback_breaker()),
        {"status": "graded", "score": 36.0},
    ),
]


def _not_numpy_only():
    nb = load("reference")
    for cell in nb.cells:
        if grade_id(cell) == "sigmoid":
            cell.source = (
                "import scipy.special\n\n\ndef sigmoid(z):\n"
                "    return scipy.special.expit(np.asarray(z, dtype=float))\n"
            )
        elif grade_id(cell) == "relu":
            cell.source = (
                "def relu(z):\n"
                "    return keras.ops.convert_to_numpy(keras.ops.relu(np.asarray(z, float)))\n"
            )
    return nb


def _feedback_breaker():
    nb = insert_after_setup(
        load("reference"), "# ### BEGIN HIDDEN TESTS\nx = '{{ resources }} {% raw %}'\n"
    )
    nb.cells.insert(2, nbformat.v4.new_markdown_cell("### BEGIN HIDDEN TESTS\nmy notes </div>"))
    return nb


def write_submissions(course_dir, attacks):
    """Write each attack's submission into ``course_dir/submitted/NAME/a01_perceptron``."""
    for attack in attacks:
        folder = Path(course_dir) / "submitted" / attack.name / ASSIGNMENT
        shutil.rmtree(folder, ignore_errors=True)
        attack.build(folder)
