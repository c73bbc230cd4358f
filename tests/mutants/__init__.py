"""Mutation suites of the assignments: requirements, mutants and correct alternatives.

Each assignment has a module here (``tests/mutants/<assignment>.py``) with three tables:

``REQUIREMENTS``
    ``{key: Requirement(quote, tests)}``: a sentence of the student notebook that states a
    requirement (``quote`` must appear in the released notebook, Markdown or docstring, so
    the table follows the notebook), and the graded test cells that check it.
``MUTANTS``
    ``{key: Mutant(cell, requirement, ..., patch=[(old, new)] or source=...)}``: the reference
    solution of one solution cell with exactly one requirement violated, the way a student
    gets it wrong (a sign, an off-by-one, a missing clip, the wrong random draw...). It must
    lose the points of exactly the tests of its requirement (or ``fails``, when a violation
    shows in other tests too) and keep every other point.
``ALTERNATIVES``
    ``{key: Alternative(cell, source=...)}``: a correct solution written another way (another
    algorithm, loops instead of vectorised code, another valid API). It must get full marks.

:func:`plan` packs the variants into few submissions (each submission changes each solution
cell at most once; its expected failures are the union of its mutants'), and
:func:`grade` grades them with the course's own engine (``coursekit.grader.engine``, the
sandbox, the grader process), as a class is graded. ``tests/test_mutants.py`` runs it.

``UNIT`` (optional)
    Keys of mutants and alternatives graded in the *unit notebook* instead of the whole one:
    a training assignment's notebook takes a minute to grade, but a function's own tests do
    not need the training. :func:`unit_notebook` cuts the reference notebook down to the test
    cells of the solution cells these variants change (the graded test cells that name a name
    the solution cell binds, plus the tests the mutants are expected to fail) and the cells
    those tests need, found backwards from the names each cell reads and binds (a training
    cell stays only when a kept test reads what it binds). :func:`slotted_notebook` then gives
    every unit variant a *segment* of its own: a copy of its solution cell, and copies of the
    cells and tests it can change, under names and grade_ids of their own (``softmax`` is
    ``softmax__softmax__3`` in softmax's fourth segment, :func:`slot_id`). Two submissions of
    that notebook (one per worker of the engine) hold all the unit variants; the engine
    grades them as it grades students, and each variant must lose exactly its own copies of
    its tests. A variant belongs here when its effect shows in its own cell's tests; a mutant
    whose tests need the training to run with it (a model that is not compiled, say) stays in
    the whole notebook.
"""

from __future__ import annotations

import ast
import copy
import importlib
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from coursekit import course
from coursekit.grader import names

ROOT = course.REPO_ROOT
RESULTS = ROOT / "benchmarks" / "results" / "mutants"


@dataclass(frozen=True)
class Requirement:
    quote: str
    tests: tuple


@dataclass(frozen=True)
class Mutant:
    cell: str
    requirement: str
    patch: tuple = ()
    source: str | None = None
    fails: tuple | None = None  # default: the tests of the requirement
    why: str = ""


@dataclass(frozen=True)
class Alternative:
    cell: str
    source: str | None = None
    patch: tuple = ()
    why: str = ""


@dataclass
class Submission:
    name: str
    variants: dict = field(default_factory=dict)  # cell -> (kind, key)
    expected_failures: set = field(default_factory=set)
    expected: dict = field(default_factory=dict)  # cell -> the tests its mutant must fail

    def add(self, cell, kind, key, failures=()):
        self.variants[cell] = (kind, key)
        self.expected[cell] = set(failures)
        self.expected_failures |= set(failures)


def suite(assignment):
    """The module ``mutants.<assignment>`` (tests/mutants/<assignment>.py)."""
    return importlib.import_module(f"mutants.{assignment}")


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def reference(assignment):
    return nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)


def released(assignment):
    return nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)


def graded_tests(notebook):
    """``{grade_id: points}`` of the autograded test cells."""
    return {
        _nbgrader(c)["grade_id"]: float(_nbgrader(c).get("points", 0))
        for c in notebook.cells
        if _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")
    }


def solution_cells(notebook):
    return {
        _nbgrader(c)["grade_id"]: c.source
        for c in notebook.cells
        if _nbgrader(c).get("solution") and c.cell_type == "code"
    }


