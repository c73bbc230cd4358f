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
    cell stays only when a kept test reads what it binds). It becomes the source of a course of
    its own; :func:`plan` packs the unit variants into submissions of that notebook as it
    packs the others, and the engine grades them as it grades students (the reference's own
    unit submission must get full marks, which proves the cut). A variant belongs here when
    its effect shows in its own cell's tests; a mutant whose tests need the training to run
    with it (a model that is not compiled, say) stays in the whole notebook.
"""

from __future__ import annotations

import copy
import importlib
import json
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
    effect reaches other cells' tests) get a submission of their own.
    """
    per_cell = {}
    units = set(getattr(module, "UNIT", ()))
    alone = {key for key in getattr(module, "ALONE", ()) if (key in units) == unit}
    for key, mutant in module.MUTANTS.items():
        if (key in units) == unit and key not in alone:
            per_cell.setdefault(mutant.cell, []).append(("mutant", key))
    for key, alternative in module.ALTERNATIVES.items():
        if (key in units) == unit:
            per_cell.setdefault(alternative.cell, []).append(("alternative", key))
    rounds = max((len(v) for v in per_cell.values()), default=0)
    submissions = []
    for index in range(rounds):
        submission = Submission(f"{'unit' if unit else 'round'}{index:02d}")
        for cell, variants in sorted(per_cell.items()):
            if index < len(variants):
                kind, key = variants[index]
                submission.variants[cell] = (kind, key)
                if kind == "mutant":
                    submission.expected_failures |= expected_failures(module, key)
        submissions.append(submission)
    for key in sorted(alone):
        submission = Submission(f"{'unit_' if unit else ''}alone_{key}")
        submission.variants[module.MUTANTS[key].cell] = ("mutant", key)
        submission.expected_failures = expected_failures(module, key)
        submissions.append(submission)
    return submissions


def notebook_of(assignment, module, submission, notebook=None):
    """The reference notebook (or ``notebook``) with the submission's variants applied."""
    notebook = notebook or reference(assignment)
    tables = {"mutant": module.MUTANTS, "alternative": module.ALTERNATIVES}
    for cell in notebook.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if _nbgrader(cell).get("solution") and grade_id in submission.variants:
            kind, key = submission.variants[grade_id]
            cell.source = variant_source(cell.source, tables[kind][key])
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
        # the reference's own unit submission proves that the cut keeps what the tests need
        units.insert(0, Submission("unit_reference"))
        source = unit_notebook(assignment, module)
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
        failing = set(row["failures"])
        for variant in row["variants"].values():
            kind, key = variant.split(":", 1)
            if kind == "mutant":
                lost = sorted(failing & expected_failures(module, key))
            else:  # an alternative is credited with the failures no mutant accounts for
                lost = sorted(failing - set(row["expected_failures"]))
            outcome[variant] = (lost, row["submission"], row["score"], row["max_score"])
    lines = [
        f"# Mutation suite of {assignment}",
        "",
        "Generated by tests/test_mutants.py (the suite is tests/mutants/"
        f"{assignment}.py): every variant is graded by the course's engine, several variants of",
        "independent cells per submission.",
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
