"""Test cases that live next to a model: ``*.test.toml`` files, run by ``scoredsl test``.

A test file names a rule file and lists cases: a contact, its events, an as-of instant, and
what the model must give (status, reason, scores, tiers, and what single rules did). The
format is documented in ``docs/testing.md``. The stages, each a function of the previous
one's output::

    discover(paths) -> load_suite(path) -> run_suites(suites) -> Report -> render_text / to_json / to_junit

A mistake in a test file (an unknown key, a misspelt rule, score, tier, label or event
type, a value that does not fit the schema) is an *error* naming the file, the case and the
field, never a silently passing case. Cases run on the compiled engine: the fast evaluator
gives the result (as ``scoredsl run`` would) and the explain evaluator gives what each rule
did, which also feeds rule :class:`Coverage`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import attrs

from scoredsl.check import ir
from scoredsl.data.records import STATUSES, DataError, Event, TypeSpec
from scoredsl.diagnostics import CompileError, Span, suggest as _close_match
from scoredsl.compiler.pipeline import compile_file
from scoredsl.compiler.model import Program
from scoredsl.compiler.model import CompiledModel
from scoredsl.compiler.model import EvaluationError
from scoredsl.compiler.explain import Explanation, explain
from scoredsl.data.values import iso
from scoredsl.data.values import parse_datetime, parse_json_value

__all__ = ["SUFFIX", "SuiteError", "Expectation", "Case", "Suite", "Programs", "Mismatch", "CaseResult",
           "SuiteResult", "Report", "Coverage", "ModelCoverage", "Item", "discover", "load_suite",
           "run_case", "run_suites", "run_paths", "parse_offset", "render_text", "render_coverage",
           "to_json", "to_junit"]

SUFFIX = ".test.toml"
TOP_KEYS = ("rules", "root", "model", "as_of", "case")
CASE_KEYS = ("name", "model", "as_of", "contact", "events", "expect", "expect_rules")
EVENT_KEYS = ("type", "at", "repeat", "every")
MAX_REPEAT = 10_000
POINTS_TOLERANCE = 0.005        # decayed rule points are compared to two decimals

_MINUTE = 60_000_000
UNITS = {"m": _MINUTE, "h": 60 * _MINUTE, "d": 1440 * _MINUTE, "w": 7 * 1440 * _MINUTE}
_OFFSET = re.compile(r"([+-]?)((?:[0-9]+[mhdw])+)", re.ASCII)
_OFFSET_PART = re.compile(r"([0-9]+)([mhdw])", re.ASCII)
_RANGE_CMP = re.compile(r"(>=|<=|>|<|==)\s*([+-]?[0-9]+)", re.ASCII)
_RANGE_SPAN = re.compile(r"([+-]?[0-9]+)\s*\.\.(<?)\s*([+-]?[0-9]+)", re.ASCII)
_CASE_HEADER = re.compile(r"\s*\[\[\s*case\s*\]\]\s*(#.*)?")


class SuiteError(Exception):
    """A mistake in a test file. ``field`` is where in the case (``contact.employees``,
    ``events[2].at``, ``expect_rules.demo``); the file and case are known to the caller."""

    def __init__(self, message: str, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


# ------------------------------------------------------------------ the parsed test file

@attrs.frozen(kw_only=True)
class Expectation:
    """One expected value of a case: ``kind`` is status, reason, score, tier or rule."""
    kind: str
    name: str                       # the score, tier or rule ("status"/"reason" for those)
    written: Any                    # as written in the test file (JSON output)
    shown: str                      # as people read it: "50", ">= 60", "matched", "band 50..199"
    accepts: Callable[[Any], bool] = attrs.field(eq=False, repr=False)

    @property
    def field(self) -> str:
        return f"rule {self.name}" if self.kind == "rule" else self.name


@attrs.frozen(kw_only=True)
class Case:
    name: str
    index: int                      # 1-based position in its file
    line: int | None
    model: str | None = None
    as_of: dt.datetime | None = None
    contact: Mapping[str, Any] = attrs.field(factory=dict)
    events: tuple[Event, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    error: str | None = None        # why the case cannot run: a mistake in the test file


@attrs.define
class Suite:
    """One test file, loaded. ``error`` set: nothing in it can run (``cases`` is empty)."""
    path: Path
    file: str                       # the path as reports show it
    rules: str | None = None        # the rule file, as reports show it
    program: Program | None = None
    cases: list[Case] = attrs.field(factory=list)
    error: str | None = None
    compile_error: CompileError | None = None


class Programs:
    """Compiled rule files, each compiled once however many test files name it."""

    def __init__(self, compile: Callable[..., Program] = compile_file):
        self._compile = compile
        self._cache: dict[tuple[str, str | None], Program | CompileError] = {}

    def get(self, path: Path, root: Path | None) -> Program:
        key = (str(path.resolve()), None if root is None else str(root.resolve()))
        if key not in self._cache:
            try:
                self._cache[key] = self._compile(path, root=root)
            except CompileError as exc:
                self._cache[key] = exc
        found = self._cache[key]
        if isinstance(found, CompileError):
            raise found
        return found


def discover(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The test files named by ``paths``: files as given, directories searched recursively for
    ``*.test.toml`` (hidden directories skipped). Sorted per directory, without duplicates."""
    found: dict[Path, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*" + SUFFIX)
                             if p.is_file() and not any(part.startswith(".") and part not in (".", "..")
                                                        for part in p.relative_to(path).parts[:-1]))
        else:
            matches = [path]
        for match in matches:
            found.setdefault(match.resolve(), match)
    return list(found.values())