def variant_source(reference_source, variant):
    """The solution cell's source with the variant applied."""
    if variant.source is not None:
        return variant.source
    text = reference_source
    for old, new in variant.patch:
        if text.count(old) != 1:
            raise ValueError(
                f"patch {old!r} must match the reference solution exactly once, "
                f"found {text.count(old)} times"
            )
        text = text.replace(old, new)
    if text == reference_source:
        raise ValueError("a variant must change the reference solution")
    return text


def _variant(module, key):
    """``(kind, variant)`` of a mutant's or an alternative's key."""
    if key in module.MUTANTS:
        return "mutant", module.MUTANTS[key]
    return "alternative", module.ALTERNATIVES[key]


def cell_tests(notebook, cell):
    """The graded tests of solution cell ``cell``: those that read a name the cell binds.

    (Names read as code, not strings: ``build_mlp(..., activation="softmax")`` is not a test
    of ``softmax``.)
    """
    bound = names.bound_names(solution_cells(notebook)[cell])
    tests = [
        c for c in notebook.cells if _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")
    ]
    return [_nbgrader(c)["grade_id"] for c in tests if bound & names.needed_names(c.source)]


def unit_tests(assignment, module):
    """The graded tests of the unit notebook (``UNIT``, see the module docstring)."""
    notebook = reference(assignment)
    tests = set()
    for key in getattr(module, "UNIT", ()):
        kind, variant = _variant(module, key)
        tests |= set(cell_tests(notebook, variant.cell))
        if kind == "mutant":
            tests |= expected_failures(module, key)
    return tests


def unit_notebook(assignment, module, notebook=None):
    """``notebook`` (the reference) cut down to the unit tests and the cells they need."""
    notebook = notebook or reference(assignment)
    kept = unit_tests(assignment, module)
    wanted, cells = set(), []
    for cell in reversed(notebook.cells):
        if cell.cell_type != "code":
            continue
        meta = _nbgrader(cell)
        if meta.get("grade") and not meta.get("solution"):
            keep = meta["grade_id"] in kept
        else:
            keep = meta.get("grade_id") == "setup" or bool(names.bound_names(cell.source) & wanted)
        if keep:
            wanted |= names.needed_names(cell.source) | names.mentioned_names(cell.source)
            cells.append(cell)
    notebook.cells = cells[::-1]
    return notebook


def expected_failures(module, key):
    mutant = module.MUTANTS[key]
    return set(
        mutant.fails if mutant.fails is not None else module.REQUIREMENTS[mutant.requirement].tests
    )


def plan(module, *, unit=False):
    """Pack the mutants and alternatives into submissions of the whole (or the unit) notebook.

    Round ``k`` takes the ``k``-th variant (mutants first, then alternatives) of every solution
    cell, so a submission changes each cell at most once. Mutants marked in ``ALONE`` (whose
    effect reaches other cells' tests) get a submission of their own. The unit variants go
    into segments instead (:func:`slotted_notebook`, :func:`_plan_slots`).
    """
    if unit:
        return _plan_slots(module)
    per_cell = _variants_per_cell(module, unit=False)
    alone = set(getattr(module, "ALONE", ())) - set(getattr(module, "UNIT", ()))
    rounds = max((len(v) for v in per_cell.values()), default=0)
    submissions = []
    for index in range(rounds):
        submission = Submission(f"round{index:02d}")
        for cell, variants in sorted(per_cell.items()):
            if index < len(variants):
                kind, key = variants[index]
                submission.add(cell, kind, key, _failures(module, kind, key))
        submissions.append(submission)
    for key in sorted(alone):
        submission = Submission(f"alone_{key}")
        submission.add(module.MUTANTS[key].cell, "mutant", key, expected_failures(module, key))
        submissions.append(submission)
    return submissions


def _failures(module, kind, key):
    return expected_failures(module, key) if kind == "mutant" else set()


def _variants_per_cell(module, *, unit):
    """``{cell: [(kind, key), ...]}``: mutants first, then alternatives (ALONE ones left out)."""
    units = set(getattr(module, "UNIT", ()))
    alone = set(getattr(module, "ALONE", ()))
    per_cell = {}
    for key, mutant in module.MUTANTS.items():
        if (key in units) == unit and (unit or key not in alone):
            per_cell.setdefault(mutant.cell, []).append(("mutant", key))
    for key, alternative in module.ALTERNATIVES.items():
        if (key in units) == unit:
            per_cell.setdefault(alternative.cell, []).append(("alternative", key))
    return per_cell


