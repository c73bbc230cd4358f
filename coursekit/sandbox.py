"""Isolation for grading untrusted notebooks: a kernel guard, privilege drop and process control.

``coursekit autograde`` (:mod:`coursekit.autograde`) runs every student notebook in its own
Jupyter kernel. This module holds the three things that keep such a kernel in check:

1. **The guard** (:func:`install_guard`), installed in the kernel before the first cell. It is a
   Python audit hook (PEP 578), which the student's code can neither remove nor replace. It
   keeps a snapshot of what the tests rely on (builtins, NumPy, the grading helpers, the
   reference libraries the tests import, IPython's input pipeline, the names the locked cells
   define) and, when the grader asks before and after every test cell, puts back whatever
   student code changed and reports it. It refuses file access to hidden tests, gradebooks
   and other students' work, and it blocks the introspection tricks (``gc.get_referrers``,
   replacing a library function's ``__code__``) that could reach its own state. Replies
   carry an HMAC with a secret that only the grader and the hook know, so student code can
   suppress a reply but never forge one; a missing reply fails the test.
2. **The launcher** (``python sandbox.py launch ...``): run as the kernel command, it drops
   root privileges to a per-worker user id with no login and execs the kernel, with limits on
   file size and process count.
3. **Process control** (:func:`process_tree`, :func:`kill_tree`, :func:`tree_rss`) for
   wall-clock and memory limits.

Only the standard library is imported at module level: the launcher runs as a plain script
before the kernel starts, and the guard must not depend on modules that student code could
have modified.

The guard is defence in depth, not a proof: code running in the same process can in
principle overwrite memory (``ctypes``), which no in-process check can stop. The static
review (:mod:`coursekit.review`) flags such code, and the instructor guide lists the limits.
"""

from __future__ import annotations

import json
import os
import signal
import sys

__all__ = [
    "GUARD_EVENT",
    "guard_expression",
    "install_guard",
    "kill_tree",
    "parse_guard_reply",
    "process_tree",
    "tree_rss",
]

GUARD_EVENT = "coursekit.guard"
_REPLY_PREFIX = "CKGUARD1:"

# Stdlib modules whose functions the grading helpers call (module dicts are protected).
_HELPER_MODULES = (
    "builtins",
    "sys",
    "re",
    "dis",
    "gc",
    "types",
    "sysconfig",
    "math",
    "operator",
    "functools",
    "itertools",
    "collections",
    "contextlib",
    "copy",
    "json",
    "warnings",
    "random",
    "threading",
    "importlib",
    "inspect",
    "traceback",
    "numbers",
)
# sys attributes that legitimately change between cells (IPython and error handling).
_SYS_VOLATILE = frozenset(
    {
        "last_type",
        "last_value",
        "last_traceback",
        "last_exc",
        "stdout",
        "stderr",
        "stdin",
        "displayhook",
        "excepthook",
        "ps1",
        "ps2",
        "ps3",
        "path_importer_cache",
        "_jupyter_trace",
    }
)
# builtins that IPython adds and removes around every cell.
_BUILTINS_VOLATILE = frozenset(
    {"_", "__", "___", "exit", "quit", "get_ipython", "display", "__IPYTHON__", "dreload", "input"}
)
# Events that could reach the guard's own state: refused while grading.
_BLOCKED_EVENTS = frozenset(
    {"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames"}
)
# Events recorded for the instructor's review.
_RECORDED_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "pty.spawn",
        "os.kill",
        "os.killpg",
        "signal.pthread_kill",
        "ctypes.dlopen",
        "ctypes.dlsym",
        "ctypes.addressof",
        "ctypes.cdata",
        "ctypes.string_at",
        "ctypes.wstring_at",
        "socket.connect",
        "socket.bind",
        "sys.unraisablehook",
    }
)
_PATH_EVENTS = {
    "open": (0,),
    "os.listdir": (0,),
    "os.scandir": (0,),
    "os.rename": (0, 1),
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.link": (0, 1),
    "os.symlink": (0, 1),
    "os.truncate": (0,),
    "os.utime": (0,),
    "shutil.copyfile": (0, 1),
    "shutil.copytree": (0, 1),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "sqlite3.connect": (0,),
    "glob.glob": (0,),
    "os.walk": (0,),
}
_CODE_ATTRIBUTES = frozenset({"__code__", "__defaults__", "__kwdefaults__"})


def _mac(secret, message):
    """HMAC-SHA256 of ``message`` (str) with ``secret`` (bytes), as hex."""
    from _hashlib import hmac_digest  # C implementation, not patchable from Python

    return hmac_digest(secret, message.encode(), "sha256").hex()


