"""Which names a cell reads from outside itself (static analysis, no code runs).

The grader runs a test cell in its own namespace; before it does, it fetches from the
student process the names the cell needs and does not define itself.

Examples
--------
>>> sorted(needed_names("x = f(x)\\ny = x + 1"))
['f', 'x']
>>> sorted(needed_names("model = build()\\nprint(model.layers)"))
['build', 'print']
>>> sorted(needed_names("def helper(a):\\n    return g(a) + k\\nk = 2\\nhelper(data)"))
['data', 'g']
>>> sorted(needed_names("[f(v) for v in values]"))
['f', 'values']
>>> sorted(needed_names("def names(model):\\n    return [layer.name for layer in model.layers]"))
[]
"""

from __future__ import annotations

import ast
import symtable

__all__ = ["bound_names", "mentioned_names", "needed_names"]

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _binding(node):
    """Names a top-level statement binds in the module namespace."""
    names = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(node.name)
    for child in _walk_scope(node):  # (the statement itself first)
        if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            names.add(child.id)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            for alias in child.names:
                names.add((alias.asname or alias.name).partition(".")[0])
        elif isinstance(child, ast.Global):
            names.update(child.names)
    return names


def _walk_scope(node):
    """The nodes of ``node`` that run in the enclosing scope (not function or class bodies)."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        if isinstance(current, _SCOPES) and current is not node:
            # decorators, default values and base classes are evaluated where they stand
            todo.extend(getattr(current, "decorator_list", []))
            if isinstance(current, ast.ClassDef):
                todo.extend(current.bases + [k.value for k in current.keywords])
            else:
                todo.extend(current.args.defaults + [d for d in current.args.kw_defaults if d])
            continue
        if isinstance(current, _COMPREHENSIONS):
            todo.append(current.generators[0].iter)
            continue
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo.extend(current.decorator_list)
            continue
        todo.extend(ast.iter_child_nodes(current))


def _loads(node):
    return {
        child.id
        for child in _walk_scope(node)
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load)
    }


def _nested_globals(table):
    """Names that nested scopes (functions, lambdas, comprehensions) look up globally."""
    found = set()
    for child in table.get_children():
        for symbol in child.get_symbols():
            # A free name belongs to an enclosing function (a comprehension reading a
            # parameter); only names looked up globally come from outside the cell.
            if symbol.is_referenced() and symbol.is_global():
                found.add(symbol.get_name())
        found |= _nested_globals(child)
    return found


def bound_names(source):
    """Every name a cell binds at its top level (assignments, defs, imports, loops)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return set().union(*map(_binding, tree.body))


def needed_names(source):
    """Names the cell reads before binding them, or never binds (builtins included).

    Raises
    ------
    SyntaxError
        When the cell is not valid Python.
    """
    tree = ast.parse(source)
    bound, needed = set(), set()
    for statement in tree.body:
        needed |= _loads(statement) - bound
        bound |= _binding(statement)
    nested = _nested_globals(symtable.symtable(source, "<cell>", "exec"))
    return needed | (nested - bound)


def mentioned_names(source):
    """Identifiers a cell mentions as strings (``"history" in globals()``, ``require("x")``).

    Examples
    --------
    >>> sorted(mentioned_names('require("history", "the autoencoder"); name = "conv1"'))
    ['conv1', 'history']
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.isidentifier()
    }
