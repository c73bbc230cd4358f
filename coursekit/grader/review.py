"""Static review of a submitted notebook: what an instructor should look at before trusting a grade.

``coursekit autograde`` runs :func:`review_notebook` on every submission and flags it (in the
gradebook and its report) when the student's code does something a solution never needs:
changing libraries or the grading helpers at run time, reaching into the interpreter
(``gc``, frames, ``ctypes``, IPython internals), running shell commands, exiting the kernel,
reading grading files, or hiding code from view (``exec``, ``eval``). It also reports what the
student did to the notebook's structure: deleted, duplicated or edited test cells (nbgrader
restores them, but an instructor wants to know).

A flag is a reason to look, not a verdict: the grade stands until the instructor decides.
"""

from __future__ import annotations

import ast
import re

__all__ = ["review_files", "review_notebook", "review_source"]

# Modules a solution of this course never needs to import.
_SUSPICIOUS_MODULES = {
    "ctypes": "reaches into memory (ctypes)",
    "gc": "inspects the interpreter's objects (gc)",
    "inspect": "inspects frames or source code (inspect)",
    "builtins": "changes Python's builtins",
    "importlib": "imports modules by computed names (importlib)",
    "subprocess": "runs other programs (subprocess)",
    "signal": "handles or sends signals",
    "threading": "starts threads",
    "multiprocessing": "starts processes",
    "socket": "opens network connections",
    "marshal": "loads code objects (marshal)",
    "pickle": "loads pickled objects",
    "IPython": "uses IPython's internals",
    "ipykernel": "uses the kernel's internals",
    "jupyter_client": "talks to Jupyter kernels",
    "nbgrader": "uses nbgrader",
    "sqlite3": "opens databases (the gradebook is one)",
    "linecache": "reads cached source code",
    "atexit": "registers exit handlers",
    "sys": None,  # common and harmless by itself; its dangerous attributes are listed below
}
_SUSPICIOUS_CALLS = {
    "exec": "runs code built at run time (exec)",
    "eval": "evaluates code built at run time (eval)",
    "compile": "compiles code at run time",
    "__import__": "imports modules by computed names (__import__)",
    "get_ipython": "uses IPython's internals (get_ipython)",
    "globals": "reads or changes the notebook's namespace (globals())",
    "setattr": None,  # flagged when the object is a module or a class (see below)
    "delattr": "deletes attributes of other objects",
    "exit": "exits the kernel",
    "quit": "exits the kernel",
    "open": None,  # flagged when the path mentions grading files
}
_SUSPICIOUS_ATTRIBUTES = {
    "_exit": "kills the kernel process (os._exit)",
    "kill": "sends signals to processes",
    "killpg": "sends signals to process groups",
    "abort": "aborts the kernel process",
    "system": "runs shell commands",
    "popen": "runs shell commands",
    "fork": "forks the kernel process",
    "exit": "exits the kernel (sys.exit)",
    "modules": "reads or changes sys.modules",
    "settrace": "installs a trace function",
    "setprofile": "installs a profile function",
    "_getframe": "inspects stack frames",
    "addaudithook": "installs an audit hook",
    "__code__": "reads or replaces a function's code",
    "__defaults__": "reads or replaces a function's defaults",
    "__kwdefaults__": "reads or replaces a function's defaults",
    "__globals__": "reaches a function's module namespace",
    "__closure__": "reaches a function's closure",
    "__builtins__": "reaches the builtins",
    "__subclasses__": "walks the class hierarchy",
    "__mro__": "walks the class hierarchy",
    "__dict__": "reads or changes an object's attribute dictionary",
    "f_locals": "reads a frame's variables",
    # A naive sigmoid inside np.errstate(over="ignore") would pass the tests' overflow checks.
    "seterr": "changes NumPy's floating-point error handling (hides overflows the tests check)",
    "errstate": "changes NumPy's floating-point error handling (hides overflows the tests check)",
    "f_globals": "reads a frame's globals",
    "f_back": "walks stack frames",
    "tb_frame": "reaches stack frames through a traceback",
    "gi_frame": "reaches stack frames through a generator",
    "input_transformers_cleanup": "changes how IPython reads cells",
    "input_transformers_post": "changes how IPython reads cells",
    "ast_transformers": "changes how IPython runs cells",
    "set_custom_exc": "changes how IPython reports errors",
    "showtraceback": "changes how IPython reports errors",
    "events": None,  # flagged as get_ipython().events
    "environ": None,  # reading the environment is harmless; writing is flagged below
}
# Dunder methods that let a returned object lie to a check (==, truth, array conversion).
_LYING_DUNDERS = {
    "__eq__",
    "__ne__",
    "__bool__",
    "__len__",
    "__array__",
    "__array_ufunc__",
    "__array_function__",
    "__array_interface__",
    "__float__",
    "__int__",
    "__index__",
    "__instancecheck__",
    "__subclasscheck__",
    "__class_getitem__",
    "__getattribute__",
    "__del__",
}
_GRADING_PATHS = re.compile(
    r"(^|/)(solutions|autograded|submitted|feedback|autograde_reports|exchange|\.git)(/|$)|"
    r"gradebook\.db$|nbgrader|/tmp/coursekit-grade",
    re.IGNORECASE,
)
# Grading helpers of coursekit.grading that the tests use: a solution that redefines one
# (with def, or an assignment, which also covers CheckFailed) is flagged.
_HELPER_FUNCTIONS = ("check_array", "check_equal", "check_raises", "hidden", "numpy_only")
_HELPERS = (*_HELPER_FUNCTIONS, "CheckFailed")
_SHELL_MAGIC = re.compile(r"^\s*(!|%%?(system|sx|bash|sh|script|run|load|writefile)\b)", re.M)


