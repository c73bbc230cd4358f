"""Plain data across the sandbox boundary: what the grader and the student process exchange.

A value travels as a JSON tree plus files in one folder. The tree holds ``None``, bools,
numbers, strings and lists directly; everything else is an object with a ``"$"`` key:

========================  ==================================================================
``{"$": "tuple"}``        a tuple, ``"items"``
``{"$": "dict"}``         a dict, ``"items"`` as ``[key, value]`` pairs (any carried keys)
``{"$": "bytes"}``        bytes, base64 in ``"b64"``
``{"$": "ndarray"}``      a NumPy array of a non-object dtype, ``.npy`` file ``"file"``
``{"$": "scalar"}``       a NumPy scalar, stored as a 0-d array
``{"$": "keras"}``        a Keras model, ``.keras`` file ``"file"``
``{"$": "history"}``      a Keras ``History``: its ``history``, ``params`` and ``epoch``
``{"$": "function"}``     a NumPy or ``math`` function, by name (``np.square``)
``{"$": "arg"}``          the call's own argument ``"index"`` (a function returned it)
``{"$": "uncarried"}``    a value of another type: only its type name travels
========================  ==================================================================

The reader never unpickles: arrays are read with ``allow_pickle=False``, models with Keras'
``safe_mode=True`` (no Lambda layers, no code), files are opened without following symbolic
links, and the sizes are bounded. Both sides use this module; the student side imports
Keras only when it meets a model. Nothing here imports TensorFlow at import time.

Examples
--------
>>> import tempfile
>>> folder = Folder(tempfile.mkdtemp())
>>> tree = encode({"w": np.arange(3.0), "b": (1, None)}, folder)
>>> decode(tree, folder)
{'w': array([0., 1., 2.]), 'b': (1, None)}
>>> decode(encode(object(), folder), folder)
Uncarried('builtins.object')
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
import os
import secrets
import stat
import sys
from pathlib import Path

import numpy as np

__all__ = ["MAX_BYTES", "Folder", "Uncarried", "WireError", "decode", "encode"]

MAX_BYTES = 2 * 1024**3  # the largest file the grader reads (a model or an array)
MAX_JSON = 64 * 1024**2  # the largest JSON tree
MAX_DEPTH = 64
CARRIED = (
    "None, bools, numbers, strings, bytes, lists, tuples and dicts of these, NumPy arrays, "
    "Keras models and a Keras History"
)


class WireError(ValueError):
    """A message between the two processes is malformed, too large or not plain data."""


class Uncarried:
    """Stands for a value of a type that cannot cross the boundary (only its type travels).

    Any use of it other than ``repr`` and ``type_name`` raises :class:`WireError` naming the
    received type and what can travel, so the test that uses it fails with that message.
    """

    def __init__(self, type_name):
        object.__setattr__(self, "type_name", str(type_name)[:200])

    def __repr__(self):
        return f"Uncarried({self.type_name!r})"

    def _refuse(self, *args, **kwargs):
        raise WireError(
            f"the student's code gave a {self.type_name} object, which the grader cannot "
            f"receive: expected one of {CARRIED}."
        )

    __getattr__ = __call__ = __iter__ = __len__ = __getitem__ = __array__ = _refuse
    __eq__ = __lt__ = __gt__ = __le__ = __ge__ = __bool__ = __float__ = __int__ = _refuse
    __hash__ = None


def _type_name(value):
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _is_keras(value, name):
    """Whether ``value`` is a keras ``name``: ``"Model"`` or ``"History"`` (no import)."""
    keras = sys.modules.get("keras")
    kind = getattr(getattr(keras, "callbacks", None) if name == "History" else keras, name, None)
    return kind is not None and isinstance(value, kind)


class Folder(contextlib.AbstractContextManager):
    """A message folder, opened once: its files are read and written relative to it.

    Every file is opened relative to the folder's descriptor without following symbolic
    links (``O_NOFOLLOW``), new files are created exclusively (``O_EXCL``), and reads are
    size-bounded, so that a process sharing the folder cannot redirect a read or a write to
    a file outside it by swapping in a link. ``scratch`` is a private folder where Keras
    models are saved and loaded (Keras reads and writes paths, not bytes). ``models``, when
    given, decodes every Keras model: ``models(data, trainable, load)`` returns a model for
    the ``.keras`` bytes ``data`` (``load()`` loads a new one); the student side keeps the
    models the grader sends there (:mod:`coursekit.grader.student`).
    """

    def __init__(self, path, *, scratch=None, models=None):
        self.path = Path(path)
        self.models = models
        flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0)
        try:
            self.fd = os.open(self.path, flags)
        except OSError as error:
            raise WireError(f"cannot open the message folder: {error.strerror}") from None
        self.scratch = Path(scratch) if scratch else self.path

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __exit__(self, *exc):
        self.close()

    def _dir(self):
        if self.fd is None:
            raise WireError("the message folder is closed")
        return self.fd

    def write(self, name, data):
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        handle = os.open(_member(name), flags, 0o644, dir_fd=self._dir())
        with os.fdopen(handle, "wb") as file:
            file.write(data)

    def read(self, name, limit=MAX_BYTES):
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            handle = os.open(_member(name), flags, dir_fd=self._dir())
        except OSError as error:
            raise WireError(f"cannot open {name}: {error.strerror}") from None
        with os.fdopen(handle, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise WireError(f"{name} is not a regular file")
            if info.st_size > limit:
                raise WireError(f"{name} is {info.st_size} bytes, more than {limit}")
            return file.read(limit + 1)[:limit]

    def write_json(self, name, tree):
        """Write a JSON tree (NaN and infinities allowed, as Python's json writes them)."""
        self.write(name, json.dumps(tree).encode())

    def read_json(self, name):
        data = self.read(name, MAX_JSON)
        try:
            return json.loads(data)
        except ValueError as error:
            raise WireError(f"{name} is not valid JSON: {error}") from None


def _member(name):
    """A file name inside a message folder: a plain name, as :func:`encode` makes them."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise WireError(f"bad file name in message: {str(name)[:80]!r}")
    if "/" in name or "\x00" in name or name.startswith("."):
        raise WireError(f"bad file name in message: {name!r}")
    return name


def _new_name(prefix, suffix):
    return f"{prefix}{secrets.token_hex(8)}{suffix}"


def encode(value, folder, *, _depth=0):
    """Write ``value`` as plain data into ``folder`` (a :class:`Folder`); returns the tree."""
    if _depth > MAX_DEPTH:
        raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep")
    if value is None or type(value) in (bool, int, float, str):
        return value
    for plain in (bool, int, float, str):  # a subclass: only the plain value travels
        if isinstance(value, plain):
            return plain(value)
    inner = functools.partial(encode, folder=folder, _depth=_depth + 1)
    if type(value) is list:
        return [inner(item) for item in value]
    if type(value) is tuple:
        return {"$": "tuple", "items": [inner(item) for item in value]}
    if type(value) is dict:
        return {"$": "dict", "items": [[inner(key), inner(item)] for key, item in value.items()]}
    if type(value) is bytes:
        return {"$": "bytes", "b64": base64.b64encode(value).decode("ascii")}
    if type(value) is np.ndarray or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.hasobject:
            return {"$": "uncarried", "type": "numpy.ndarray of dtype object"}
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        name = _new_name("a", ".npy")
        folder.write(name, buffer.getvalue())
        return {"$": "ndarray" if type(value) is np.ndarray else "scalar", "file": name}
    if _is_keras(value, "Model"):
        name = _new_name("m", ".keras")
        path = folder.scratch / f"save-{name}"
        try:
            value.save(path)
            folder.write(name, path.read_bytes())
        except Exception as error:  # noqa: BLE001  (reported to the grader as the reason)
            message = f"{type(error).__name__}: {error}"[:300]
            return {"$": "uncarried", "type": f"{_type_name(value)} (not saveable: {message})"}
        finally:
            path.unlink(missing_ok=True)
        # (a saved model does not keep every layer's trainable flag, e.g. an InputLayer's)
        trainable = [bool(layer.trainable) for layer in value.layers]
        return {"$": "keras", "file": name, "trainable": trainable}
    if _is_keras(value, "History"):
        return {
            "$": "history",
            "history": inner(dict(value.history)),
            "params": inner(dict(value.params or {})),
            "epoch": inner(list(value.epoch)),
        }
    reference = _function_reference(value)
    if reference is not None:
        return {"$": "function", "module": reference[0], "name": reference[1]}
    return {"$": "uncarried", "type": _type_name(value)}


_FUNCTION_MODULES = ("numpy", "math")  # functions that travel by name


def _function_reference(value):
    """``(module, name)`` when ``value`` is a function of NumPy or math reachable by name."""
    module = getattr(value, "__module__", None) or ""
    name = getattr(value, "__name__", None)
    if not callable(value) or not isinstance(name, str):
        return None
    if type(value).__name__ == "ufunc":
        module = "numpy"
    top = module.partition(".")[0]
    try:  # (a module other than NumPy's and math: WireError)
        return (top, name) if _resolve_function(top, name) is value else None
    except WireError:
        return None


def _resolve_function(module, name):
    import importlib

    if module not in _FUNCTION_MODULES or not str(name).isidentifier():
        raise WireError(f"functions travel only from {', '.join(_FUNCTION_MODULES)}")
    found = getattr(importlib.import_module(module), name, None)
    if found is None or not callable(found) or isinstance(found, type):
        raise WireError(f"{module}.{name} is not a function")
    return found


def _load_model(data, scratch):
    """A Keras model from the bytes of a ``.keras`` file, in safe mode (no code runs)."""
    import keras

    path = Path(scratch) / _new_name("load-", ".keras")
    path.write_bytes(data)
    try:
        return keras.saving.load_model(path, compile=True, safe_mode=True)
    except Exception as error:  # noqa: BLE001  (any failure: the model is not acceptable)
        text = " ".join(str(error).split())[:300]
        raise WireError(
            f"the Keras model could not be loaded in safe mode ({type(error).__name__}: {text}); "
            "models must be built from Keras' own layers (no Lambda layers or custom classes)"
        ) from None
    finally:
        path.unlink(missing_ok=True)


def _decode_model(data, flags, scratch):
    model = _load_model(data, scratch)
    if isinstance(flags, list) and len(flags) == len(model.layers):
        for layer, flag in zip(model.layers, flags, strict=True):
            layer.trainable = bool(flag)
    return model


def decode(tree, folder, *, _depth=0):
    """The value that :func:`encode` wrote into ``folder`` (a :class:`Folder`)."""
    if _depth > MAX_DEPTH:
        raise WireError(f"the message is nested more than {MAX_DEPTH} levels deep")
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    inner = functools.partial(decode, folder=folder, _depth=_depth + 1)
    if isinstance(tree, list):
        return [inner(item) for item in tree]
    if not isinstance(tree, dict):
        raise WireError(f"unexpected JSON value of type {type(tree).__name__}")
    kind = tree.get("$")
    try:
        if kind == "tuple":
            return tuple(inner(item) for item in tree["items"])
        if kind == "dict":
            result = {}
            for key, item in tree["items"]:
                key = inner(key)
                try:
                    result[key] = inner(item)
                except TypeError:
                    raise WireError(f"a dict key of type {type(key).__name__}") from None
            return result
        if kind == "bytes":
            return base64.b64decode(tree["b64"], validate=True)
        if kind in ("ndarray", "scalar"):
            data = folder.read(tree["file"])
            try:
                array = np.load(io.BytesIO(data), allow_pickle=False)
            except Exception as error:  # noqa: BLE001
                raise WireError(f"an array could not be read ({type(error).__name__})") from None
            if not isinstance(array, np.ndarray):
                raise WireError("an array file held something else")
            return array if kind == "ndarray" else array[()]
        if kind == "keras":
            data, flags = folder.read(tree["file"]), tree.get("trainable")
            load = functools.partial(_decode_model, data, flags, folder.scratch)
            models = getattr(folder, "models", None)
            return models(data, flags, load) if models is not None else load()
        if kind == "history":
            import keras

            history = keras.callbacks.History()
            history.history = inner(tree["history"])
            history.params = inner(tree["params"])
            history.epoch = inner(tree["epoch"])
            if not (isinstance(history.history, dict) and isinstance(history.epoch, list)):
                raise WireError("a History whose history is not a dict or epoch not a list")
            return history
        if kind == "uncarried":
            return Uncarried(tree.get("type", "?"))
        if kind == "function":
            return _resolve_function(tree["module"], tree["name"])
        if kind == "arg":
            index = tree["index"]
            arguments = getattr(folder, "arguments", ())
            if not isinstance(index, (int, str)) or index not in arguments:
                raise WireError("a reference to an argument the call did not have")
            return arguments[index]
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, WireError):
            raise
        raise WireError(f"a malformed {str(kind)[:20]!r} value ({type(error).__name__})") from None
    raise WireError(f"unknown kind of value {str(kind)[:40]!r}")