def load_suite(path: str | os.PathLike, programs: Programs | None = None) -> Suite:
    """Read and check one test file against its compiled rule file (never raises for a
    mistake in the file: it is recorded on the suite or on the case)."""
    path = Path(path)
    suite = Suite(path=path, file=_display(path))
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        suite.error = f"cannot read the test file: {exc.strerror or exc}"
        return suite
    except UnicodeDecodeError as exc:
        suite.error = f"cannot read the test file: not UTF-8 ({exc.reason} at byte {exc.start})"
        return suite
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        suite.error = f"not valid TOML: {exc}"
        return suite
    try:
        header = _header(data, path, suite, programs or Programs())
    except SuiteError as exc:
        suite.error = str(exc)
        return suite
    lines = _case_lines(text, len(data["case"]))
    seen: dict[str, int] = {}
    for index, raw in enumerate(data["case"], 1):
        line = lines[index - 1] if lines else None
        name = raw.get("name") if isinstance(raw, dict) else None
        label = name if isinstance(name, str) and name.strip() else f"case {index}"
        try:
            case = _case(raw, index, line, header, suite.program)
            if case.name in seen:
                raise SuiteError(f"another case (number {seen[case.name]}) has the same name", "name")
            seen[case.name] = index
        except SuiteError as exc:
            case = Case(name=label, index=index, line=line, error=str(exc))
        suite.cases.append(case)
    return suite


@attrs.frozen
class _Header:
    model: str | None
    as_of: dt.datetime | None


def _header(data: dict, path: Path, suite: Suite, programs: Programs) -> _Header:
    _no_unknown_keys(data, TOP_KEYS, "the top level of a test file")
    rules = data.get("rules")
    if rules is None:
        raise SuiteError('no rule file: add rules = "model.score" (relative to this file) at the top')
    if not isinstance(rules, str) or not rules.strip():
        raise SuiteError("must be the path of a rule file, relative to this file", "rules")
    rules_path = Path(os.path.normpath(path.parent / rules))
    suite.rules = _display(rules_path)
    root = data.get("root")
    if root is not None and (not isinstance(root, str) or not root.strip()):
        raise SuiteError("must be a directory path, relative to this file", "root")
    root_path = Path(os.path.normpath(path.parent / root)) if root is not None else None
    as_of = _instant(data["as_of"], "as_of") if "as_of" in data else None
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise SuiteError("must be the name of a model", "model")
    cases = data.get("case")
    if cases is None:
        raise SuiteError("no cases: add [[case]] tables")
    if not isinstance(cases, list) or not cases:
        raise SuiteError("must be an array of tables: write each case as [[case]]", "case")
    if root_path is not None and not root_path.is_dir():
        raise SuiteError(f"{_display(root_path)} is not a directory", "root")
    try:
        suite.program = programs.get(rules_path, root_path)
    except CompileError as exc:
        suite.compile_error = exc
        errors = sum(d.is_error for d in exc.diagnostics)
        raise SuiteError(f"{suite.rules} does not compile ({errors} error{'s' if errors != 1 else ''})",
                         "rules") from None
    if model is not None:
        _model_named(model, suite.program, "model")
    return _Header(model=model, as_of=as_of)