# ---------------------------------------------------------------------------------------
# The slotted unit notebook: every unit variant in a segment of its own
# ---------------------------------------------------------------------------------------

UNIT_ROUNDS = 2  # unit submissions: one per worker of the engine's two


def slot_id(grade_id, cell, slot):
    """The grade_id of ``grade_id``'s copy in segment ``slot`` of solution cell ``cell``."""
    return f"{grade_id}__{cell}__{slot}"


def unslot(grade_id):
    """``(grade_id of the original cell, (cell, slot) or None)``: the inverse of slot_id."""
    parts = grade_id.split("__")
    if len(parts) == 3 and parts[2].isdigit():
        return parts[0], (parts[1], int(parts[2]))
    return grade_id, None


def _unit_rounds(module):
    per_cell = _variants_per_cell(module, unit=True)
    return min(UNIT_ROUNDS, max((len(v) for v in per_cell.values()), default=0))


def _slots(module):
    """``{cell: number of segments}``: a cell's variants spread over the unit submissions."""
    rounds = _unit_rounds(module)
    per_cell = _variants_per_cell(module, unit=True)
    return {cell: -(-len(variants) // rounds) for cell, variants in per_cell.items()}


def _plan_slots(module):
    """The unit submissions: segment ``j`` of cell ``c`` takes variant ``r * slots + j`` in
    submission ``r`` (the reference's solution where a cell has fewer variants)."""
    per_cell = _variants_per_cell(module, unit=True)
    slots = _slots(module)
    submissions = [Submission(f"unit{index:02d}") for index in range(_unit_rounds(module))]
    for index, submission in enumerate(submissions):
        for cell, variants in sorted(per_cell.items()):
            for slot in range(slots[cell]):
                position = index * slots[cell] + slot
                if position < len(variants):
                    kind, key = variants[position]
                    failures = {slot_id(t, cell, slot) for t in _failures(module, kind, key)}
                    submission.add(slot_id(cell, cell, slot), kind, key, failures)
    return submissions


def _is_test(cell):
    return bool(_nbgrader(cell).get("grade")) and not _nbgrader(cell).get("solution")


def _reads(cell):
    return names.needed_names(cell.source) | names.mentioned_names(cell.source)


def segment_cells(notebook, cell_id, extra_tests=()):
    """What a variant of solution cell ``cell_id`` can change: ``(cells, tests, reach)``.

    ``cells``: the other code cells (not tests) that compute from it, directly or through
    another cell (dense_forward calls softmax; ``maps = feature_map_model(...)``); ``tests``:
    the tests that read any name those cells bind, and those in ``extra_tests``; ``reach``:
    the names the cell and those cells bind. All in the notebook's order.
    """
    code = [c for c in notebook.cells if c.cell_type == "code"]
    target = next(c for c in code if _nbgrader(c).get("grade_id") == cell_id)
    reach, cells, grew = set(names.bound_names(target.source)), [], True
    while grew:
        grew = False
        for cell in code:
            if cell is target or _is_test(cell) or cell in cells or not _reads(cell) & reach:
                continue
            cells.append(cell)
            reach |= names.bound_names(cell.source)
            grew = True
    cells = [c for c in code if c in cells]
    tests = [
        c
        for c in code
        if _is_test(c) and (_reads(c) & reach or _nbgrader(c).get("grade_id") in extra_tests)
    ]
    return cells, tests, reach


_DEFINITION = re.compile(rb"(?:async\s+)?(?:def|class)\s+")
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def renamed(source, mapping):
    """``source`` with the names of ``mapping`` renamed where they are bound or read (names,
    parameters, definitions; not attributes or keyword arguments). The rest of the text,
    comments and markers included, stays as it is."""
    tree = ast.parse(source)
    lines = source.encode().split(b"\n")
    spans = []  # (line, start, end, new name): byte offsets, as ast gives them
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            spans.append((node.lineno, node.col_offset, node.end_col_offset, mapping[node.id]))
        elif isinstance(node, ast.arg) and node.arg in mapping:
            end = node.col_offset + len(node.arg.encode())
            spans.append((node.lineno, node.col_offset, end, mapping[node.arg]))
        elif isinstance(node, _DEFINITIONS) and node.name in mapping:
            start = _DEFINITION.match(lines[node.lineno - 1], node.col_offset).end()
            spans.append((node.lineno, start, start + len(node.name.encode()), mapping[node.name]))
        elif isinstance(node, ast.Global | ast.Nonlocal) and set(node.names) & set(mapping):
            raise ValueError(f"cannot rename {sorted(set(node.names) & set(mapping))} (global)")
    for line, start, end, new in sorted(spans, reverse=True):
        text = lines[line - 1]
        lines[line - 1] = text[:start] + new.encode() + text[end:]
    return b"\n".join(lines).decode()


_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def slotted_notebook(assignment, module):
    """The unit notebook with its tests moved into segments, one per unit variant.

    The engine runs the student's cells first and the tests after them, on the names the
    notebook left, so a segment has names of its own. Segment ``j`` of solution cell ``c``
    renames every name in the variant's reach (:func:`segment_cells`) to
    ``<name>__<c>__<j>``: a copy of ``c`` (grade_id ``slot_id(c, c, j)``, where a submission
    puts its variant, renamed by :func:`notebook_of`), renamed copies of the cells that
    compute from it and of the tests that read them (grade_ids from :func:`slot_id`). Each
    variant thus runs alone against its own copies of the tests, beside the reference's
    cells: one submission holds many, and no mutant can hide another's failures.
    """
    base = unit_notebook(assignment, module)
    notebook = copy.deepcopy(base)
    notebook.cells = [cell for cell in base.cells if not _is_test(cell)]
    solutions = {
        _nbgrader(c).get("grade_id"): c for c in base.cells if _nbgrader(c).get("solution")
    }
    counter = iter(range(1_000_000))

    def fresh(cell, grade_id=None, source=None):
        cell = copy.deepcopy(cell)
        cell["id"] = f"slot-{next(counter)}"
        cell.source = cell.source if source is None else source
        if grade_id is None:  # a plain cell (a copy of a solution has no markers left)
            cell.metadata.pop("nbgrader", None)
            cell.source = "\n".join(
                line for line in cell.source.splitlines() if line.strip() not in _MARKERS
            )
        else:
            cell.metadata["nbgrader"]["grade_id"] = grade_id
        return cell

    units = set(getattr(module, "UNIT", ()))
    for cell, count in sorted(_slots(module).items()):
        fails = set()
        for key, mutant in module.MUTANTS.items():
            if mutant.cell == cell and key in units:
                fails |= expected_failures(module, key)
        others, tests, reach = segment_cells(base, cell, fails)
        for slot in range(count):
            mapping = {name: slot_id(name, cell, slot) for name in sorted(reach)}
            copied = fresh(solutions[cell], slot_id(cell, cell, slot))
            copied.metadata["mutants"] = {"rename": mapping}
            notebook.cells.append(copied)
            for other in others:
                notebook.cells.append(fresh(other, source=renamed(other.source, mapping)))
            for test in tests:
                grade_id = slot_id(_nbgrader(test)["grade_id"], cell, slot)
                notebook.cells.append(fresh(test, grade_id, renamed(test.source, mapping)))
    return notebook


def notebook_of(assignment, module, submission, notebook=None):
    """The reference notebook (or ``notebook``) with the submission's variants applied."""
    notebook = notebook or reference(assignment)
    tables = {"mutant": module.MUTANTS, "alternative": module.ALTERNATIVES}
    for cell in notebook.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if _nbgrader(cell).get("solution") and grade_id in submission.variants:
            kind, key = submission.variants[grade_id]
            cell.source = variant_source(cell.source, tables[kind][key])
        if "rename" in cell.metadata.get("mutants", {}):  # a segment's copy (slotted_notebook)
            cell.source = renamed(cell.source, cell.metadata["mutants"]["rename"])
    return notebook


def _course_folder(folder, assignment, source):
    """A course folder whose source notebook of ``assignment`` is ``source``, released."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / assignment, folder / "solutions" / assignment)
    nbformat.write(source, folder / "solutions" / assignment / f"{assignment}.ipynb")
    course.release(assignment, course_dir=folder, release_dir=folder / "release")


def _submit(folder, assignment, student, notebook):
    target = folder / "submitted" / student / assignment
    target.mkdir(parents=True)
    nbformat.write(notebook, target / f"{assignment}.ipynb")


def _grade_course(assignment, module, folder, submissions, source, *, jobs):
    """Grade ``submissions`` of a course whose source notebook is ``source``: table rows."""
    from coursekit.grader import engine

    _course_folder(folder, assignment, source)
    for submission in submissions:
        notebook = notebook_of(assignment, module, submission, copy.deepcopy(source))
        _submit(folder, assignment, submission.name, notebook)
    results, _ = engine.autograde(assignment, course_dir=folder, jobs=jobs)
    by_student = {r.student: r for r in results}
    points = graded_tests(source)
    rows = []
    for submission in submissions:
        result = by_student[submission.name]
        rows.append(
            {
                "submission": submission.name,
                "variants": {
                    cell: f"{kind}:{key}" for cell, (kind, key) in submission.variants.items()
                },
                "expected_failures": sorted(submission.expected_failures),
                "failures": sorted(
                    test for test, (score, maximum) in result.tests.items() if score < maximum
                ),
                "score": result.score,
                "max_score": result.max_score,
                "flagged": result.flagged,
                "status": result.status,
                "seconds": round(result.seconds, 1),
                "all_tests": sorted(points),
            }
        )
    return rows


def grade(assignment, module, folder, *, jobs=2):
    """Grade every planned submission, of the whole and of the unit notebook, with the engine.

    Returns
    -------
    list of dict
        Per submission: its variants, the expected and the actual failing tests, the score,
        and the seconds the engine took to grade it.
    """
    folder, table = Path(folder), []
    whole = plan(module)
    if whole:
        table += _grade_course(
            assignment, module, folder / "whole", whole, reference(assignment), jobs=jobs
        )
    units = plan(module, unit=True)
    if units:
        # (the unit variants' alternatives, at least two per cell, prove that the cut keeps
        # what the tests need: they must get full marks there)
        source = slotted_notebook(assignment, module)
        table += _grade_course(assignment, module, folder / "unit", units, source, jobs=jobs)
    return table


def write_results(assignment, module, table):
    """``benchmarks/results/mutants/<assignment>.json`` and its Markdown tables.

    The requirements table lists every requirement the notebook states (quoted), the tests
    that check it and the mutants that violate it, with the tests each mutant lost. A
    submission packs variants of several cells; a failing test is credited to the mutant
    whose requirement names it (the grading test asserts that no other test failed).
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{assignment}.json").write_text(json.dumps(table, indent=1) + "\n")
    outcome = {}
    for row in table:
        for cell, variant in row["variants"].items():
            segment = unslot(cell)[1]  # (a unit variant's tests are its segment's copies)
            failing = {unslot(t)[0] for t in row["failures"] if unslot(t)[1] == segment}
            expected = {unslot(t)[0] for t in row["expected_failures"] if unslot(t)[1] == segment}
            kind, key = variant.split(":", 1)
            if kind == "mutant":
                lost = sorted(failing & expected_failures(module, key))
            else:  # an alternative is credited with the failures no mutant accounts for
                lost = sorted(failing - expected)
            outcome[variant] = (lost, row["submission"], row["score"], row["max_score"])
    lines = [
        f"# Mutation suite of {assignment}",
        "",
        "Generated by tests/test_mutants.py (the suite is tests/mutants/"
        f"{assignment}.py): every variant is graded by the course's engine, several variants of",
        "independent cells per whole-notebook submission, each unit variant in a segment of its",
        "own (in the JSON, its cell id ends in __<cell>__<segment>).",
        "",
        "## Requirements",
        "",
        "| requirement | the notebook says | tests | mutants (tests they lost) |",
        "|---|---|---|---|",
    ]
    for name, requirement in module.REQUIREMENTS.items():
        mutants = []
        for key, mutant in module.MUTANTS.items():
            if mutant.requirement == name:
                lost, _, _, _ = outcome.get(f"mutant:{key}", (["not graded"], "", 0, 0))
                mutants.append(f"`{key}` ({', '.join(lost) or 'none'})")
        quote = " ".join(requirement.quote.split()).replace("|", "\\|")
        lines.append(
            f"| {name} | {quote} | {', '.join(requirement.tests)} | {'; '.join(mutants)} |"
        )
    lines += [
        "",
        "## Correct alternatives",
        "",
        "| alternative | cell | tests it lost | submission |",
        "|---|---|---|---|",
    ]
    for key, alternative in module.ALTERNATIVES.items():
        lost, where, _, _ = outcome.get(f"alternative:{key}", (["not graded"], "?", 0, 0))
        lines.append(f"| `{key}` | `{alternative.cell}` | {', '.join(lost) or 'none'} | {where} |")
    (RESULTS / f"{assignment}.md").write_text("\n".join(lines) + "\n")