def guard_expression(secret, counter, command, payload=None):
    """The expression a grader evaluates in the kernel to send ``command`` to the guard.

    Parameters
    ----------
    secret : bytes
        The secret given to :func:`install_guard`.
    counter : int
        A number larger than every counter used before in this kernel (replay protection).
    command : {"check", "bind"}
        ``"check"`` restores the protected state and reports what changed since the last
        check; ``"bind"`` records the current values of the user-namespace names in
        ``payload`` as trusted (called after each locked cell).
    payload : list of str, optional
        The names for ``"bind"``.

    Returns
    -------
    str
        A Python expression; evaluating it raises an exception whose message is the reply.

    Examples
    --------
    >>> expression = guard_expression(b"k", 1, "check")
    >>> expression.startswith("__import__('sys').audit('coursekit.guard', 'check', 1, ")
    True
    """
    body = json.dumps(payload or [])
    mac = _mac(secret, f"{command}|{counter}|{body}")
    return f"__import__('sys').audit({GUARD_EVENT!r}, {command!r}, {counter}, {body!r}, {mac!r})"


def parse_guard_reply(secret, counter, evalue):
    """Check and decode a guard reply (the message of the exception the expression raised).

    Returns
    -------
    dict or None
        ``{"changes": [...], "events": [...], "blocked": [...], "hard": [...]}``, or None
        when the reply is missing, malformed, for another counter or not authentic.

    Examples
    --------
    >>> parse_guard_reply(b"k", 1, "not a reply") is None
    True
    """
    if not isinstance(evalue, str) or not evalue.startswith(_REPLY_PREFIX):
        return None
    body, _, mac = evalue[len(_REPLY_PREFIX) :].rpartition("|")
    if not body or mac != _mac(secret, f"reply|{counter}|{body}"):
        return None
    try:
        reply = json.loads(body)
    except ValueError:
        return None
    return reply if isinstance(reply, dict) and reply.get("counter") == counter else None


