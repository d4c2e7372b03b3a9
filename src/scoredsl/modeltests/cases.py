"""Test files: ``*.test.toml`` cases that live next to a model, loaded and checked: ``*.test.toml`` files, run by ``scoredsl test``.

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

import contextlib
import datetime as dt
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import attrs

from scoredsl.check import ir
from scoredsl.check.ir import models_read
from scoredsl.compiler.model import CompiledModel, Program
from scoredsl.compiler.pipeline import compile_file
from scoredsl.data.companies import Companies
from scoredsl.data.records import COMPANY_ID, STATUSES, DataError, Event, TypeSpec
from scoredsl.data.values import parse_datetime, parse_json_value
from scoredsl.diagnostics import CompileError, suggest as _close_match

SUFFIX = ".test.toml"
TOP_KEYS = ("rules", "root", "model", "as_of", "case")
CASE_KEYS = ("name", "model", "as_of", "contact", "company", "contacts", "events", "previous", "expect",
             "expect_rules")
MEMBER_KEYS = ("contact", "events")
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


class _Problems:
    """Every mistake of one case, not only the first: each field is checked on its own."""

    def __init__(self) -> None:
        self.found: list[SuiteError] = []

    @contextlib.contextmanager
    def field(self):
        try:
            yield
        except SuiteError as exc:
            self.found.append(exc)

    def check(self) -> None:
        """Raise what was found: one mistake as it is, several as one error, a line each."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise SuiteError("\n".join(str(e) for e in self.found))


def _each(problems: "_Problems | None"):
    """Check one item of a field: its mistake is collected with ``problems`` (else raised)."""
    return problems.field() if problems is not None else contextlib.nullcontext()


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
    previous: Mapping[str, Any] = attrs.field(factory=dict)   # the previous run's scores and tiers
    expectations: tuple[Expectation, ...] = ()
    error: str | None = None        # why the case cannot run: a mistake in the test file
    #: the contact's company (``id`` and properties); ``None``: it has none. In a case of a
    #: company model: the company scored
    company: Mapping[str, Any] | None = None
    #: a case of a company model: the company's contacts, each with its events
    members: tuple[tuple[Mapping[str, Any], tuple[Event, ...]], ...] = ()
    subject: str = "contact"        # "company": a case of a company model

    def attached(self, model: CompiledModel) -> dict:
        """The contact with its company's values, when the schema declares companies."""
        schema = model.program.schema
        if schema.company is None:
            return dict(self.contact)
        records = {} if self.company is None else {self.company["id"]: self.company}
        return Companies(schema, records).attach(dict(self.contact))

    def seen(self, model: CompiledModel) -> dict:
        """The contact as the model's evaluator sees it, with its company's values and what the
        previous run recorded."""
        return {**self.attached(model), **{p.key: self.previous.get(p.label) for p in ir.state_reads(model.ir)}}


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
    if model.subject == "company":
        return _company_case(raw, name, index, line, model, as_of, program)
    if "contacts" in raw:
        raise SuiteError(f"contacts = [...] gives the contacts of a company, for a company model; model "
                         f"{model.name} scores one contact: give it contact = {{ ... }}", "contacts")
    problems = _Problems()
    contact: dict = {"id": f"case-{index}"}
    events: tuple = ()
    with problems.field():
        contact = _contact(raw.get("contact", {}), index, program, problems)
    company = None
    with problems.field():
        company = _company(raw.get("company"), index, program, problems)
        if company is not None:
            contact[COMPANY_ID] = company["id"]
    with problems.field():
        events = _events(raw.get("events", []), contact["id"], as_of, program, problems)
    previous, expectations = _checks(raw, model, problems)
    return Case(name=name, index=index, line=line, model=model.name, as_of=as_of, contact=contact,
                events=events, previous=previous, expectations=expectations, company=company)


