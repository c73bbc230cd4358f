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

import collections
import contextlib
import hashlib
import json

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


def _state(model):
    """What a cached model must still have to be handed out again: its layers' names and
    trainable flags, its weights, and how it is compiled."""
    compiled = None
    with contextlib.suppress(Exception):
        compiled = repr(model.get_compile_config())
    return _fingerprint(model), compiled, model.name, id(getattr(model, "optimizer", None))


class ModelCache:
    """The models the grader sent, kept while unchanged: one object for the same bytes.

    Loading a Keras model costs a fraction of a second (it rebuilds every layer), and a test
    sends the same model (the course's reference network, say) to many calls. The student's
    function gets the model it got before when the grader sends the same ``.keras`` bytes
    and the model still has the weights, trainable flags, name and compilation it was loaded
    with; in a notebook, too, every call gets the one object. A call that changes the model
    (freezes a layer, trains it, compiles it again) makes the next one load a new copy.
    Within one request each model is handed out once (two arguments with the same bytes get
    two objects, as two models of the grader's are two). This runs in the student's process
    and changes only what it hands to the student's own functions; the grader reads nothing
    but the plain data of the reply.

    Examples
    --------
    >>> cache = ModelCache(size=1)
    >>> cache(b"one", None, lambda: "a model") == "a model"  # (a string stands in here)
    True
    """

    def __init__(self, size=4, max_bytes=256 * 1024**2):
        # (at most ``size`` models, of at most ``max_bytes`` of .keras files together: the
        # student process's memory limit counts them)
        self.size, self.max_bytes, self.entries = size, max_bytes, collections.OrderedDict()
        self.handed = set()  # ids of the models handed out in the current request

    def new_request(self):
        self.handed.clear()

    def __call__(self, data, flags, load):
        key = hashlib.sha256(data).hexdigest() + json.dumps(flags)
        entry = self.entries.pop(key, None)
        if entry is not None and id(entry[0]) in self.handed:
            self.entries[key] = entry
            return load()  # a second model of the same bytes in one request
        if entry is not None and _state(entry[0]) == entry[1]:
            self.entries[key] = entry
            self.handed.add(id(entry[0]))
            return entry[0]
        model = load()
        self.handed.add(id(model))
        if wire._is_keras(model, "Model") and len(data) <= self.max_bytes:
            self.entries[key] = (model, _state(model), len(data))
            while len(self.entries) > self.size or (
                sum(entry[2] for entry in self.entries.values()) > self.max_bytes
            ):
                self.entries.popitem(last=False)
        return model


_MODELS = ModelCache()


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
    _MODELS.new_request()
    with wire.Folder(path, models=_MODELS) as folder:
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