def _dotted(node):
    """'np.random.seed' for an Attribute/Name chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = _dotted(node.func)
        return None if inner is None else ".".join([inner + "()", *reversed(parts)])
    return None


def review_source(source):
    """Flags for one cell's source code.

    Parameters
    ----------
    source : str
        Python source of a cell the student wrote (IPython magics allowed).

    Returns
    -------
    list of str
        One line per finding: what the code does and where (``line N``), without duplicates.

    Examples
    --------
    >>> review_source("def relu(z):\\n    return np.maximum(z, 0)")
    []
    >>> review_source("import numpy as np\\nnp.allclose = lambda *a, **k: True")
    ['line 2: replaces np.allclose (changing a library at run time)']
    >>> review_source("import os\\nos._exit(0)")
    ['line 2: kills the kernel process (os._exit)']
    """
    flags = []

    def add(node, text):
        line = node if isinstance(node, int) else getattr(node, "lineno", "?")
        entry = f"line {line}: {text}"
        if entry not in flags:
            flags.append(entry)

    for match in _SHELL_MAGIC.finditer(source):
        line = source[: match.start()].count("\n") + 1
        add(line, f"runs a shell command or magic ({match.group(0).strip()})")
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        python = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001
        python = source
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError):
        return flags  # a cell that does not parse fails on its own; nothing to flag

    docstrings = {
        node.body[0].value.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    modules = set()  # names bound to imported modules
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.partition(".")[0]
                modules.add(alias.asname or top)
                if _SUSPICIOUS_MODULES.get(top):
                    add(node, f"imports {alias.name}: {_SUSPICIOUS_MODULES[top]}")
                if top == "coursekit" and alias.name != "coursekit":
                    add(node, f"imports {alias.name} (the grading tools are not for solutions)")
        elif isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.partition(".")[0]
            if _SUSPICIOUS_MODULES.get(top):
                add(node, f"imports from {node.module}: {_SUSPICIOUS_MODULES[top]}")
            if node.module.startswith("coursekit.") and node.module != "coursekit.device":
                add(node, f"imports from {node.module} (the grading tools are not for solutions)")
            for alias in node.names:
                if node.module == "os" and alias.name in ("_exit", "kill", "system", "fork"):
                    add(node, f"imports os.{alias.name}: {_SUSPICIOUS_ATTRIBUTES[alias.name]}")
                if node.module == "sys" and alias.name in ("modules", "exit", "settrace"):
                    add(node, f"imports sys.{alias.name}: {_SUSPICIOUS_ATTRIBUTES[alias.name]}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func) or ""
            if _SUSPICIOUS_CALLS.get(name):
                add(node, _SUSPICIOUS_CALLS[name])
            if name in ("setattr", "delattr") and node.args:
                target = _dotted(node.args[0]) or ""
                if target.partition(".")[0] in modules or target[:1].isupper():
                    add(node, f"{name}() on {target} (changing a library at run time)")
            if name in ("sys.exit", "os._exit", "os.kill", "os.system", "os.abort", "os.fork"):
                add(node, _SUSPICIOUS_ATTRIBUTES[name.rpartition(".")[2]])
        elif isinstance(node, ast.Attribute):
            text = _SUSPICIOUS_ATTRIBUTES.get(node.attr)
            if text and node.attr not in ("exit", "kill", "system", "_exit", "fork", "abort"):
                add(node, text)
            if node.attr == "events" and "get_ipython" in (_dotted(node.value) or ""):
                add(node, "registers IPython event callbacks")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.lineno not in docstrings and _GRADING_PATHS.search(node.value):
                add(node, f"mentions {node.value[:60]!r} (grading files)")
        elif isinstance(node, ast.Name) and node.id == "__builtins__":
            add(node, _SUSPICIOUS_ATTRIBUTES["__builtins__"])
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for target in targets:
                dotted = _dotted(target) if isinstance(target, ast.Attribute) else None
                if dotted and dotted.partition(".")[0] in modules:
                    verb = "deletes" if isinstance(node, ast.Delete) else "replaces"
                    add(node, f"{verb} {dotted} (changing a library at run time)")
                if isinstance(target, ast.Subscript):
                    owner = _dotted(target.value) or ""
                    if owner.endswith(("sys.modules", "os.environ", "__dict__", "__builtins__")):
                        add(node, f"changes {owner}[...]")
                if isinstance(target, ast.Name) and target.id in _HELPERS:
                    add(node, f"redefines the grading helper {target.id}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name in _LYING_DUNDERS:
                add(node, f"defines {node.name} (an object that can fool comparisons)")
            if node.name in _HELPER_FUNCTIONS:
                add(node, f"redefines the grading helper {node.name}")
        elif isinstance(node, ast.ClassDef):
            if node.name in ("hidden", "numpy_only", "CheckFailed"):
                add(node, f"redefines the grading helper {node.name}")
        elif isinstance(node, ast.Global):
            for name in node.names:
                if name in ("check_array", "check_equal", "check_raises", "hidden", "np"):
                    add(node, f"rebinds the global {name} from inside a function")
    return flags


def _matches_release(cell, known):
    """Whether a submitted locked cell has the released source (hidden tests are not released)."""
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests

    source = known.get("source", "")
    released = nbformat.v4.new_code_cell(source)
    ClearHiddenTests()._remove_hidden_test_region(released)
    submitted = cell.get("source", "").strip()
    return submitted in (source.strip(), released.source.strip())


def review_notebook(path, *, source_cells=None):
    """Flags for a submitted notebook: suspicious code and changes to its structure.

    Parameters
    ----------
    path : path-like
        The submitted ``.ipynb`` file.
    source_cells : dict, optional
        ``{grade_id: {"source": str, "checksum": str, "locked": bool, "graded": bool}}`` of
        the released notebook (from the gradebook). When given, deleted, duplicated and
        edited locked cells are reported too.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import nbformat, tempfile, os
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import ctypes")])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     nbformat.write(nb, os.path.join(folder, "a.ipynb"))
    ...     review_notebook(os.path.join(folder, "a.ipynb"))
    ['cell 1, line 1: imports ctypes: reaches into memory (ctypes)']
    """
    import nbformat

    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as error:  # noqa: BLE001
        return [f"the notebook cannot be read ({type(error).__name__})"]
    flags = []
    seen = {}
    source_cells = source_cells or {}
    for index, cell in enumerate(notebook.cells, start=1):
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        grade_id = meta.get("grade_id")
        label = f"cell {grade_id!r}" if grade_id else f"cell {index}"
        known = source_cells.get(grade_id) if grade_id else None
        if grade_id:
            seen[grade_id] = seen.get(grade_id, 0) + 1
            if seen[grade_id] == 2:
                flags.append(f"{label}: appears more than once (the last copy is graded)")
            if source_cells and known is None:
                flags.append(f"{label}: claims a grade id that the assignment does not have")
        claims_locked = bool(grade_id) and bool(meta.get("locked") or meta.get("grade"))
        if claims_locked and not meta.get("solution"):
            if known is not None and known.get("locked"):
                if cell.get("cell_type") != known.get("cell_type", "code"):
                    flags.append(f"{label}: its cell type was changed (nbgrader restores it)")
                elif not _matches_release(cell, known):
                    what = "test" if known.get("graded") else "locked"
                    flags.append(f"{label}: the {what} cell was edited (nbgrader restores it)")
                continue  # nbgrader runs the released source, not this one
            if not source_cells:
                continue  # no reference to compare with: trust the metadata
        if cell.get("cell_type") != "code":
            continue
        for flag in review_source(cell.get("source", "")):
            flags.append(f"{label}, {flag}")
    for grade_id, known in sorted(source_cells.items()):
        if known.get("graded") and grade_id not in seen:
            flags.append(f"cell {grade_id!r}: the test cell was deleted (it is put back to grade)")
    return flags


def review_files(folder):
    """Flags for the files submitted next to the notebooks: Python modules and packages.

    A ``numpy.py`` next to a notebook would be imported instead of NumPy if the working
    folder came first on the import path (the grading kernel puts it last).

    Parameters
    ----------
    folder : path-like
        The submission folder.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (pathlib.Path(folder) / "numpy.py").write_text("")
    ...     review_files(folder)
    ['submits numpy.py, a module with the name of an installed one (numpy)']
    """
    import importlib.util
    import sys
    from pathlib import Path

    flags = []
    folder = Path(folder)
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.suffix in (".py", ".pyc", ".so", ".pth") or path.name == "__init__.py":
            top = relative.parts[0].removesuffix(path.suffix) if relative.parts else ""
            if top in sys.stdlib_module_names or _installed(top, importlib.util):
                flags.append(
                    f"submits {relative}, a module with the name of an installed one ({top})"
                )
            elif len(relative.parts) == 1:
                flags.append(f"submits a Python file {relative}")
    return flags


def _installed(name, util):
    try:
        return util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
