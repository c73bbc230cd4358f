"""Hidden tests that are fair and sharp: every requirement is killed by a mutant, every
correct alternative gets full marks (the suites are in tests/mutants/).

The table checks read the notebooks only; the grading test grades every planned submission
with the course's engine (sandbox, grader process), as a class is graded, and writes which
tests each variant failed to benchmarks/results/mutants/.
"""

import re

import mutants
import pytest

from coursekit import course

ASSIGNMENTS = [
    a
    for a in course.list_assignments()
    if (mutants.ROOT / "tests" / "mutants" / f"{a}.py").is_file()
]


def _release_text(assignment):
    notebook = mutants.released(assignment)
    return "\n".join(cell.source for cell in notebook.cells)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_requirements_quote_the_notebook_and_name_real_tests(assignment):
    module = mutants.suite(assignment)
    text = " ".join(_release_text(assignment).split())
    tests = mutants.graded_tests(mutants.reference(assignment))
    for key, requirement in module.REQUIREMENTS.items():
        assert " ".join(requirement.quote.split()) in text, (
            f"{key}: quote not in the student notebook"
        )
        unknown = set(requirement.tests) - set(tests)
        assert requirement.tests and not unknown, f"{key}: unknown tests {unknown}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_requirement_has_a_mutant_and_every_test_a_requirement(assignment):
    module = mutants.suite(assignment)
    killed = {mutant.requirement for mutant in module.MUTANTS.values()}
    assert set(module.REQUIREMENTS) <= killed, (
        f"requirements without a mutant: {sorted(set(module.REQUIREMENTS) - killed)}"
    )
    assert killed <= set(module.REQUIREMENTS), (
        f"mutants of unknown requirements: {sorted(killed - set(module.REQUIREMENTS))}"
    )
    tested = {test for requirement in module.REQUIREMENTS.values() for test in requirement.tests}
    tests = set(mutants.graded_tests(mutants.reference(assignment)))
    assert tests <= tested, (
        f"graded tests that check no stated requirement: {sorted(tests - tested)}"
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_function_has_two_alternatives_and_variants_apply(assignment):
    module = mutants.suite(assignment)
    solutions = mutants.solution_cells(mutants.reference(assignment))
    graded_functions = {
        cell for cell, source in solutions.items() if re.search(r"^def \w+", source, re.M)
    }
    for cell in graded_functions:
        count = sum(alternative.cell == cell for alternative in module.ALTERNATIVES.values())
        assert count >= 2, f"{cell}: {count} correct alternatives, at least 2 needed"
    for table in (module.MUTANTS, module.ALTERNATIVES):
        for key, variant in table.items():
            assert variant.cell in solutions, f"{key}: no solution cell {variant.cell!r}"
            compile(mutants.variant_source(solutions[variant.cell], variant), key, "exec")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_mutant_is_hidden_by_another_in_its_submission(assignment):
    # A submission passes when its failures are the union of its mutants' tests: a mutant
    # whose tests another mutant of the same submission fails anyway would go unproven.
    # (In the unit submissions each variant has its own copies of the tests: see
    # mutants.slotted_notebook.)
    module = mutants.suite(assignment)
    for submission in mutants.plan(module) + mutants.plan(module, unit=True):
        for cell, (kind, key) in submission.variants.items():
            if kind != "mutant":
                continue
            others = set().union(*(v for c, v in submission.expected.items() if c != cell))
            own = submission.expected[cell] - others
            keys = sorted(k for c, (_, k) in submission.variants.items() if c != cell)
            assert own, f"{submission.name}: {key}'s tests all fail because of {keys}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_alternative_shares_a_submission_with_a_mutant_that_fails_its_tests(assignment):
    # An alternative is proven only on the tests no mutant of its submission is expected to
    # fail. Its cell's tests: those of the requirements whose mutants are all in that cell.
    module = mutants.suite(assignment)
    cells = {}
    for mutant in module.MUTANTS.values():
        cells.setdefault(mutant.requirement, set()).add(mutant.cell)
    cell_tests = {}
    for name, requirement in module.REQUIREMENTS.items():
        if len(cells.get(name, ())) == 1:
            cell_tests.setdefault(next(iter(cells[name])), set()).update(requirement.tests)
    for submission in mutants.plan(module) + mutants.plan(module, unit=True):
        for cell, (kind, key) in submission.variants.items():
            if kind == "alternative":
                base, segment = mutants.unslot(cell)
                tests = cell_tests.get(base, set())
                if segment is not None:  # the segment's own copies of the tests
                    tests = {mutants.slot_id(test, *segment) for test in tests}
                unproven = tests & submission.expected_failures
                assert not unproven, f"{submission.name}: {key} unproven on {sorted(unproven)}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_mutants_lose_exactly_their_tests_and_alternatives_get_full_marks(assignment, tmp_path):
    module = mutants.suite(assignment)
    table = mutants.grade(assignment, module, tmp_path)
    mutants.write_results(assignment, module, table)
    wrong = [
        f"{row['submission']} {row['variants']}: expected to fail {row['expected_failures']}, "
        f"failed {row['failures']} ({row['status']})"
        for row in table
        if row["failures"] != row["expected_failures"] or row["status"] != "graded"
    ]
    assert not wrong, "\n".join(wrong)