def install_guard(secret_hex, config):  # noqa: C901  (one closure, by design)
    """Install the grading guard in this process: once, in the kernel, before the first cell.

    Parameters
    ----------
    secret_hex : str
        Random secret shared with the grader (hex). Afterwards it lives only in the hook's
        closure, out of reach of the notebook's code.
    config : dict
        ``prepare``: functions to call first (``coursekit.device.quiet_tensorflow``);
        ``modules``: modules to import now, before any cell; ``protect``: modules whose
        namespaces are protected (the reference libraries the tests use); ``objects``: dotted names used by the locked cells whose classes and
        functions are protected; ``deny``: absolute paths the kernel must not open or list;
        ``allow``: absolute paths inside ``deny`` that it may use (its working folder);
        ``trusted``: folders holding library code.

    Examples
    --------
    An audit hook stays for the life of the process, so try it in a process of its own:

    >>> import subprocess, sys
    >>> code = (
    ...     "from coursekit import sandbox\\n"
    ...     "sandbox.install_guard('00', {'deny': ['/etc']})\\n"
    ...     "try:\\n    open('/etc/hostname')\\nexcept PermissionError:\\n    print('refused')"
    ... )
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    'refused\\n'

    Notes
    -----
    Everything the hook uses later is captured here as a closure variable, and it calls
    only C functions and slot descriptors captured now, so changes the notebook makes to
    modules, classes or builtins cannot run code inside the hook.
    """
    import _stat
    import builtins
    import importlib
    import itertools
    import linecache
    import operator
    import pathlib
    import types
    from _hashlib import hmac_digest

    secret = bytes.fromhex(secret_hex)
    # Files next to the notebook come from the student: while the libraries load, the working
    # folder is not on the import path, and afterwards it goes last, so that a submitted
    # numpy.py or coursekit.py can never stand in for the real module.
    cwd = os.getcwd()
    local = [p for p in sys.path if p in ("", ".") or os.path.abspath(p) == cwd]
    sys.path[:] = [p for p in sys.path if p not in local]
    for dotted in config.get("prepare", []):
        module_name, _, function_name = dotted.rpartition(".")
        try:  # e.g. coursekit.device.quiet_tensorflow: load TensorFlow before any cell runs
            getattr(importlib.import_module(module_name), function_name)()
        except Exception:  # noqa: BLE001, S112
            continue
    for name in config.get("modules", []):
        try:  # import what the tests use while nothing has been tampered with yet
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112  (a library that is missing is not our concern)
            continue

    # -- captured builtins, C functions and slot descriptors --------------------------------
    _type, _id, _len, _isinstance, _str, _bytes, _int = type, id, len, isinstance, str, bytes, int
    _dict, _list, _tuple, _set, _repr, _callable = dict, list, tuple, set, repr, callable
    _RuntimeError, _PermissionError, _BaseException = RuntimeError, PermissionError, BaseException
    _ModuleType, _FunctionType, _MethodType = types.ModuleType, types.FunctionType, types.MethodType
    _all, _map, _is, _islice = all, map, operator.is_, itertools.islice
    _type_dict = type.__dict__["__dict__"].__get__
    _type_mro = type.__dict__["__mro__"].__get__
    _type_setattr, _type_delattr = type.__setattr__, type.__delattr__
    _module_dict = types.ModuleType.__dict__["__dict__"].__get__
    _code = types.FunctionType.__dict__["__code__"]
    _defaults = types.FunctionType.__dict__["__defaults__"]
    _kwdefaults = types.FunctionType.__dict__["__kwdefaults__"]
    _object_getattribute = object.__getattribute__
    _fspath = os.fspath  # C; calls type(path).__fspath__, checked before use
    _getcwd, _lstat, _readlink, _S_ISLNK = os.getcwd, os.lstat, os.readlink, _stat.S_ISLNK
    _settrace, _setprofile = sys.settrace, sys.setprofile
    _gettrace, _getprofile = sys.gettrace, sys.getprofile
    _encode = json.JSONEncoder(sort_keys=True, default=_str).encode
    _decode = json.JSONDecoder().decode
    _modules = sys.modules
    _meta_path, _path_hooks = sys.meta_path, sys.path_hooks
    guard_event, reply_prefix = GUARD_EVENT, _REPLY_PREFIX
    blocked_events, recorded_events = _BLOCKED_EVENTS, _RECORDED_EVENTS
    path_events, code_attributes = _dict(_PATH_EVENTS), _CODE_ATTRIBUTES
    sys_volatile, builtins_volatile = _SYS_VOLATILE, _BUILTINS_VOLATILE
    trusted_roots = _tuple(config.get("trusted", []))
    stdlib_roots = _tuple(config.get("stdlib", []))
    _getframe = sys._getframe
    missing = object()
    path_types = (pathlib.PosixPath, pathlib.PurePosixPath)
    with os.scandir(os.path.dirname(os.path.abspath(__file__))) as entries:
        entry_type = _type(next(entries, None))  # os.DirEntry

    def _is_library_file(filename):
        if _type(filename) is not _str:
            return False
        for root in trusted_roots:
            if filename.startswith(root):
                return True
        return False

    def _is_stdlib_file(filename):
        if _type(filename) is not _str:
            return False
        if filename.startswith("<frozen "):
            return True
        if "-packages/" in filename:
            return False
        for root in stdlib_roots:
            if filename.startswith(root):
                return True
        return False

    def _called_by_notebook():
        """Whether the code that called into the standard library is the notebook's.

        Libraries load shared objects (``ctypes.dlopen``) or start helpers on their own;
        only what the notebook's code asked the standard library for is worth noting.
        """
        frame = _getframe(2)  # (0: this function, 1: the hook)
        while frame is not None and _is_stdlib_file(frame.f_code.co_filename):
            frame = frame.f_back
        return frame is not None and not _is_library_file(frame.f_code.co_filename)

    # -- the snapshot ----------------------------------------------------------------------
    protected_modules = {}  # name -> (module, live dict, copy)
    protected_classes = {}  # id -> (class, copy of its dict)
    protected_functions = {}  # id -> (function, code, defaults, kwdefaults)

    def _protect_module(module):
        if _isinstance(module, _ModuleType) and module.__name__ not in protected_modules:
            live = _module_dict(module)
            protected_modules[module.__name__] = (module, live, _dict(live))

    def _protect_function(value):
        function = _getattr_plain(value, "__func__", value)
        candidates = [function]
        if _type(function) is not _type:
            candidates.append(_getattr_plain(function, "__wrapped__", None))
        for candidate in candidates:
            if _type(candidate) is _FunctionType and _id(candidate) not in protected_functions:
                protected_functions[_id(candidate)] = (
                    candidate,
                    _code.__get__(candidate),
                    _defaults.__get__(candidate),
                    _kwdefaults.__get__(candidate),
                )

    def _protect_class(cls):
        for klass in _type_mro(cls):
            if klass is object or _id(klass) in protected_classes:
                continue
            if klass.__module__ == "builtins":
                continue
            live = _type_dict(klass)
            protected_classes[_id(klass)] = (klass, _dict(live))
            for value in _list(live.values()):
                _protect_function(value)

    def _getattr_plain(value, name, default):
        try:
            return getattr(value, name, default)
        except Exception:  # noqa: BLE001  (install time: library objects only)
            return default

    for name in _list(_modules):
        top = name.partition(".")[0]
        if (
            name in _HELPER_MODULES
            or top in ("numpy", "coursekit", "json", "pathlib")
            or name in config.get("protect", [])
        ):
            _protect_module(_modules.get(name))
    for name, (_module, _live, snapshot) in _list(protected_modules.items()):
        own = name.partition(".")[0] == "coursekit"
        for value in snapshot.values():
            _protect_function(value)
            if own and _isinstance(value, _type) and value.__module__ == name:
                _protect_class(value)
    for cls in (pathlib.PosixPath, pathlib.PurePosixPath):
        _protect_class(cls)
    pathlib_classes = [
        protected_classes[_id(klass)]
        for klass in _type_mro(pathlib.PosixPath)
        if _id(klass) in protected_classes
    ]
    for dotted in config.get("objects", []):
        value = _resolve(dotted, missing)
        if value is missing:
            continue
        if _isinstance(value, _ModuleType):
            _protect_module(value)
        elif _isinstance(value, _type):
            _protect_class(value)
        else:
            _protect_function(value)

    modules_snapshot = _dict(_modules)
    if "" not in sys.path:
        sys.path.append("")  # the student's own helper modules still import, after all others
    _sys_path = sys.path
    sys_path_snapshot = _list(_sys_path)
    meta_path_snapshot = _list(_meta_path)
    path_hooks_snapshot = _list(_path_hooks)

    shell = None
    if "get_ipython" in builtins.__dict__:
        shell = builtins.__dict__["get_ipython"]()
    ipython = {}
    if shell is not None:
        manager = shell.input_transformer_manager
        instances = [shell, getattr(shell, "kernel", None), shell.displayhook, shell.display_pub]
        instances += [shell.compile, shell.events, manager]
        instances = [instance for instance in instances if instance is not None]
        for instance in instances:
            _protect_class(_type(instance))
        ipython = {
            "namespace": shell.user_ns,
            "module": shell.user_module,
            "builtins": shell.user_ns.get("__builtins__"),
            "custom_exceptions": shell.custom_exceptions,
            "CustomTB": shell.CustomTB,
            "lists": [
                (_object_getattribute(manager, "__dict__"), "cleanup_transforms"),
                (_object_getattribute(manager, "__dict__"), "line_transforms"),
                (_object_getattribute(manager, "__dict__"), "token_transformers"),
            ],
            "callbacks": shell.events.callbacks,
            "callbacks_copy": {k: _list(v) for k, v in shell.events.callbacks.items()},
            "instances": [
                (instance, _object_getattribute(instance, "__dict__")) for instance in instances
            ],
        }
        ipython["instances_copy"] = [_dict(live) for _, live in ipython["instances"]]
        ipython["lists_copy"] = [_list(live[key]) for live, key in ipython["lists"]]
        ipython["ast_transformers"] = _list(shell.ast_transformers)
        ipython["trait_values"] = _object_getattribute(shell, "_trait_values")
        ipython["trait_values_copy"] = _dict(ipython["trait_values"])

    trusted_bindings = {}  # name -> value bound by a locked cell
    state = {"counter": 0, "busy": False, "events": [], "blocked": [], "hard": []}

    def _note(kind, text):
        entries = state[kind]
        if text not in entries and _len(entries) < 200:
            entries.append(text)

    # -- check and restore -------------------------------------------------------------------
    def _same_list(live, snapshot):
        if _type(live) is not _list or _len(live) != _len(snapshot):
            return False
        for index in range(_len(snapshot)):
            if live[index] is not snapshot[index]:
                return False
        return True

    def _restore_dict(label, live, snapshot, volatile, changes, addition_ok):
        # Lookups use the snapshot's own key objects, which sit first in every probe
        # sequence, so no __eq__ written by the notebook runs here.
        resolved = []
        for key, value in snapshot.items():
            now = live.get(key, missing)
            if now is value or key in volatile:
                continue
            if _lazy_loaded(value, now):
                resolved.append((key, now))
            else:
                _restore_entry(label, live, key, value, changes)
        if resolved:  # a library's lazy loader gave way to the module it loads: fine
            for key, now in resolved:
                snapshot[key] = now
            fast.pop(_id(snapshot), None)
        if _len(live) == _len(snapshot):
            return  # every snapshot key is present, so nothing was added
        for key in _list(live):  # iterating keys never runs the notebook's code
            if _type(key) is not _str:
                changes.append(f"{label}: a key that is not a str was added")
                live.clear()
                live.update(snapshot)
                return
        for key in _list(live):
            if key not in snapshot and key not in volatile and not addition_ok(label, key, live):
                changes.append(f"{label}.{key} was added")
                del live[key]

    def _lazy_loaded(before, now):
        """A lazy-loader module (TensorFlow's ``tf.keras``) replaced by a library module."""
        if _type(before) is _ModuleType or not _isinstance(before, _ModuleType):
            return False
        if _type(now) is not _ModuleType:
            return False
        return _is_library_file(_module_dict(now).get("__file__"))

    def _restore_entry(label, live, key, value, changes):
        what = "removed" if key not in live else "replaced"
        changes.append(f"{label}.{key} was {what}")
        live[key] = value

    def _submodule_ok(label, key, live):
        # a submodule imported later (numpy.testing) may appear; nothing else may
        return _modules.get(f"{label}.{key}", missing) is live[key]

    def _always(label, key, live):
        return True  # a new builtin name shadows nothing the tests use

    def _unchanged(live, keys, values):
        """True when ``live`` starts with exactly these keys and values (C-level identity)."""
        count = _len(keys)
        if _len(live) < count:
            return False
        return _all(_map(_is, _islice(live, count), keys)) and _all(
            _map(_is, _islice(live.values(), count), values)
        )

    fast = {}  # id(snapshot) -> (keys, values)

    def _fast(snapshot):
        entry = fast.get(_id(snapshot))
        if entry is None:
            entry = fast[_id(snapshot)] = (_tuple(snapshot), _tuple(snapshot.values()))
        return entry

    functions = _list(protected_functions.values())
    function_objects = _tuple(entry[0] for entry in functions)
    function_codes = _tuple(entry[1] for entry in functions)
    function_defaults = _tuple(entry[2] for entry in functions)
    function_kwdefaults = _tuple(entry[3] for entry in functions)

    def _check():
        changes = []
        for klass, snapshot in protected_classes.values():
            live = _type_dict(klass)
            keys, values = _fast(snapshot)
            if _len(live) == _len(keys) and _unchanged(live, keys, values):
                continue
            name = f"{klass.__module__}.{klass.__qualname__}"
            for key, value in snapshot.items():
                if live.get(key, missing) is not value:
                    changes.append(f"{name}.{key} was changed")
                    _type_setattr(klass, key, value)
            for key in _list(live):
                if _type(key) is not _str or key not in snapshot:
                    changes.append(f"{name}.{key} was added")
                    _type_delattr(klass, key)
        for name, (module, live, snapshot) in protected_modules.items():
            if _module_dict(module) is not live:
                changes.append(f"the namespace of {name} was replaced")
            keys, values = _fast(snapshot)
            if _len(live) == _len(keys) and _unchanged(live, keys, values):
                continue
            volatile = sys_volatile if name == "sys" else ()
            volatile = builtins_volatile if name == "builtins" else volatile
            addition_ok = _always if name == "builtins" else _submodule_ok
            _restore_dict(name, live, snapshot, volatile, changes, addition_ok)
        if not (
            _all(_map(_is, _map(_code.__get__, function_objects), function_codes))
            and _all(_map(_is, _map(_defaults.__get__, function_objects), function_defaults))
            and _all(_map(_is, _map(_kwdefaults.__get__, function_objects), function_kwdefaults))
        ):
            for function, code, defaults, kwdefaults in functions:
                name = f"{function.__module__}.{function.__qualname__}"
                if _code.__get__(function) is not code:
                    changes.append(f"{name}.__code__ was replaced")
                    _code.__set__(function, code)
                if _defaults.__get__(function) is not defaults:
                    changes.append(f"{name}.__defaults__ were changed")
                    _defaults.__set__(function, defaults)
                if _kwdefaults.__get__(function) is not kwdefaults:
                    changes.append(f"{name}.__kwdefaults__ were changed")
                    _kwdefaults.__set__(function, kwdefaults)
        keys, values = _fast(modules_snapshot)
        if not _unchanged(_modules, keys, values):
            for name, module in modules_snapshot.items():
                if _modules.get(name, missing) is not module:
                    changes.append(f"sys.modules[{name!r}] was replaced")
                    _modules[name] = module
        if not _same_list(_meta_path, meta_path_snapshot):
            changes.append("sys.meta_path was changed (an import hook)")
            _meta_path[:] = meta_path_snapshot
        if not _same_list(_sys_path[: _len(sys_path_snapshot)], sys_path_snapshot):
            changes.append("sys.path was changed (the import search path)")
            _sys_path[:] = sys_path_snapshot  # (entries appended at the end may stay)
        if not _same_list(_path_hooks, path_hooks_snapshot):
            changes.append("sys.path_hooks was changed (an import hook)")
            _path_hooks[:] = path_hooks_snapshot
        if _gettrace() is not None:
            changes.append("a trace function (sys.settrace) was left active")
            _settrace(None)
        if _getprofile() is not None:
            changes.append("a profile function (sys.setprofile) was left active")
            _setprofile(None)
        if shell is not None:
            _check_ipython(changes)
        return changes

    def _check_ipython(changes):
        for (instance, live), snapshot in zip(
            ipython["instances"], ipython["instances_copy"], strict=True
        ):
            # IPython keeps changing state in these objects; only methods must stay theirs.
            label = _type(instance).__name__
            for key in _list(live):
                if _type(key) is not _str:
                    changes.append(f"{label}: a key that is not a str was added")
                    del live[key]
                    continue
                value = live[key]
                if _type(value) is not _MethodType and _type(value) is not _FunctionType:
                    continue
                before = snapshot.get(key, missing)
                if value is before:
                    continue
                if before is missing:
                    changes.append(f"{label}.{key} was overridden")
                    del live[key]
                elif _type(before) in (_MethodType, _FunctionType):
                    changes.append(f"{label}.{key} was replaced")
                    live[key] = before
        traits = ipython["trait_values"]
        shell_dict = ipython["instances"][0][1]
        expected = {
            "user_ns": ipython["namespace"],
            "user_module": ipython["module"],
            "custom_exceptions": ipython["custom_exceptions"],
            "CustomTB": ipython["CustomTB"],
        }
        for key, value in expected.items():
            for where in (traits, shell_dict):
                if key in where and where[key] is not value:
                    changes.append(f"IPython's {key} was replaced")
                    where[key] = value
        namespace = ipython["namespace"]
        if namespace.get("__builtins__", missing) is not ipython["builtins"]:
            changes.append("__builtins__ of the notebook was replaced")
            namespace["__builtins__"] = ipython["builtins"]
        for (live, key), snapshot in zip(ipython["lists"], ipython["lists_copy"], strict=True):
            if not _same_list(live.get(key), snapshot):
                changes.append(f"IPython's input transformers ({key}) were changed")
                live[key] = _list(snapshot)
        ast_now = traits.get("ast_transformers", ipython["ast_transformers"])
        if not _same_list(ast_now, ipython["ast_transformers"]):
            changes.append("IPython's ast_transformers were changed")
            ast_now[:] = ipython["ast_transformers"]
        callbacks = ipython["callbacks"]
        for event in _list(callbacks):
            live = callbacks[event]
            known = ipython["callbacks_copy"].get(event, [])
            kept = []
            for callback in live if _type(live) is _list else ():
                if any(callback is item for item in known) or _library_callable(callback):
                    kept.append(callback)
                else:
                    changes.append(f"an IPython {event!r} event callback was registered")
            if _type(live) is not _list or _len(kept) != _len(live):
                callbacks[event] = kept
        for name, value in trusted_bindings.items():
            if namespace.get(name, missing) is not value:
                kind = "" if _callable(value) else "data "
                changes.append(f"{kind}{name!r} (defined by a locked cell) was rebound")
                namespace[name] = value

    def _library_callable(callback):
        if _type(callback) is _FunctionType:
            return _is_library_file(_code.__get__(callback).co_filename)
        return False

    def _reply(counter, changes):
        body = _encode(
            {
                "counter": counter,
                "changes": changes,
                "events": state["events"],
                "blocked": state["blocked"],
                "hard": state["hard"],
                "protected": [
                    _len(protected_modules),
                    _len(protected_classes),
                    _len(protected_functions),
                    _len(modules_snapshot),
                ],
            }
        )
        state["events"], state["blocked"], state["hard"] = [], [], []
        mac = hmac_digest(secret, f"reply|{counter}|{body}".encode(), "sha256").hex()
        return reply_prefix + body + "|" + mac

    def _command(args):
        if _len(args) != 4:
            return None
        command, counter, body, mac = args
        if _type(command) is not _str or _type(counter) is not _int:
            return None
        if _type(body) is not _str or _type(mac) is not _str:
            return None
        expected = hmac_digest(secret, f"{command}|{counter}|{body}".encode(), "sha256").hex()
        if mac != expected or counter <= state["counter"]:
            _note("hard", "a forged or replayed command was sent to the grading guard")
            return None
        state["counter"] = counter
        if command == "bind" and shell is not None:
            request = _decode(body)
            namespace = ipython["namespace"]
            for name in request.get("names", []):
                if _type(name) is not _str or name not in namespace:
                    continue
                if request.get("add") or name in trusted_bindings:
                    trusted_bindings[name] = namespace[name]
        return _reply(counter, _check())

    # -- paths ---------------------------------------------------------------------------
    def _normalise(path):
        """Absolute path with '.', '..' and symbolic links resolved (captured calls only)."""
        if _type(path) is _bytes:
            path = path.decode("utf-8", "surrogateescape")
        if not path.startswith("/"):
            path = _getcwd() + "/" + path
        parts, links, result = path.split("/"), 0, []
        while parts:
            part = parts.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if result:
                    result.pop()
                continue
            candidate = "/" + "/".join(result + [part])
            try:
                is_link = _S_ISLNK(_lstat(candidate).st_mode)
            except (OSError, ValueError):
                is_link = False
            if is_link and links < 40:
                links += 1
                target = _readlink(candidate)
                if target.startswith("/"):
                    result = []
                parts = target.split("/") + parts
                continue
            result.append(part)
        return "/" + "/".join(result)

    def _inside(path, roots):
        for root in roots:
            if path == root or path.startswith(root.rstrip("/") + "/"):
                return True
        return False

    deny = _tuple(_normalise(p) for p in config.get("deny", []))
    allow = _tuple(_normalise(p) for p in config.get("allow", []))

    def _pathlib_intact():
        for klass, snapshot in pathlib_classes:
            live = _type_dict(klass)
            if _len(live) != _len(snapshot):
                return False
            for key, value in snapshot.items():
                if live.get(key, missing) is not value:
                    return False
        module_entry = protected_modules.get("pathlib")
        if module_entry is not None:
            for key, value in module_entry[2].items():
                if module_entry[1].get(key, missing) is not value:
                    return False
        return True

    def _denied(raw):
        kind = _type(raw)
        if kind is _int or raw is None:
            return None
        if kind is not _str and kind is not _bytes:
            if kind in path_types and _pathlib_intact():
                raw = _fspath(raw)
            elif kind is entry_type:
                raw = _fspath(raw)
            else:
                return f"<a path of type {kind.__name__}>"
            if _type(raw) is not _str and _type(raw) is not _bytes:
                return "<a path that is not a string>"
        path = _normalise(raw)
        if _inside(path, deny) and not _inside(path, allow):
            return path
        return None

    # -- the hook --------------------------------------------------------------------------
    def _hook(event, args):
        if state["busy"]:
            return
        if event == guard_event:
            state["busy"] = True
            try:
                reply = _command(args)
            except _BaseException as error:  # noqa: BLE001
                reply = None
                _note("hard", f"the grading guard failed: {_type(error).__name__}: {error}")
            finally:
                state["busy"] = False
            if reply is not None:
                raise _RuntimeError(reply)
            return
        if event in blocked_events or event == "sys.addaudithook":
            _note("blocked", f"{event} (refused while grading)")
            raise _RuntimeError(f"{event} is not available while grading")
        if event == "object.__setattr__":
            if _len(args) >= 2 and _type(args[1]) is _str and args[1] in code_attributes:
                target = args[0]
                if _type(target) is _FunctionType and _id(target) in protected_functions:
                    _note("blocked", f"setting {args[1]} of {target.__qualname__} (refused)")
                    raise _PermissionError(
                        f"changing {args[1]} of {target.__qualname__} is refused"
                    )
            return
        positions = path_events.get(event)
        if positions is not None:
            state["busy"] = True
            try:
                denied = None
                for position in positions:
                    if position < _len(args):
                        denied = _denied(args[position])
                        if denied is not None:
                            break
            except _BaseException:  # noqa: BLE001
                denied = "<a path that could not be checked>"
            finally:
                state["busy"] = False
            if denied is not None:
                _note("blocked", f"{event} {denied} (refused: grading files are off limits)")
                raise _PermissionError(13, "Permission denied (coursekit grading)", denied)
            return
        if event in recorded_events:
            state["busy"] = True
            try:
                noteworthy = _called_by_notebook()
            except _BaseException:  # noqa: BLE001
                noteworthy = True
            finally:
                state["busy"] = False
            if not noteworthy:
                return
            detail = ""
            if _len(args) and _type(args[0]) in (_str, _int):
                detail = " " + _repr(args[0])[:120]
            _note("events", event + detail)

    sys.addaudithook(_hook)
    # The message that carried the secret was compiled into IPython's line cache: drop it.
    for key in _list(linecache.cache):
        entry = linecache.cache.get(key)
        lines = entry[2] if _isinstance(entry, _tuple) and _len(entry) > 2 else ()
        if any(secret_hex in line for line in lines if _type(line) is _str):
            del linecache.cache[key]


