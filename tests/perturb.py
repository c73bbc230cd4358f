"""A reference solution that returns slightly wrong values, for the feedback-leak test.

:func:`perturbed_notebook` wraps every function a solution cell defines so that it prints
what the reference returns (``CKREC`` lines: the expected values of the tests that call it)
and returns a slightly different value, so every test that checks it fails and its failure
message is in the feedback. The test then searches the feedback for those expected values.
"""

import re

import nbformat

PERTURB = r'''
import functools as _ck_functools
import json as _ck_json

import numpy as _ck_np


def _ck_renderings(value):
    """Distinctive renderings of a value (what a leak of it would look like)."""
    found = []
    if isinstance(value, tuple | list):
        for item in value:
            found += _ck_renderings(item)
    elif isinstance(value, _ck_np.ndarray) and value.dtype.kind == "f" and value.size >= 2:
        found.append(" ".join(_ck_np.array2string(value, threshold=20, precision=6,
                                                    separator=", ").split()))
        for item in value.ravel()[:50]:
            if len(repr(float(item)).strip("-0.")) >= 6:
                found.append(repr(float(item)))
    elif isinstance(value, float | _ck_np.floating) and len(repr(float(value)).strip("-0.")) >= 6:
        found.append(repr(float(value)))
    return found


def _ck_perturb(value):
    if isinstance(value, tuple):
        return tuple(_ck_perturb(item) for item in value)
    if isinstance(value, list):
        return [_ck_perturb(item) for item in value]
    if isinstance(value, _ck_np.ndarray) and value.dtype.kind in "fc":
        return value + 0.375
    if isinstance(value, _ck_np.ndarray) and value.dtype.kind in "iu":
        return value + 1
    if isinstance(value, bool | _ck_np.bool_):
        return value
    if isinstance(value, float | _ck_np.floating):
        return value + 0.375
    if isinstance(value, int | _ck_np.integer):
        return value + 1
    return value


def _ck_wrap(function):
    @_ck_functools.wraps(function)
    def wrapper(*args, **kwargs):
        value = function(*args, **kwargs)
        print("CKREC " + _ck_json.dumps(_ck_renderings(value)))
        return _ck_perturb(value)

    return wrapper
'''


_KERAS = re.compile(r"keras|\.fit\(|Sequential|Model\(")


def perturbed_notebook(notebook, release):
    """The reference with its NumPy functions returning slightly wrong values.

    Solution cells that build or train Keras models get the released stub instead (their
    tests fail at once, with a message), which keeps this test to seconds per assignment.
    """
    stubs = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(release, as_version=4).cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and _KERAS.search(cell.source):
            cell.source = stubs.get(meta["grade_id"], cell.source)
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(PERTURB))
    for cell in nb.cells:
        if (
            cell.get("metadata", {}).get("nbgrader", {}).get("solution")
            and cell.cell_type == "code"
        ):
            names = re.findall(r"^def ([A-Za-z]\w*)\(", cell.source, flags=re.M)
            if names:
                cell.source += "\n\n" + "\n".join(f"{name} = _ck_wrap({name})" for name in names)
    return nb