def _company_case(raw: dict, name: str, index: int, line: int | None, model: CompiledModel, as_of: dt.datetime,
                  program: Program) -> Case:
    """A case of a company model: ``company = { ... }`` (the company scored) and ``contacts =
    [{ contact = { ... }, events = [...] }, ...]``, each contact of that company."""
    for key in ("contact", "events"):
        if key in raw:
            raise SuiteError(f"model {model.name} scores companies: a case gives the company (company = {{ ... }}) "
                             f"and its contacts (contacts = [{{ contact = {{ ... }}, events = [...] }}]), not {key}",
                             key)
    problems = _Problems()
    company: dict = {"id": f"case-{index}-company"}
    members: list = []
    with problems.field():
        company = _company(raw.get("company", {}), index, program, problems) or company
    with problems.field():
        members = _members(raw.get("contacts", []), index, company["id"], as_of, program, problems)
    previous, expectations = _checks(raw, model, problems)
    return Case(name=name, index=index, line=line, model=model.name, as_of=as_of, contact={"id": company["id"]},
                previous=previous, expectations=expectations, company=company, members=tuple(members),
                subject="company")


def _checks(raw: dict, model: CompiledModel, problems: "_Problems") -> tuple[dict, tuple[Expectation, ...]]:
    """A case's ``previous`` and its expectations; every mistake of the case is raised here."""
    previous: dict = {}
    expectations: tuple = ()
    with problems.field():
        previous = _previous(raw.get("previous", {}), model, problems)
    with problems.field():
        expectations += _expect(raw.get("expect", {}), model, problems)
    with problems.field():
        expectations += _expect_rules(raw.get("expect_rules", {}), model, problems)
    problems.check()
    if not expectations:
        raise SuiteError("the case checks nothing: add expect = {...} or expect_rules = {...}")
    return previous, expectations


def _members(raw: Any, index: int, company_id: str, as_of: dt.datetime, program: Program,
             problems: "_Problems | None" = None) -> list:
    if not isinstance(raw, list):
        raise SuiteError('must be an array of contacts: contacts = [{ contact = { job_title = "VP" } }]', "contacts")
    members = []
    for number, item in enumerate(raw, 1):
        with _each(problems):
            where = f"contacts[{number}]"
            if not isinstance(item, dict):
                raise SuiteError('a contact is a table: { contact = { job_title = "VP" }, events = [...] }', where)
            _no_unknown_keys(item, MEMBER_KEYS, f"{where}: a contact")
            properties = item.get("contact", {})
            if not isinstance(properties, dict):
                raise SuiteError('must be a table of property values: contact = { job_title = "VP" }',
                                 f"{where}.contact")
            contact = _record(properties, program.schema.contact, {"id": f"case-{index}-contact-{number}"},
                              f"{where}.contact", problems, noun="contact")
            contact[COMPANY_ID] = company_id
            events = _events(item.get("events", []), contact["id"], as_of, program, problems, prefix=f"{where}.")
            members.append((contact, events))
    return members


def _previous(raw: Any, model: CompiledModel, problems: "_Problems | None" = None) -> dict:
    """``previous = { lifecycle = "SQL", engagement = 90 }``: what the previous run recorded."""
    if not isinstance(raw, dict):
        raise SuiteError('must be a table of scores and tiers: previous = { lifecycle = "SQL" }', "previous")
    labels = {t.name: [e.label for e in t.entries] for t in model.ir.tiers}
    windowed = {p.label for p in ir.state_reads(model.ir) if p.window is not None}
    out = {}
    for name, value in raw.items():
        with _each(problems):
            field = f"previous.{name}"
            if name in model.score_names or name in windowed:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise SuiteError("a score is a whole number", field)
            elif name in labels:
                if value not in labels[name]:
                    hint = _suggest(str(value), labels[name]) if isinstance(value, str) else None
                    raise SuiteError(f"tier {name} has no label {value!r} (its labels: {', '.join(labels[name])})"
                                     + (f": {hint}" if hint else ""), field)
            else:
                hint = _suggest(name, [*model.score_names, *labels, *windowed])
                raise SuiteError(f"model {model.name} has no score or tier by that name" + (f": {hint}" if hint else ""),
                                 field)
            out[name] = value
    return out