def _case_lines(text: str, count: int) -> list[int] | None:
    """The line of each ``[[case]]`` header, when every case is written that way."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if _CASE_HEADER.fullmatch(line)]
    return lines if len(lines) == count else None


def _case(raw: Any, index: int, line: int | None, header: _Header, program: Program) -> Case:
    if not isinstance(raw, dict):
        raise SuiteError("a case must be a table: write it as [[case]]")
    _no_unknown_keys(raw, CASE_KEYS, "a case")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SuiteError('every case needs a name: name = "what the case shows"', "name")
    model_name = raw.get("model", header.model)
    if model_name is None:
        if len(program.models) != 1:
            raise SuiteError(f"the rule file has several models ({', '.join(program.models)}): "
                             'say which, with model = "..." in the case or at the top', "model")
        model = next(iter(program.models.values()))
    else:
        if not isinstance(model_name, str):
            raise SuiteError("must be the name of a model", "model")
        model = _model_named(model_name, program, "model")
    as_of = _instant(raw["as_of"], "as_of") if "as_of" in raw else header.as_of
    if as_of is None:
        raise SuiteError('no as-of instant: add as_of = "2026-11-01" at the top of the file or in the case',
                         "as_of")
    contact = _contact(raw.get("contact", {}), index, program)
    events = _events(raw.get("events", []), contact["id"], as_of, program)
    expectations = _expect(raw.get("expect", {}), model) + _expect_rules(raw.get("expect_rules", {}), model)
    if not expectations:
        raise SuiteError("the case checks nothing: add expect = {...} or expect_rules = {...}")
    return Case(name=name, index=index, line=line, model=model.name, as_of=as_of, contact=contact,
                events=events, expectations=expectations)


def _model_named(name: str, program: Program, field: str) -> CompiledModel:
    if name not in program.models:
        hint = _suggest(name, program.models)
        raise SuiteError(f"no model named '{name}'" + (f": {hint}" if hint else "")
                         + f" (the rule file defines {', '.join(program.models)})", field)
    return program.models[name]


def _no_unknown_keys(table: Mapping, allowed: Sequence[str], what: str) -> None:
    for key in table:
        if key not in allowed:
            hint = _suggest(key, allowed)
            raise SuiteError(f"unknown key in {what}" + (f": {hint}" if hint else "")
                             + f" (allowed: {', '.join(allowed)})", key)


def _suggest(name: Any, candidates: Iterable[str]) -> str | None:
    """``did you mean 'sql'?``: the same name in other letters' case (``SQL``), else the
    closest name, else a name that starts the other (``demo`` for ``demo_request``)."""
    if not isinstance(name, str):
        return None
    candidates = list(candidates)
    folded = [c for c in candidates if c.casefold() == name.casefold()]
    if folded:
        return f"did you mean '{folded[0]}'?"
    close = _close_match(name, candidates)
    if close:
        return close
    prefixed = [c for c in candidates if min(len(c), len(name)) >= 3
                and (c.casefold().startswith(name.casefold()) or name.casefold().startswith(c.casefold()))]
    return f"did you mean '{prefixed[0]}'?" if len(prefixed) == 1 else None


# ------------------------------------------------------------------ values and instants

def parse_offset(text: str) -> int | None:
    """A signed offset such as ``-5d``, ``+12h``, ``-1d12h`` in microseconds; ``None`` if
    ``text`` is not one. Units are the language's: m (minutes), h, d, w."""
    match = _OFFSET.fullmatch(text.strip())
    if match is None:
        return None
    sign, body = match.groups()
    micros = sum(int(n) * UNITS[unit] for n, unit in _OFFSET_PART.findall(body))
    if not sign and micros:
        return None
    return -micros if sign == "-" else micros


def _instant(value: Any, field: str) -> dt.datetime:
    """An ISO date or datetime, as a TOML string or a TOML date/datetime; aware, UTC."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError as exc:
            raise SuiteError(str(exc), field) from None
    raise SuiteError(f"{_show(value)} is not an ISO date or datetime (2026-11-01 or 2026-11-01T09:30:00Z)",
                     field)


def _at(value: Any, as_of: dt.datetime, field: str) -> dt.datetime:
    if isinstance(value, str):
        offset = parse_offset(value)
        if offset is not None:
            return as_of + dt.timedelta(microseconds=offset)
        if _OFFSET.fullmatch(value.strip()):
            raise SuiteError(f"{value!r} needs a sign: '-{value.strip()}' is before as_of, "
                             f"'+{value.strip()}' after", field)
        try:
            return parse_datetime(value)
        except ValueError:
            raise SuiteError(f"{value!r} is neither an offset from as_of (-5d, -12h, -2w, -45m, -1d12h) "
                             "nor an ISO date or datetime", field) from None
    return _instant(value, field)


def _typed(value: Any, spec: TypeSpec, field: str) -> Any:
    """A TOML value as the schema's type says (see :mod:`scoredsl.data.values`)."""
    if isinstance(value, (dt.date, dt.time)):  # TOML dates and times, dt.datetime included
        if spec.is_list or spec.base not in ("date", "datetime") or isinstance(value, dt.time):
            raise SuiteError(f"the TOML date/time {value.isoformat()} is not {_article(spec)}", field)
        value = value.isoformat()
    try:
        return parse_json_value(value, spec)
    except DataError as exc:
        raise SuiteError(exc.message.replace("JSON", "TOML"), field) from None


def _article(spec: TypeSpec) -> str:
    text = str(spec)
    return text if text == "text" else ("an " if text[0] in "aeiou" else "a ") + text


