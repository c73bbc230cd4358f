"""The student side of the grading interface: runs inside the sandboxed student kernel.

The grader never sends code to run here beyond one call of :func:`handle` per request; the
request itself is plain data in a folder (:mod:`coursekit.grader.wire`). Two operations:

- ``lookup``: for each name, whether the student's namespace has it, and as what: a
  callable (only its name travels; the grader calls it through ``call``) or a value (sent as
  plain data);
- ``call``: call the student's function ``name`` with the arguments sent over, and send back
  the result, or the exception it raised, and the arguments it changed in place (a Keras
  model whose layers it froze, an array it filled).

Everything in this module runs in the student's process, so the student can change what it
answers; all it can ever send is plain data, which is all the grader looks at.
"""

from __future__ import annotations

import contextlib
import hashlib

import numpy as np

from . import wire

__all__ = ["handle"]


def _fingerprint(value):
    """A digest of what an in-place change to ``value`` would alter, or None if not mutable."""
    if type(value) is np.ndarray:
        return hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
    if type(value) in (list, dict):
        with contextlib.suppress(Exception):
            return hashlib.sha256(repr(value).encode()).hexdigest()
    elif wire._is_keras(value, "Model"):
        digest = hashlib.sha256()
        for layer in value.layers:
            digest.update(f"{layer.name}:{layer.trainable};".encode())
        for weight in value.weights:
            digest.update(np.ascontiguousarray(np.asarray(weight)).tobytes())
        return digest.hexdigest()
    return None


def _models(value, path=()):
    """``(path, model)`` for every Keras model in a result (a model, or a tuple/list of them)."""
    if wire._is_keras(value, "Model"):
        yield path, value
    elif type(value) in (tuple, list):
        for index, item in enumerate(value):
            yield from _models(item, (*path, index))


def _shared_layers(result, arguments):
    """Which layers of the models in ``result`` are layers of other models (not copies).

    Returns ``[[path, layer name, other, other layer name], ...]`` where ``other`` is
    ``["arg", key]`` or ``["result", path]``.
    """
    models = list(_models(result))
    others = [(["result", list(p)], m) for p, m in models]
    others += [
        (["arg", key], value) for key, value in arguments.items() if wire._is_keras(value, "Model")
    ]
    shared = []
    for path, model in models:
        for layer in model.layers:
            for where, other in others:
                if other is model:
                    continue
                match = next((o for o in other.layers if o is layer), None)
                if match is not None:
                    shared.append([list(path), layer.name, where, match.name])
                    break
    return shared


def _exception(error):
    """An exception as plain data: its type, the built-in classes it derives from, its text."""
    bases = [
        cls.__name__
        for cls in type(error).__mro__
        if cls.__module__ == "builtins" and issubclass(cls, BaseException)
    ]
    return {"type": type(error).__name__[:100], "bases": bases, "message": str(error)[:4000]}


def _lookup(namespace, names, folder):
    found = {}
    for name in names:
        if not isinstance(name, str) or name not in namespace:
            found[str(name)] = {"kind": "missing"}
            continue
        value = namespace[name]
        if callable(value) and not wire._is_keras(value, "Model"):
            found[name] = {"kind": "callable", "name": getattr(value, "__name__", name)}
        else:
            found[name] = {"kind": "value", "value": wire.encode(value, folder)}
    return {"found": found}


_ERRSTATE_KINDS = ("divide", "over", "under", "invalid")
_ERRSTATE_MODES = ("ignore", "warn", "raise", "print")


def _errstate(settings):
    """NumPy's floating-point error handling as the grader's test cell set it for the call."""
    settings = settings if isinstance(settings, dict) else {}
    chosen = {
        kind: mode
        for kind, mode in settings.items()
        if kind in _ERRSTATE_KINDS and mode in _ERRSTATE_MODES
    }
    return np.errstate(**chosen)


def _call(namespace, request, folder):
    name = request["name"]
    function = namespace.get(name)
    if function is None or not callable(function):
        return {"raise": _exception(NameError(f"name {name!r} is not defined"))}
    args = wire.decode(request["args"], folder)
    kwargs = wire.decode(request["kwargs"], folder)
    arguments = {**dict(enumerate(args)), **kwargs}  # positions, then names
    before = {key: _fingerprint(value) for key, value in arguments.items()}
    try:
        with _errstate(request.get("errstate")):
            result = function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001  (the grader re-raises it for the test)
        reply = {"raise": _exception(error)}
    else:
        same = [k for k, value in arguments.items() if value is result and _fingerprint(value)]
        if same:  # the function returned its (mutable) argument itself: say which one
            reply = {"value": {"$": "arg", "index": same[0]}}
        else:
            reply = {"value": wire.encode(result, folder)}
            reply["shared"] = _shared_layers(result, arguments)
    reply["changed"] = {
        str(key): wire.encode(value, folder)
        for key, value in arguments.items()
        if before[key] is not None and _fingerprint(value) != before[key]
    }
    return reply


def handle(namespace, path):
    """Answer the request in ``path/request.json``; the reply goes to ``path/reply.json``."""
    with wire.Folder(path) as folder:
        try:
            request = folder.read_json("request.json")
            if request.get("op") == "lookup":
                reply = _lookup(namespace, request["names"], folder)
            elif request.get("op") == "call":
                reply = _call(namespace, request, folder)
            else:
                reply = {"error": f"unknown request {request.get('op')!r}"}
        except Exception as error:  # noqa: BLE001  (the grader reports it)
            reply = {"error": f"{type(error).__name__}: {error}"[:2000]}
        try:
            folder.write_json("reply.json", reply)
        except ValueError as error:  # e.g. a dict key JSON cannot hold
            folder.write_json("reply.json", {"error": f"the reply could not be written: {error}"})