def _model_named(name: str, program: Program, field: str) -> CompiledModel:
    if name not in program.models:
        hint = _suggest(name, program.models)
        raise SuiteError(f"no model named '{name}'" + (f": {hint}" if hint else "")
                         + f" (the rule file defines {', '.join(program.models)})", field)
    reads = models_read(program.models[name].ir) if program.models[name].subject == "contact" else ()
    if reads:
        raise SuiteError(f"model {name} reads the company score {reads[0]}.*, and a case scores one contact "
                         "without its company's contacts; check it with scoredsl run on a small source, or "
                         "scoredsl explain --contact ID", field)
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


def _contact(raw: Any, index: int, program: Program, problems: "_Problems | None" = None) -> dict:
    if not isinstance(raw, dict):
        raise SuiteError("must be a table of property values: contact = { job_title = \"VP\" }", "contact")
    return _record(raw, program.schema.contact, {"id": f"case-{index}"}, "contact", problems)


def _company(raw: Any, index: int, program: Program, problems: "_Problems | None" = None) -> dict | None:
    """``company = { industry = "SaaS", employees = 250 }``: the contact's company (its ``id``
    defaults to ``case-N-company``); without it the contact has none."""
    if raw is None:
        return None
    declared = program.schema.company
    if declared is None:
        raise SuiteError("the schema declares no company: add company { ... } to the schema, or remove this",
                         "company")
    if not isinstance(raw, dict):
        raise SuiteError('must be a table of company property values: company = { industry = "SaaS" }', "company")
    company = _record(raw, declared, {"id": f"case-{index}-company"}, "company", problems)
    company["id"] = company["id"].strip()      # as a source reads a company id
    return company


def _record(raw: dict, declared, record: dict, what: str, problems: "_Problems | None",
            noun: str | None = None) -> dict:
    """``record`` with the ``id`` and the typed property values of table ``raw``, each mistake
    named by its field (``contact.employees``, ``company.industri``)."""
    for key, value in raw.items():
        with _each(problems):
            field = f"{what}.{key}"
            if key == "id":
                if not isinstance(value, str) or not value.strip():
                    raise SuiteError("must be a non-empty string", field)
                record["id"] = value
                continue
            spec = declared.get(key)
            if spec is None:
                hint = _suggest(key, [*declared, "id"])
                raise SuiteError(f"the schema declares no such {noun or what} property" + (f": {hint}" if hint else ""),
                                 field)
            record[key] = _typed(value, spec, field)
    return record


def _events(raw: Any, contact_id: str, as_of: dt.datetime, program: Program,
            problems: "_Problems | None" = None, prefix: str = "") -> tuple[Event, ...]:
    if not isinstance(raw, list):
        raise SuiteError('must be an array of events: events = [{ type = "page_view", at = "-1d" }]',
                         prefix + "events")
    declared = program.schema.events
    events = []
    for number, item in enumerate(raw, 1):
        with _each(problems):
            where = f"{prefix}events[{number}]"
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

def _expect(raw: Any, model: CompiledModel, problems: "_Problems | None" = None) -> tuple[Expectation, ...]:
    if not isinstance(raw, dict):
        raise SuiteError('must be a table: expect = { status = "scored", fit = 50 }', "expect")
    tiers = {t.name: [e.label for e in t.entries] for t in model.ir.tiers}
    reasons = [d.name for d in model.ir.disqualifiers]
    found = []
    for key, value in raw.items():
        with _each(problems):
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


def _expect_rules(raw: Any, model: CompiledModel, problems: "_Problems | None" = None) -> tuple[Expectation, ...]:
    if not isinstance(raw, dict):
        raise SuiteError("must be a table: expect_rules = { demo_request = 70, decision_maker = true }",
                         "expect_rules")
    rules = {rule.name: rule for score in model.ir.scores for rule in score.rules()}
    found = []
    for name, value in raw.items():
        with _each(problems):
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
