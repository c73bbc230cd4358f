"""Checks that the test cells of the assignments use.

A failing check raises :class:`CheckFailed` with a message that teaches: what was expected,
what was received and a hint. Checks inside hidden tests pass ``show_expected=False`` (the
default) so that the message names the received value but never the expected one, and wrap
their body in :func:`hidden` so that no line of hidden-test code reaches the student.
:func:`numpy_only` checks that a NumPy-only task really uses NumPy only.

Introduced in assignment ``a01_perceptron``; every assignment's setup cell imports it.
"""

from __future__ import annotations

import builtins
import dis
import gc
import re
import sys
import sysconfig
import types

import numpy as np

__all__ = ["CheckFailed", "check_array", "check_equal", "check_raises", "hidden", "numpy_only"]

# Packages a NumPy-only task must not use (top-level module names).
_FORBIDDEN = frozenset(
    {"tensorflow", "tf_keras", "keras", "scipy", "sklearn", "torch", "jax", "jaxlib"}
)


class CheckFailed(AssertionError):
    """A failed check of a test cell, with a message meant for the student.

    In IPython and Jupyter the error shows only ``CheckFailed: <message>``: no traceback,
    so the lines of a (possibly hidden) test cell never appear in the notebook's output.

    Parameters
    ----------
    message : str
        What was expected, what was received and a hint.

    Examples
    --------
    >>> error = CheckFailed("sigmoid(0) should be 0.5. Received: 1.0.")
    >>> error._render_traceback_()
    ['CheckFailed: sigmoid(0) should be 0.5. Received: 1.0.']
    """

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)

    def _render_traceback_(self):
        """Return the lines IPython shows instead of a traceback."""
        return [f"CheckFailed: {self.message}"]


def _fail(message, hint):
    """Raise CheckFailed with the message and, if given, the hint on its own line."""
    if hint:
        message = f"{message}\nHint: {hint}"
    raise CheckFailed(message)


def _describe(value, *, limit=200):
    """Return a short, readable description of a received or expected value."""
    if isinstance(value, np.ndarray):
        text = " ".join(np.array2string(value, threshold=20, precision=6, separator=", ").split())
        return f"array of shape {value.shape} and dtype {value.dtype}: {text}"
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + " ...)"


def _scalar(value):
    """Format one array entry."""
    return repr(value.item()) if isinstance(value, np.generic) else repr(value)