def _resolve(dotted, default):
    """The object a dotted name such as ``sklearn.cluster.KMeans`` refers to, or ``default``."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        value = module
        for attribute in parts[cut:]:
            try:
                value = getattr(value, attribute)
            except Exception:  # noqa: BLE001
                return default
        return value
    return default


# ---------------------------------------------------------------------------------------
# Processes: trees, memory, killing
# ---------------------------------------------------------------------------------------


def _marked(pid, marker):
    """Whether process ``pid`` was started with ``COURSEKIT_SANDBOX=marker`` in its environment."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return f"COURSEKIT_SANDBOX={marker}".encode() in handle.read().split(b"\0")
    except OSError:
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
    try:
        root = psutil.Process(pid)
        found[root.pid] = root
        for child in root.children(recursive=True):
            found[child.pid] = child
    except psutil.Error:
        pass
    if marker and os.path.isdir("/proc"):
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in found and _marked(entry, marker):
                try:
                    found[int(entry)] = psutil.Process(int(entry))
                except psutil.Error:
                    continue
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
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
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
        try:
            process.send_signal(signal.SIGTERM)
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(members, timeout=grace)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(alive, timeout=grace)
    return len(members)


# ---------------------------------------------------------------------------------------
# The launcher: drop privileges and exec the kernel (run as a script, stdlib only)
# ---------------------------------------------------------------------------------------