def _contact(raw: Any, index: int, program: Program) -> dict:
    if not isinstance(raw, dict):
        raise SuiteError("must be a table of property values: contact = { job_title = \"VP\" }", "contact")
    properties = program.schema.contact
    contact: dict = {"id": f"case-{index}"}
    for key, value in raw.items():
        field = f"contact.{key}"
        if key == "id":
            if not isinstance(value, str) or not value.strip():
                raise SuiteError("must be a non-empty string", field)
            contact["id"] = value
            continue
        spec = properties.get(key)
        if spec is None:
            hint = _suggest(key, [*properties, "id"])
            raise SuiteError("the schema declares no such contact property" + (f": {hint}" if hint else ""), field)
        contact[key] = _typed(value, spec, field)
    return contact


def _events(raw: Any, contact_id: str, as_of: dt.datetime, program: Program) -> tuple[Event, ...]:
    if not isinstance(raw, list):
        raise SuiteError('must be an array of events: events = [{ type = "page_view", at = "-1d" }]', "events")
    declared = program.schema.events
    events = []
    for number, item in enumerate(raw, 1):
        where = f"events[{number}]"
        if not isinstance(item, dict):
            raise SuiteError('an event is a table: { type = "page_view", at = "-1d", url = "/pricing" }', where)
        kind = item.get("type")
        if not isinstance(kind, str):
            raise SuiteError("every event needs a type, the name of an event the schema declares", where + ".type")
        attributes = declared.get(kind)
        if attributes is None:
            hint = _suggest(kind, declared)
            raise SuiteError(f"the schema declares no event '{kind}'" + (f": {hint}" if hint else "")
                             + " (an undeclared event would count for nothing)", where + ".type")
        if "at" not in item:
            raise SuiteError('every event needs a time: at = "-5d" (before as_of) or an ISO datetime', where + ".at")
        at = _at(item["at"], as_of, where + ".at")
        repeat = item.get("repeat", 1)
        if not isinstance(repeat, int) or isinstance(repeat, bool) or not 1 <= repeat <= MAX_REPEAT:
            raise SuiteError(f"must be a whole number from 1 to {MAX_REPEAT}", where + ".repeat")
        step = 0
        if "every" in item:
            step = parse_offset(item["every"]) if isinstance(item["every"], str) else None
            if step is None:
                raise SuiteError("must be a signed offset such as '-1d' (each copy a day earlier) or '+2h'",
                                 where + ".every")
        values = {}
        for key, value in item.items():
            if key in EVENT_KEYS:
                continue
            spec = attributes.get(key)
            if spec is None:
                names = [*attributes, *EVENT_KEYS]
                hint = _suggest(key, names)
                raise SuiteError(f"event '{kind}' has no attribute '{key}'" + (f": {hint}" if hint else "")
                                 + f" (it has: {', '.join(names)})", f"{where}.{key}")
            values[key] = _typed(value, spec, f"{where}.{key}")
        for copy in range(repeat):
            events.append(Event(contact_id=contact_id, type=kind,
                                timestamp=at + dt.timedelta(microseconds=step * copy), attrs=values))
    return tuple(events)


# ------------------------------------------------------------------ expectations

def _expect(raw: Any, model: CompiledModel) -> tuple[Expectation, ...]:
    if not isinstance(raw, dict):
        raise SuiteError('must be a table: expect = { status = "scored", fit = 50 }', "expect")
    tiers = {t.name: [e.label for e in t.entries] for t in model.ir.tiers}
    reasons = [d.name for d in model.ir.disqualifiers]
    found = []
    for key, value in raw.items():
        field = f"expect.{key}"
        if key == "status":
            if value not in STATUSES:
                raise SuiteError(f"{_show(value)} is not a status ({', '.join(STATUSES)})", field)
            found.append(_exactly("status", key, value))
        elif key == "reason":
            if value not in reasons:
                hint = _suggest(value, reasons)
                raise SuiteError(f"{_show(value)} is not a disqualifier of model '{model.name}'"
                                 + (f": {hint}" if hint else "")
                                 + f" ({', '.join(reasons) if reasons else 'it has none'})", field)
            found.append(_exactly("reason", key, value))
        elif key in model.score_names:
            found.append(_score_expectation(key, value, field))
        elif key in tiers:
            if value is False:
                found.append(Expectation(kind="tier", name=key, written=False, shown="no label",
                                         accepts=lambda actual: actual is None))
            elif value in tiers[key]:
                found.append(_exactly("tier", key, value))
            else:
                hint = _suggest(value, tiers[key])
                raise SuiteError(f"{_show(value)} is not a label of tier '{key}'" + (f": {hint}" if hint else "")
                                 + f" (labels: {', '.join(tiers[key])}; false for none)", field)
        else:
            names = ["status", "reason", *model.score_names, *tiers]
            hint = _suggest(key, names)
            raise SuiteError(f"model '{model.name}' has no score or tier '{key}'" + (f": {hint}" if hint else "")
                             + f" (expect may check: {', '.join(names)})", field)
    return tuple(found)


def _exactly(kind: str, name: str, value: str) -> Expectation:
    return Expectation(kind=kind, name=name, written=value, shown=value, accepts=lambda actual: actual == value)


