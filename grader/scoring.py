"""Test outcomes → criteria → Result: credit, partial credit and what stays hidden."""

from __future__ import annotations

from grader.errors import GraderError
from grader.records import CollectedTest, Outcome, RunRecords
from grader.result import CriterionResult, Result, SubmissionInfo, TestOutcome
from grader.rubric import Criterion, LoadedRubric

NO_RECORD = Outcome("failed", "this test did not finish: the test run ended before it reported", 0.0)


def tests_by_criterion(loaded: LoadedRubric, collected: list[CollectedTest]) -> dict[str, list[CollectedTest]]:
    """Map each criterion to its tests; raise GraderError (exit 2) when the two don't fit together."""
    rubric = loaded.rubric
    by_criterion: dict[str, list[CollectedTest]] = {c.id: [] for c in rubric.criteria}
    selected_markers = {m for c in rubric.criteria for m in c.tests.markers}
    for test in collected:
        unknown = [m for m in test.criteria if m not in selected_markers]
        if unknown:
            raise GraderError(
                f"{loaded.path}: test {test.nodeid} is marked criterion({unknown[0]!r}), "
                "which no criterion's tests.markers names; fix the marker or the rubric"
            )
        owners = [c for c in rubric.criteria if c.tests.matches(test.nodeid, test.criteria)]
        if not owners:
            raise GraderError(
                f"{loaded.path}: test {test.nodeid} belongs to no criterion; mark it "
                "@pytest.mark.criterion(\"ID\") or add a tests.nodeids pattern that matches it"
            )
        for criterion in owners:
            by_criterion[criterion.id].append(test)
    for criterion in rubric.criteria:
        if not by_criterion[criterion.id]:
            raise GraderError(
                f"{loaded.criterion_where(criterion.id)}: criteria ({criterion.id}).tests: "
                "selects no test of the exercise; check the marker ids and node-id patterns"
            )
    return by_criterion


def score(
    loaded: LoadedRubric,
    records: RunRecords,
    *,
    submission: SubmissionInfo,
    sandbox: str,
    duration: float,
    errors: list[str] | None = None,
) -> Result:
    """Build the Result. An app that could not start scores 0, its start error said once (errors[0])."""
    errors = list(errors or [])
    by_criterion = tests_by_criterion(loaded, records.collected)
    criteria = [
        _criterion_result(c, by_criterion[c.id], records) for c in loaded.rubric.criteria
    ]
    status = "graded"
    if records.app_error:
        status = "error"
        errors.insert(0, f"the app could not start: {records.app_error}")
        # Every test failed for that one reason: say it once, not under each test of each criterion.
        for result in criteria:
            result.points, result.status, result.feedback = 0, "fail", None
            for test in result.tests:
                test.message = None
    return Result(
        exercise=loaded.rubric.exercise,
        submission=submission,
        status=status,
        score=round(sum(c.points for c in criteria), 2),
        max_score=loaded.rubric.max_score,
        criteria=criteria,
        sandbox=sandbox,
        duration=duration,
        errors=errors,
    )


def ungradable(
    loaded: LoadedRubric,
    fault: str,
    *,
    submission: SubmissionInfo,
    sandbox: str,
    duration: float,
    errors: list[str] | None = None,
) -> Result:
    """The Result of a run the grader itself failed: no score, no criteria, the fault as errors[0]."""
    return Result(
        exercise=loaded.rubric.exercise,
        submission=submission,
        status="ungradable",
        score=None,
        max_score=loaded.rubric.max_score,
        criteria=[],
        sandbox=sandbox,
        duration=duration,
        errors=[fault, *(errors or [])],  # the status says whose fault it is
    )


def _criterion_result(criterion: Criterion, tests: list[CollectedTest], records: RunRecords) -> CriterionResult:
    outcomes = [records.outcomes.get(t.nodeid, NO_RECORD) for t in tests]
    passed = sum(o.outcome == "passed" for o in outcomes)
    if passed == len(tests):
        status, fraction = "pass", 1.0
    elif criterion.credit == "proportional" and passed:
        status, fraction = "partial", passed / len(tests)
    else:
        status, fraction = "fail", 0.0
    hidden_criterion = criterion.visibility == "hidden"
    shown: list[TestOutcome] = []
    hidden_count = 0
    for test, outcome in zip(tests, outcomes):
        if hidden_criterion or test.hidden:
            # Never the test's name, code or message: only that a hidden test passed or not.
            hidden_count += 1
            shown.append(TestOutcome(id=f"hidden test {hidden_count}", outcome=outcome.outcome, duration=outcome.duration))
        else:
            shown.append(TestOutcome(id=test.nodeid, outcome=outcome.outcome, message=outcome.message, duration=outcome.duration))
    return CriterionResult(
        id=criterion.id,
        title=criterion.title,
        points=round(criterion.points * fraction, 2),
        max_points=criterion.points,
        status=status,
        visibility=criterion.visibility,
        # A hidden criterion is its title and points, everywhere: no hint, no test names.
        feedback=None if status == "pass" or hidden_criterion else criterion.hint,
        tests=shown,
    )