def check_array(
    received, expected, *, name="the result", rtol=1e-6, atol=1e-8, hint=None, show_expected=False
):
    """Check that an array (or number) matches the expected one.

    The checks run in order and the first failure raises: the value is array-like and not
    ``None``; it has the expected shape; integer (bool) results hold integers (bools); it
    is finite where the expected array is finite; its values are close,
    ``|received - expected| <= atol + rtol * |expected|``.

    Parameters
    ----------
    received : array_like
        What the student's code returned.
    expected : array_like
        The correct result.
    name : str, default="the result"
        How the message refers to ``received``, e.g. ``"sigmoid(z)"``.
    rtol, atol : float, default=1e-6, 1e-8
        Relative and absolute tolerance.
    hint : str, optional
        Added to the message when the check fails.
    show_expected : bool, default=False
        Put the expected values in the message, with the largest absolute difference (which,
        beside the received value, would give the expected one away). Visible tests may;
        hidden tests must not.

    Raises
    ------
    CheckFailed
        With the number of mismatching entries, the first mismatching index and the
        received value there (and, with ``show_expected``, what was expected).

    Examples
    --------
    >>> check_array([0.5, 0.75], np.array([0.5, 0.75]), name="sigmoid(z)")
    >>> check_array([0.5, 0.7], [0.5, 0.75], name="sigmoid(z)", hint="Use np.exp.")
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: sigmoid(z) has wrong values: 1 of 2 entries differ...
      first difference at index (1,): received 0.7
    Hint: Use np.exp.
    >>> check_array([0.5, 0.7], [0.5, 0.75], name="sigmoid(z)", show_expected=True)
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: sigmoid(z) has wrong values: 1 of 2 entries differ...
      first difference at index (1,): received 0.7, expected 0.75
      largest absolute difference: 0.05
      expected: array of shape (2,) and dtype float64: [0.5 , 0.75]
    >>> check_array(np.zeros((2, 1)), np.zeros(2), name="relu(z)")
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: relu(z) has the wrong shape: expected (2,), received (2, 1).
    """
    if received is None:
        _fail(f"{name} is None. Did the function forget to `return` its result?", hint)
    expected = np.asarray(expected)
    try:
        array = np.asarray(received)
    except (TypeError, ValueError) as error:
        _fail(f"{name} could not be converted to a NumPy array ({error}).", hint)
    if array.dtype.kind not in "biuf":
        _fail(
            f"{name} should be numeric, but it has dtype {array.dtype}. "
            f"Received: {_describe(received)}",
            hint,
        )
    if array.shape != expected.shape:
        _fail(
            f"{name} has the wrong shape: expected {expected.shape}, received {array.shape}.", hint
        )
    if expected.dtype.kind in "iu" and array.dtype.kind not in "iu":
        _fail(
            f"{name} should hold integers, but its dtype is {array.dtype}. "
            "Convert it with `.astype(int)`.",
            hint,
        )
    if expected.dtype.kind == "b" and array.dtype.kind != "b":
        _fail(f"{name} should hold booleans, but its dtype is {array.dtype}.", hint)
    array = array.astype(float)
    expected = expected.astype(float)
    not_finite = np.isfinite(expected) & ~np.isfinite(array)
    if not_finite.any():
        index = tuple(int(i) for i in np.argwhere(not_finite)[0])
        _fail(
            f"{name} contains nan or inf where a finite number was expected: "
            f"{int(not_finite.sum())} of {array.size} entries, the first at index {index} "
            f"(received {_scalar(array[index])}).",
            hint,
        )
    close = np.isclose(array, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        difference = np.abs(array - expected)
        finite = difference[~close & np.isfinite(difference)]
        largest = f"{finite.max():.6g}" if finite.size else "not finite"
        lines = [
            f"{name} has wrong values: {int((~close).sum())} of {array.size} entries differ "
            f"(rtol={rtol:g}, atol={atol:g}).",
            f"  first difference at index {index}: received {_scalar(array[index])}"
            + (f", expected {_scalar(expected[index])}" if show_expected else ""),
        ]
        if show_expected:
            lines.append(f"  largest absolute difference: {largest}")
            if expected.size <= 100:
                lines.append(f"  expected: {_describe(expected)}")
        _fail("\n".join(lines), hint)


def check_equal(received, expected, *, name, hint=None, show_expected=False):
    """Check that a scalar, tuple, list or string equals the expected value exactly.

    For floating-point numbers and arrays use :func:`check_array`.

    Parameters
    ----------
    received : object
        What the student's code returned.
    expected : object
        The correct value; ``received == expected`` must be true.
    name : str
        How the message refers to ``received``.
    hint : str, optional
        Added to the message when the check fails.
    show_expected : bool, default=False
        Put the expected value in the message. Visible tests may; hidden tests must not.

    Raises
    ------
    CheckFailed
        With the received value (and the expected one if ``show_expected``).

    Examples
    --------
    >>> check_equal(len([1, 0, 1]), 3, name="the number of epochs")
    >>> check_equal("or", "and", name="the gate", show_expected=True)
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: the gate is wrong: received 'or', expected 'and'.
    """
    try:
        same = bool(received == expected)
    except (TypeError, ValueError):  # e.g. an array where a scalar was expected
        same = False
    if isinstance(expected, str | tuple | list) and not isinstance(received, type(expected)):
        same = False
    if not same:
        message = f"{name} is wrong: received {_describe(received)}"
        if show_expected:
            message += f", expected {_describe(expected)}"
        _fail(message + ".", hint)


def _exception_text(error):
    """'TypeError: message', or just 'NotImplementedError' when the message is empty."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _describe_call(func, args, kwargs):
    """Describe a call compactly: arrays by shape, other values by repr."""

    def short(value):
        if isinstance(value, np.ndarray) and value.size > 6:
            return f"<array of shape {value.shape}>"
        if isinstance(value, np.ndarray):
            return "array(" + " ".join(np.array2string(value, separator=", ").split()) + ")"
        return _describe(value, limit=60)

    parts = [short(value) for value in args]
    parts += [f"{key}={short(value)}" for key, value in kwargs.items()]
    return f"{getattr(func, '__name__', repr(func))}({', '.join(parts)})"


def check_raises(func, *args, exception=ValueError, match=None, hint=None, **kwargs):
    """Check that ``func(*args, **kwargs)`` raises ``exception`` with a helpful message.

    Parameters
    ----------
    func : callable
        The student's function.
    *args, **kwargs
        Its arguments.
    exception : type, default=ValueError
        The exception class it must raise (a subclass also counts).
    match : str or list of str, optional
        A regular expression the error message must match (``re.search``), or a list of
        substrings it must all contain, e.g. the received value that was wrong.
    hint : str, optional
        Added to the message when the check fails.

    Returns
    -------
    Exception
        The exception that was raised.

    Raises
    ------
    CheckFailed
        If the call returned normally, raised another type, or its message does not match.

    Examples
    --------
    >>> def positive(x):
    ...     if x <= 0:
    ...         raise ValueError(f"x must be positive. Received: x={x}.")
    ...     return x
    >>> error = check_raises(positive, -2, match=["x=-2"])
    >>> check_raises(positive, 3)
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: positive(3) should raise ValueError, but it returned 3.
    """
    call = _describe_call(func, args, kwargs)
    try:
        result = func(*args, **kwargs)
    except exception as error:
        text = str(error)
        if isinstance(match, str):
            missing = [] if re.search(match, text) else [f"a match for {match!r}"]
        else:
            missing = [repr(part) for part in (match or []) if part not in text]
        if missing:
            _fail(
                f"{call} raised {type(error).__name__} as it should, but its message does not "
                f"contain {', '.join(missing)}. Received message: {text!r}",
                hint,
            )
        return error
    except Exception as error:  # noqa: BLE001  (any other type is the student's mistake)
        _fail(
            f"{call} should raise {exception.__name__}, but it raised {_exception_text(error)}",
            hint,
        )
    _fail(f"{call} should raise {exception.__name__}, but it returned {_describe(result)}.", hint)


class hidden:  # noqa: N801  (used like a function: `with hidden("..."):`)
    """Context manager for a block of hidden tests.

    A :class:`CheckFailed` raised in the block passes through with ``description`` in
    front. Any other exception (raised by the student's code) becomes a
    :class:`CheckFailed` naming its type and message, with the original traceback
    suppressed, so that no line of the hidden test is shown.

    Parameters
    ----------
    description : str
        What the block checks, e.g. ``"sigmoid is stable for large |z|"``.

    Examples
    --------
    >>> with hidden("sigmoid of a 2-D array"):
    ...     check_array([[0.5]], [[0.5]])
    >>> with hidden("sigmoid of a 2-D array"):
    ...     {}["missing"]
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: sigmoid of a 2-D array: the test raised KeyError: 'missing'
    """

    def __init__(self, description):
        self.description = description

    def __enter__(self):
        return self

    def __exit__(self, exc_type, error, traceback):
        if error is None or not isinstance(error, Exception):
            return False  # nothing raised, or KeyboardInterrupt/SystemExit: pass through
        if isinstance(error, CheckFailed):
            raise CheckFailed(f"{self.description}: {error.message}") from None
        innermost = traceback
        while innermost.tb_next is not None:
            innermost = innermost.tb_next
        who = "the test" if innermost.tb_frame is traceback.tb_frame else "your code"
        message = f"{self.description}: {who} raised {_exception_text(error)}"
        if isinstance(error, NotImplementedError):
            message += "\nHint: replace the `raise NotImplementedError()` line with your solution."
        raise CheckFailed(message) from None


def _library_paths():
    """Directories whose code is library code (the standard library and site-packages)."""
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    return tuple(sorted(roots))


def _top(module_name):
    """Top-level package of a dotted module name ('' for None)."""
    return (module_name or "").partition(".")[0]


def _is_forbidden(module_name):
    return _top(module_name) in _FORBIDDEN


class numpy_only:  # noqa: N801  (used like a function: `with numpy_only():`)
    """Context manager that fails if the code in the block uses anything but NumPy.

    While active, a profiler (``sys.setprofile``) watches every call. The check fails with
    :class:`CheckFailed` when the block calls into TensorFlow, Keras, SciPy, scikit-learn,
    PyTorch or JAX, when code outside the standard library and site-packages (the
    student's) refers to them (``scipy.special.expit(z)``, ``expit(z)`` after
    ``from scipy.special import expit``) or imports them. NumPy, the standard library and
    everything else are allowed. The previous profiler is restored on exit.

    Parameters
    ----------
    name : str, default="your code"
        How the message refers to the code under test, e.g. ``"sigmoid"``.

    Raises
    ------
    CheckFailed
        On exit, if the block used a forbidden package.

    Examples
    --------
    >>> def numpy_sigmoid(z):
    ...     return 1 / (1 + np.exp(-z))
    >>> with numpy_only(name="sigmoid"):
    ...     result = numpy_sigmoid(np.arange(3.0))
    >>> import scipy.special
    >>> def sigmoid(z):
    ...     return scipy.special.expit(z)
    >>> with numpy_only(name="sigmoid"):
    ...     result = sigmoid(np.arange(3.0))
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: sigmoid must use NumPy only, but it uses scipy.special.expit. ...
    """

    _library = _library_paths()

    def __init__(self, *, name="your code"):
        self.name = name
        self.violation = None
        self._chains = {}  # code object -> [(dotted name as written, is_import), ...]
        self._ufuncs = None  # id -> qualified name of ufuncs in loaded forbidden modules

    # -- static look at user code ------------------------------------------------------
    def _is_user_code(self, code):
        filename = code.co_filename
        if filename.startswith("<frozen") or filename == __file__:
            return False
        return not filename.startswith(self._library)

    def _names_used(self, code):
        """Dotted names (``np.exp``, ``scipy.special.expit``) and imports used in ``code``."""
        if code not in self._chains:
            found, chain = [], None
            for instruction in dis.get_instructions(code):
                if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF"):
                    if chain:
                        found.append((chain, False))
                    chain = [instruction.argval]
                elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD") and chain:
                    chain.append(instruction.argval)
                else:
                    if chain:
                        found.append((chain, False))
                    chain = None
                    if instruction.opname == "IMPORT_NAME" and instruction.argval:
                        found.append((instruction.argval.split("."), True))
            if chain:
                found.append((chain, False))
            self._chains[code] = found
        return self._chains[code]

    def _origin(self, value):
        """The module a value comes from, e.g. 'scipy.special' for scipy.special.expit."""
        if isinstance(value, types.ModuleType):
            return value.__name__
        if isinstance(value, np.ufunc) and getattr(value, "__module__", None) is None:
            if self._ufuncs is None:
                self._ufuncs = {}
                for module_name, module in list(sys.modules.items()):
                    if _is_forbidden(module_name) and module is not None:
                        for attribute, item in list(vars(module).items()):
                            qualified = f"{module_name}.{attribute}"
                            known = self._ufuncs.get(id(item), qualified)
                            if isinstance(item, np.ufunc) and len(qualified) <= len(known):
                                self._ufuncs[id(item)] = qualified  # the shortest, public name
            return self._ufuncs.get(id(value), "").rpartition(".")[0]
        module = getattr(value, "__module__", None)
        return module if isinstance(module, str) else type(value).__module__

    def _where(self, frame):
        """' in helper' when the offending code is not the function named in the message."""
        if frame is None or frame.f_code.co_name == self.name:
            return ""
        return f" in {frame.f_code.co_name}"

    def _check_user_frame(self, frame):
        """Describe the first forbidden name or import in the frame's code, or None."""
        for chain, is_import in self._names_used(frame.f_code):
            written = ".".join(chain)
            if is_import:
                if chain[0] in _FORBIDDEN:
                    return f"imports {written}" + self._where(frame)
                continue
            if chain[0] in frame.f_code.co_freevars:  # a variable of an enclosing function
                value = frame.f_locals.get(chain[0])
            elif chain[0] in frame.f_globals:
                value = frame.f_globals[chain[0]]
            else:
                value = vars(builtins).get(chain[0])
            for attribute in chain[1:] + [None]:
                if value is None:
                    break
                origin = self._origin(value)
                if _is_forbidden(origin):
                    source = "" if _top(written) == _top(origin) else f" from {origin}"
                    return f"uses {written}{source}" + self._where(frame)
                value = getattr(value, attribute, None) if attribute else None
        return None

    # -- the profiler ---------------------------------------------------------------------
    def _profile(self, frame, event, arg):
        if self.violation is not None:
            return
        if event == "call":
            module_name = frame.f_globals.get("__name__")
            if _is_forbidden(module_name):
                self.violation = f"calls {module_name}.{frame.f_code.co_qualname}" + self._where(
                    frame.f_back
                )
            elif self._is_user_code(frame.f_code):
                try:
                    self.violation = self._check_user_frame(frame)
                except Exception:  # noqa: BLE001  (an error here would end profiling; skip it)
                    pass
        elif event == "c_call":
            module_name = getattr(arg, "__module__", None)
            owner = getattr(arg, "__self__", None)
            if module_name is None and isinstance(owner, types.ModuleType):
                module_name = owner.__name__
            if _is_forbidden(module_name):
                self.violation = f"calls {module_name}.{arg.__name__}" + self._where(frame)

    def __enter__(self):
        self._previous = sys.getprofile()
        self._gc_was_enabled = gc.isenabled()
        gc.disable()  # no finalizers of unrelated (e.g. Keras) objects run inside the block
        sys.setprofile(self._profile)
        return self

    def __exit__(self, exc_type, error, traceback):
        sys.setprofile(self._previous)
        if self._gc_was_enabled:
            gc.enable()
        if self.violation is not None:
            raise CheckFailed(
                f"{self.name} must use NumPy only, but it {self.violation}. Rewrite it with "
                "NumPy functions such as np.exp, np.maximum and np.where."
            ) from None
        return False