def _score_expectation(name: str, value: Any, field: str) -> Expectation:
    """An exact integer, a range in the language's band syntax (``>= 60``, ``40..59``), or
    ``false``: no score (the contact is out of scope or disqualified)."""
    if value is False:
        return Expectation(kind="score", name=name, written=False, shown="no score",
                           accepts=lambda actual: actual is None)
    if isinstance(value, int) and not isinstance(value, bool):
        return Expectation(kind="score", name=name, written=value, shown=str(value),
                           accepts=lambda actual: actual == value)
    if isinstance(value, str):
        text = " ".join(value.split())
        match = _RANGE_CMP.fullmatch(text)
        if match:
            op, bound = match.group(1), int(match.group(2))
            test = {">=": bound.__le__, ">": bound.__lt__, "<=": bound.__ge__, "<": bound.__gt__,
                    "==": bound.__eq__}[op]
            return Expectation(kind="score", name=name, written=value, shown=f"{op} {bound}",
                               accepts=lambda actual: actual is not None and test(actual))
        match = _RANGE_SPAN.fullmatch(text)
        if match:
            low, exclusive, high = int(match.group(1)), match.group(2) == "<", int(match.group(3))
            if low > high or (exclusive and low == high):
                raise SuiteError(f"{value!r} is an empty range", field)
            return Expectation(kind="score", name=name, written=value,
                               shown=f"{low}..{'<' if exclusive else ''}{high}",
                               accepts=lambda actual: actual is not None and low <= actual
                               and (actual < high if exclusive else actual <= high))
    raise SuiteError(f"{_show(value)} is not a score: write an integer (50), a range "
                     "(\">= 60\", \"< 10\", \"40..59\", \"40..<60\") or false (no score)", field)


@attrs.frozen
class RuleOutcome:
    """What one rule did for the case: its points and its trace detail (matched True/False/None
    for condition rules, the band label or None for band rules, the event count for each rules)."""
    rule: Any
    points: int | float
    detail: Any

    @property
    def matched(self) -> bool:
        if isinstance(self.rule, ir.WhenRule):
            return self.detail is True
        if isinstance(self.rule, ir.BandRule):
            return self.detail is not None
        return self.detail > 0

    def describe(self) -> str:
        points = _points(self.points)
        if isinstance(self.rule, ir.WhenRule):
            return {True: f"matched ({points})", False: "not matched",
                    None: "unknown (a value is missing)"}[self.detail]
        if isinstance(self.rule, ir.BandRule):
            return "no band" if self.detail is None else f"band {self.detail} ({points})"
        return f"{self.detail} event{'' if self.detail == 1 else 's'} ({points})"

    def to_json(self) -> dict:
        return {"points": self.points, "matched": self.matched, "detail": self.detail}


def _expect_rules(raw: Any, model: CompiledModel) -> tuple[Expectation, ...]:
    if not isinstance(raw, dict):
        raise SuiteError("must be a table: expect_rules = { demo_request = 70, decision_maker = true }",
                         "expect_rules")
    rules = {rule.name: rule for score in model.ir.scores for rule in score.rules()}
    found = []
    for name, value in raw.items():
        field = f"expect_rules.{name}"
        rule = rules.get(name)
        if rule is None:
            hint = _suggest(name, rules)
            raise SuiteError(f"model '{model.name}' has no rule '{name}'" + (f": {hint}" if hint else ""), field)
        found.append(_rule_expectation(rule, value, field))
    return tuple(found)


