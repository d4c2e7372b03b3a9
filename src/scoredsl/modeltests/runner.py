"""Running test cases: each case's contact scored by the compiled model, compared with what
it expects; a :class:`Report` of every suite."""

from __future__ import annotations

import os
import time
from typing import Any, Iterable, Mapping, Sequence

import attrs

from scoredsl.check.ir import state_reads
from scoredsl.compiler.explain import Explanation, aggregate_lines, as_written, explain, explain_packed
from scoredsl.compiler.model import EvaluationError, Program
from scoredsl.compiler.python.packing import pack_events
from scoredsl.data.records import to_micros
from scoredsl.engines.companies import company_row, given_company
from scoredsl.modeltests.cases import Case, Expectation, Programs, RuleOutcome, Suite, discover, load_suite
from scoredsl.modeltests.coverage import Coverage


@attrs.frozen(kw_only=True)
class Mismatch:
    expectation: Expectation
    actual: Any                     # JSON-able
    shown: str                      # the actual value as people read it

    def describe(self) -> str:
        return f"{self.expectation.field}: expected {self.expectation.shown}, got {self.shown}"


@attrs.frozen(kw_only=True)
class CaseResult:
    case: Case
    outcome: str                    # "pass" | "fail" | "error"
    mismatches: tuple[Mismatch, ...] = ()
    result: Mapping | None = None   # status, reason, scores, tiers (as scoredsl run gives them)
    explanation: Explanation | None = None     # for a failed case
    error: str | None = None
    seconds: float = 0.0


@attrs.frozen(kw_only=True)
class SuiteResult:
    suite: Suite
    results: tuple[CaseResult, ...]
    deselected: int = 0


def run_case(case: Case, program: Program | None, coverage: Coverage | None = None,
             rules_file: str = "") -> CaseResult:
    """Evaluate one case: the fast evaluator's result and the explain evaluator's rule details
    against the case's expectations. An evaluation error is the case's error."""
    if case.error is not None or program is None:
        return CaseResult(case=case, outcome="error", error=case.error or "the rule file did not compile")
    model = program.models[case.model]
    started = time.perf_counter()
    company = None
    try:
        if model.subject == "company":
            company = _company_case(case, model)
            seen, packed, _members, _aggregates = company
            as_of = to_micros(case.as_of)
            row = company_row(model, seen["id"], model.evaluate_packed(seen, packed, as_of))
            status, _reason, _scores, _tiers, trace = model.trace_packed(seen, packed, as_of)
        else:
            seen = case.seen(model)
            row = model.evaluate(seen, case.events, case.as_of)
            status, _reason, _scores, _tiers, trace = model.trace(seen, case.events, case.as_of)
    except EvaluationError as exc:
        return CaseResult(case=case, outcome="error", error=str(exc), seconds=time.perf_counter() - started)
    if coverage is not None:
        coverage.record(rules_file, model, status, trace)
    rules = {rule.name: rule for score in model.ir.scores for rule in score.rules()}
    mismatches = []
    for expect in case.expectations:
        if expect.kind == "rule":
            actual = RuleOutcome(rules[expect.name], *trace["rules"][expect.name])
            if not expect.accepts(actual):
                mismatches.append(Mismatch(expectation=expect, actual=actual.to_json(), shown=actual.describe()))
            continue
        value = _actual(expect, row)
        if not expect.accepts(value):
            mismatches.append(Mismatch(expectation=expect, actual=value, shown=_shown_actual(expect, value, row)))
    result = {"status": row.status, "reason": row.reason, "scores": dict(row.scores), "tiers": dict(row.tiers)}
    explanation = None
    if mismatches and company is not None:
        record, packed, members, aggregates = company
        explanation = explain_packed(model, record, packed, to_micros(case.as_of), case.previous, members=members,
                                     aggregates=aggregates)
    elif mismatches:
        explanation = explain(model, case.attached(model), case.events, case.as_of, case.previous)
    return CaseResult(case=case, outcome="fail" if mismatches else "pass", mismatches=tuple(mismatches),
                      result=result, explanation=explanation, seconds=time.perf_counter() - started)


def _company_case(case: Case, model) -> tuple:
    """A company model's case: the company's record (its aggregates and previous values in), its
    contacts' events, its contacts' ids, and what each gave to each aggregate."""
    schema = model.program.schema
    members = [(contact, pack_events(events, schema)) for contact, events in case.members]
    records, packed, parts = given_company([model], case.company, members, to_micros(case.as_of))
    record = {**records[0], **{p.key: case.previous.get(p.label) for p in state_reads(model.ir)}}
    lines = aggregate_lines(model, record, [(contact, added[0]) for contact, added in parts],
                            as_written(model.program))
    return record, packed, tuple(contact["id"] for contact, _events in case.members), lines


def _actual(expect: Expectation, row) -> Any:
    if expect.kind == "status":
        return row.status
    if expect.kind == "reason":
        return row.reason
    return (row.scores if expect.kind == "score" else row.tiers)[expect.name]


def _shown_actual(expect: Expectation, value: Any, row) -> str:
    if value is None:
        if expect.kind in ("score", "tier") and row.status != "scored":
            subject = "contact" if row.company_id is None else "company"
            return f"nothing (the {subject} is {row.status.replace('_', ' ')})"
        return {"tier": "no label", "score": "no score"}.get(expect.kind, "none")
    return str(value)


@attrs.frozen(kw_only=True)
class Report:
    suites: tuple[SuiteResult, ...]
    coverage: Coverage

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for s in self.suites for r in s.results)

    @property
    def passed(self) -> int:
        return self.count("pass")

    @property
    def failed(self) -> int:
        return self.count("fail")

    @property
    def errors(self) -> int:
        """Cases that could not run, and test files that could not run at all."""
        return self.count("error") + sum(s.suite.error is not None for s in self.suites)

    @property
    def deselected(self) -> int:
        return sum(s.deselected for s in self.suites)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors

    def summary(self) -> str:
        parts = [f"{self.passed} passed", f"{self.failed} failed"]
        if self.errors:
            parts.append(f"{self.errors} error{'s' if self.errors != 1 else ''}")
        if self.deselected:
            parts.append(f"{self.deselected} deselected")
        files = len(self.suites)
        return f"{', '.join(parts)} ({files} test file{'s' if files != 1 else ''})"


def run_suites(suites: Sequence[Suite], *, match: str | None = None) -> Report:
    """Run every case (those whose name contains ``match``, ignoring case, when given)."""
    coverage = Coverage()
    results = []
    for suite in suites:
        if suite.program is not None:
            coverage.add(suite.rules, suite.program)
        ran, deselected = [], 0
        for case in suite.cases:
            if match is not None and match.casefold() not in case.name.casefold():
                deselected += 1
                continue
            ran.append(run_case(case, suite.program, coverage, suite.rules or ""))
        results.append(SuiteResult(suite=suite, results=tuple(ran), deselected=deselected))
    return Report(suites=tuple(results), coverage=coverage)


def run_paths(paths: Iterable[str | os.PathLike], *, match: str | None = None) -> Report:
    """Discover, load and run: what ``scoredsl test PATH...`` does."""
    programs = Programs()
    return run_suites([load_suite(p, programs) for p in discover(paths)], match=match)