# Environment variables a grading kernel keeps (prefixes); everything else is dropped.
_KERNEL_ENV_PREFIXES = (
    "PATH",
    "LANG",
    "LC_",
    "TZ",
    "HOME",
    "USER",
    "LOGNAME",
    "TMPDIR",
    "PYTHON",
    "MPL",
    "TF_",
    "KERAS_",
    "XLA_",
    "CUDA_",
    "NVIDIA_",
    "LD_LIBRARY_PATH",
    "OMP_",
    "OPENBLAS_",
    "MKL_",
    "JPY_",
    "JUPYTER_",
    "IPYTHONDIR",
    "COURSEKIT_",
    "NBGRADER_EXECUTION",
    "PYDEVD_",
)
_KERNEL_ENV_SECRETS = frozenset({"COURSEKIT_DB_URL", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN"})


def _launch(argv):
    """``sandbox.py launch --uid U --home H --env K=V ... -- KERNEL COMMAND``."""
    import resource
    import shutil

    options, command = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    uid = home = None
    environment = {}
    limits = {}
    index = 0
    while index < len(options):
        key, value = options[index], options[index + 1]
        index += 2
        if key == "--uid":
            uid = int(value) if value != "none" else None
        elif key == "--home":
            home = value
        elif key == "--env":
            name, _, setting = value.partition("=")
            environment[name] = setting
        elif key == "--limit":
            name, _, setting = value.partition("=")
            limits[name] = int(setting)
    for name in list(os.environ):
        if not name.startswith(_KERNEL_ENV_PREFIXES) or name in _KERNEL_ENV_SECRETS:
            del os.environ[name]  # tokens, database URLs: nothing the kernel needs
    os.environ.update(environment)
    for name, value in limits.items():
        kind = getattr(resource, f"RLIMIT_{name.upper()}", None)
        if kind is not None:
            try:
                resource.setrlimit(kind, (value, value))
            except (ValueError, OSError):
                pass
    if uid is not None and os.getuid() == 0:
        # The kernel must read its connection file: give it a private copy.
        position = command.index("-f") + 1 if "-f" in command else None
        if position is not None and home:
            private = os.path.join(home, os.path.basename(command[position]))
            shutil.copyfile(command[position], private)
            os.chown(private, uid, uid)
            os.chmod(private, 0o600)
            command[position] = private
        cwd = os.getcwd()
        os.chown(cwd, uid, uid)  # the kernel's working folder (the graded submission)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise SystemExit("coursekit sandbox: could not drop privileges")
    os.umask(0o077)
    os.execv(command[0], command)


if __name__ == "__main__":  # the kernel launcher
    if len(sys.argv) > 1 and sys.argv[1] == "launch":
        _launch(sys.argv[2:])
    else:
        raise SystemExit("usage: sandbox.py launch [--uid U] [--home H] [--env K=V] -- COMMAND")