def _rule_expectation(rule, value: Any, field: str) -> Expectation:
    def make(shown: str, accepts: Callable[[RuleOutcome], bool]) -> Expectation:
        return Expectation(kind="rule", name=rule.name, written=value, shown=shown, accepts=accepts)

    if isinstance(value, bool):
        return make("matched" if value else "not matched", lambda o: o.matched == value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return make(_points(value), lambda o: abs(o.points - value) <= POINTS_TOLERANCE)
    if isinstance(value, str):
        if isinstance(rule, ir.BandRule):
            label = _band_label(rule, value, field)
            return make(f"band {label}", lambda o: o.detail == label)
        if isinstance(rule, ir.WhenRule) and value == "unknown":
            return make("unknown", lambda o: o.detail is None)
    extra = {ir.WhenRule: ', or "unknown" (a value is missing)', ir.BandRule: ", or a band label"}.get(type(rule), "")
    raise SuiteError(f"{_show(value)} is not an expectation for rule '{rule.name}': write true (matched), "
                     f"false (not matched), the points it gives{extra}", field)


def _band_label(rule: ir.BandRule, value: str, field: str) -> str:
    """The band of ``rule`` that ``value`` names: its label as written, or the same label with
    other spacing, quotes or case (``50 .. 199``, ``redshift`` for ``"redshift"``)."""
    labels = [band.label for band in rule.bands]
    if value in labels:
        return value
    matches = [label for label in labels if _squash(label) == _squash(value)]
    if len(matches) == 1:
        return matches[0]
    hint = _suggest(value, labels)
    raise SuiteError(f"rule '{rule.name}' has no band {value!r}" + (f": {hint}" if hint else "")
                     + f" (bands: {'; '.join(labels)})", field)


def _squash(label: str) -> str:
    return re.sub(r'[\s"]', "", label).lower()


# ------------------------------------------------------------------ running

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


def run_case(case: Case, program: Program | None, coverage: "Coverage | None" = None,
             rules_file: str = "") -> CaseResult:
    """Evaluate one case: the fast evaluator's result and the explain evaluator's rule details
    against the case's expectations. An evaluation error is the case's error."""
    if case.error is not None or program is None:
        return CaseResult(case=case, outcome="error", error=case.error or "the rule file did not compile")
    model = program.models[case.model]
    started = time.perf_counter()
    try:
        row = model.evaluate(case.contact, case.events, case.as_of)
        status, _reason, _scores, _tiers, trace = model.trace(case.contact, case.events, case.as_of)
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
    explanation = explain(model, case.contact, case.events, case.as_of) if mismatches else None
    return CaseResult(case=case, outcome="fail" if mismatches else "pass", mismatches=tuple(mismatches),
                      result=result, explanation=explanation, seconds=time.perf_counter() - started)


def _actual(expect: Expectation, row) -> Any:
    if expect.kind == "status":
        return row.status
    if expect.kind == "reason":
        return row.reason
    return (row.scores if expect.kind == "score" else row.tiers)[expect.name]


def _shown_actual(expect: Expectation, value: Any, row) -> str:
    if value is None:
        if expect.kind in ("score", "tier") and row.status != "scored":
            return f"nothing (the contact is {row.status.replace('_', ' ')})"
        return {"tier": "no label", "score": "no score"}.get(expect.kind, "none")
    return str(value)


@attrs.frozen(kw_only=True)
class Report:
    suites: tuple[SuiteResult, ...]
    coverage: "Coverage"

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


# ------------------------------------------------------------------ coverage

KINDS = ("scope", "disqualifier", "rule", "band", "tier")
_KIND_HEADERS = {"scope": "scope", "disqualifier": "disqualify", "rule": "rules", "band": "bands",
                 "tier": "tiers"}


@attrs.frozen(kw_only=True)
class Item:
    """One thing a case can exercise. ``name`` is the scope side (in/out), disqualifier, rule,
    or the rule or tier a band or label belongs to; ``detail`` the band or label."""
    kind: str
    name: str
    detail: str | None = None
    span: Span
    counts_events: bool = False     # an ``each`` rule: covered when it counted an event

    @property
    def key(self) -> tuple:
        return (self.kind, self.name, self.detail)

    @property
    def location(self) -> str:
        return f"{self.span.file}:{self.span.line}"

    def describe(self) -> str:
        if self.kind == "scope":
            return "scope: no case was " + ("in scope" if self.name == "in" else "out of scope")
        if self.kind == "disqualifier":
            return f"disqualify {self.name}: never true"
        if self.kind == "rule":
            return f"rule {self.name}: " + ("never counted an event" if self.counts_events else "never matched")
        if self.kind == "band":
            return f"rule {self.name}, band {self.detail}: never hit"
        return f"tier {self.name}, label {self.detail}: never assigned"


@attrs.define
class ModelCoverage:
    file: str
    model: str
    items: list[Item]
    hit: set = attrs.field(factory=set)

    @property
    def covered(self) -> int:
        return sum(item.key in self.hit for item in self.items)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def percent(self) -> float:
        return _percent(self.covered, self.total)

    def by_kind(self, kind: str) -> tuple[int, int]:
        items = [item for item in self.items if item.kind == kind]
        return sum(item.key in self.hit for item in items), len(items)

    def uncovered(self) -> list[Item]:
        return [item for item in self.items if item.key not in self.hit]

    def to_json(self) -> dict:
        return {"file": self.file, "model": self.model, "covered": self.covered, "total": self.total,
                "percent": round(self.percent, 1),
                "kinds": {kind: dict(zip(("covered", "total"), self.by_kind(kind))) for kind in KINDS},
                "uncovered": [{"kind": i.kind, "name": i.name, "detail": i.detail, "file": i.span.file,
                               "line": i.span.line, "message": i.describe()} for i in self.uncovered()]}


class Coverage:
    """Which scopes, disqualifiers, rules, bands and tier labels the cases exercised, per model.

    * a scope is two items: some case in scope, some case out of scope (false or unknown);
    * a disqualifier: its condition was true in some case;
    * a condition rule: it matched (its condition was true); an ``each`` rule: it counted an event;
    * a band rule is one item per band: the band was hit;
    * a tier is one item per entry: its label was assigned to a scored contact.

    Rules, bands and disqualifiers count in every case, whatever its status (the explain
    evaluator computes them all, and ``expect_rules`` can check them); tier labels count only
    for scored contacts, the only ones that get one.
    """

    def __init__(self) -> None:
        self._models: dict[tuple[str, str], ModelCoverage] = {}

    def add(self, rules_file: str | None, program: Program) -> None:
        for model in program.models.values():
            key = (rules_file or "", model.name)
            if key not in self._models:
                self._models[key] = ModelCoverage(file=rules_file or "", model=model.name, items=_items(model.ir))

    def record(self, rules_file: str, model: CompiledModel, status: str, trace: Mapping) -> None:
        entry = self._models.get((rules_file, model.name))
        if entry is None:
            self.add(rules_file, model.program)
            entry = self._models[(rules_file, model.name)]
        hit = entry.hit
        if model.ir.scope is not None:
            hit.add(("scope", "in" if trace.get("scope") is True else "out", None))
        for name, value in trace["disqualifiers"]:
            if value is True:
                hit.add(("disqualifier", name, None))
        for score in model.ir.scores:
            for rule in score.rules():
                points, detail = trace["rules"][rule.name]
                if isinstance(rule, ir.BandRule):
                    if detail is not None:
                        hit.add(("band", rule.name, detail))
                elif RuleOutcome(rule, points, detail).matched:
                    hit.add(("rule", rule.name, None))
        if status == "scored":
            for tier, label in trace["tiers"].items():
                if label is not None:
                    hit.add(("tier", tier, label))

    @property
    def models(self) -> list[ModelCoverage]:
        return list(self._models.values())

    @property
    def covered(self) -> int:
        return sum(m.covered for m in self._models.values())

    @property
    def total(self) -> int:
        return sum(m.total for m in self._models.values())

    @property
    def percent(self) -> float:
        return _percent(self.covered, self.total)

    def below(self, minimum: float) -> bool:
        """Whether coverage is below ``minimum`` percent (compared exactly, not rounded)."""
        return self.covered * 100 < minimum * self.total

    def to_json(self) -> dict:
        return {"covered": self.covered, "total": self.total, "percent": round(self.percent, 1),
                "models": [m.to_json() for m in self._models.values()]}


def _items(model: ir.Model) -> list[Item]:
    items = []
    if model.scope is not None:
        items += [Item(kind="scope", name=side, span=model.scope.span) for side in ("in", "out")]
    items += [Item(kind="disqualifier", name=d.name, span=d.span) for d in model.disqualifiers]
    for score in model.scores:
        for rule in score.rules():
            if isinstance(rule, ir.BandRule):
                items += [Item(kind="band", name=rule.name, detail=b.label, span=b.span) for b in rule.bands]
            else:
                items.append(Item(kind="rule", name=rule.name, span=rule.span,
                                  counts_events=isinstance(rule, ir.EachRule)))
    for tier in model.tiers:
        items += [Item(kind="tier", name=tier.name, detail=e.label, span=e.span) for e in tier.entries]
    return items


def _percent(covered: int, total: int) -> float:
    return 100.0 if total == 0 else covered * 100 / total


# ------------------------------------------------------------------ text

def render_text(report: Report, *, coverage: bool = False) -> str:
    """One line per case (PASS, FAIL, ERROR); under a failure each mismatch and the explain
    table; then the coverage table when asked for, and the summary last."""
    out: list[str] = []
    for suite_result in report.suites:
        suite = suite_result.suite
        if suite.error is not None:
            out.append(f"ERROR {suite.file}: {suite.error}")
            continue
        for result in suite_result.results:
            case = result.case
            where = f"{suite.file}:{case.line}" if case.line else f"{suite.file} (case {case.index})"
            out.append(f"{result.outcome.upper():<5} {where}  {case.name}")
            if result.outcome == "error":
                out.append(f"      {result.error}")
            elif result.outcome == "fail":
                out.extend(f"      {m.describe()}" for m in result.mismatches)
                out.append("")
                out.extend(("        " + line).rstrip() for line in result.explanation.render().splitlines())
                out.append("")
    if coverage:
        out.append("")
        out.append(render_coverage(report.coverage))
    out.append("")
    out.append(report.summary())
    return "\n".join(out)


def render_coverage(coverage: Coverage) -> str:
    """A table per model (covered/total per kind of item, and the percentage), then every
    uncovered item at its rule-file line."""
    header = ["coverage", *(_KIND_HEADERS[k] for k in KINDS), "total", "%"]
    rows = []
    for m in coverage.models:
        cells = []
        for kind in KINDS:
            covered, total = m.by_kind(kind)
            cells.append(f"{covered}/{total}" if total else "-")
        rows.append([f"{m.model} ({m.file})", *cells, f"{m.covered}/{m.total}", f"{m.percent:.1f}%"])
    if len(rows) > 1:
        rows.append(["all models", *[""] * len(KINDS), f"{coverage.covered}/{coverage.total}",
                     f"{coverage.percent:.1f}%"])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
    uncovered = [(m, item) for m in coverage.models for item in m.uncovered()]
    if uncovered:
        lines.append("")
        lines.append("not covered:")
        width = max(len(item.location) for _, item in uncovered)
        for m, item in uncovered:
            lines.append(f"  {item.location:<{width}}  {m.model}: {item.describe()}")
    return "\n".join(lines)


# ------------------------------------------------------------------ JSON

def to_json(report: Report) -> dict:
    """The whole report as data: files, cases, mismatches, results, explanations, coverage."""
    files = []
    for suite_result in report.suites:
        suite = suite_result.suite
        record: dict = {"file": suite.file, "rules": suite.rules, "error": suite.error, "cases": []}
        if suite.compile_error is not None:
            record["diagnostics"] = [d.to_json() for d in suite.compile_error.diagnostics]
        for result in suite_result.results:
            case = result.case
            record["cases"].append({
                "name": case.name, "line": case.line, "model": case.model,
                "contact_id": case.contact.get("id"), "as_of": iso(case.as_of) if case.as_of else None,
                "outcome": result.outcome, "error": result.error,
                "mismatches": [{"field": m.expectation.field, "kind": m.expectation.kind,
                                "name": m.expectation.name, "expected": m.expectation.written,
                                "actual": m.actual, "message": m.describe()} for m in result.mismatches],
                "result": result.result,
                "explanation": result.explanation.to_json() if result.explanation else None,
            })
        files.append(record)
    return {"files": files,
            "summary": {"passed": report.passed, "failed": report.failed, "errors": report.errors,
                        "deselected": report.deselected, "files": len(report.suites), "ok": report.ok},
            "coverage": report.coverage.to_json()}


# ------------------------------------------------------------------ JUnit XML

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def to_junit(report: Report) -> str:
    """JUnit XML: one ``testsuite`` per test file, one ``testcase`` per case, a ``failure``
    (mismatches and the explain table) or an ``error`` (a mistake in the test file). A test
    file that cannot run at all is a suite with one errored case, so CI shows it."""
    tests = report.passed + report.failed + report.errors   # a file that cannot run is one errored case
    root = ET.Element("testsuites", name="scoredsl test", tests=str(tests), failures=str(report.failed),
                      errors=str(report.errors))
    total_time = 0.0
    for suite_result in report.suites:
        suite = suite_result.suite
        classname = _classname(suite.file)
        results = suite_result.results
        seconds = sum(r.seconds for r in results)
        total_time += seconds
        errors = sum(r.outcome == "error" for r in results) + (suite.error is not None)
        element = ET.SubElement(root, "testsuite", name=suite.file,
                                tests=str(len(results) + (suite.error is not None)),
                                failures=str(sum(r.outcome == "fail" for r in results)), errors=str(errors),
                                skipped="0", time=f"{seconds:.3f}")
        if suite.rules:
            properties = ET.SubElement(element, "properties")
            ET.SubElement(properties, "property", name="rules", value=suite.rules)
        if suite.error is not None:
            case = ET.SubElement(element, "testcase", name="(test file)", classname=classname, file=suite.file,
                                 time="0.000")
            _xml_text(ET.SubElement(case, "error", message=_xml_clean(suite.error), type="test file"), suite.error)
        for result in results:
            attributes = {"name": _xml_clean(result.case.name), "classname": classname, "file": suite.file}
            if result.case.line:
                attributes["line"] = str(result.case.line)
            case = ET.SubElement(element, "testcase", attributes, time=f"{result.seconds:.3f}")
            if result.outcome == "fail":
                message = "; ".join(m.describe() for m in result.mismatches)
                body = "\n".join(m.describe() for m in result.mismatches) + "\n\n" + result.explanation.render()
                _xml_text(ET.SubElement(case, "failure", message=_xml_clean(message), type="mismatch"), body)
            elif result.outcome == "error":
                _xml_text(ET.SubElement(case, "error", message=_xml_clean(result.error), type="test case"),
                          result.error)
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _classname(file: str) -> str:
    """``examples/b2b_saas/model.test.toml`` -> ``examples.b2b_saas.model`` (CI tools group by dots)."""
    stem = file[:-len(SUFFIX)] if file.endswith(SUFFIX) else file
    return ".".join(part for part in re.split(r"[\\/]", stem) if part not in ("", ".", ".."))


def _xml_clean(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def _xml_text(element: ET.Element, text: str) -> None:
    element.text = _xml_clean(text)


# ------------------------------------------------------------------ helpers

def _display(path: Path) -> str:
    if path.is_absolute():
        try:
            return os.path.relpath(path)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(path)
    return os.path.normpath(path)


def _points(value: int | float) -> str:
    if isinstance(value, float):
        value = round(value, 2)
        text = f"{value:.2f}".rstrip("0").rstrip(".")
    else:
        text = str(value)
    return text if text.startswith("-") or text == "0" else "+" + text


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (dict, list)):
        return "a table" if isinstance(value, dict) else "an array"
    return str(value)
