"""Diagnostics are data: a stable code, a severity, a message, a span and a hint.

Every stage (parser, transformer, checker, lints, data loading) reports problems as
:class:`Diagnostic` values; the CLI sorts and renders them. Codes are stable and documented
in ``docs/diagnostics.md``:

* ``SD1xx`` syntax and lexical errors (parser, transformer)
* ``SD2xx`` names and includes (unknown or duplicate names)
* ``SD3xx`` types and values
* ``SD4xx`` model structure lints (bands, caps, tiers, decay)
"""

from __future__ import annotations

import enum
import json
from typing import Iterable, Sequence

import attrs


@attrs.frozen(kw_only=True)
class Span:
    """A region of a source file. Lines and columns are 1-based; ``end_column`` is exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, file: str, line: int, column: int) -> "Span":
        return cls(file=file, line=line, column=column, end_line=line, end_column=column + 1)

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@attrs.frozen(kw_only=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None = None
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        where = self.span.sort_key() if self.span else ("", 0, 0)
        return (*where, self.code)

    def to_json(self) -> dict:
        record: dict = {"code": self.code, "severity": self.severity.value,
                        "message": self.message, "hint": self.hint}
        if self.span is not None:
            record.update(file=self.span.file,
                          start={"line": self.span.line, "column": self.span.column},
                          end={"line": self.span.end_line, "column": self.span.end_column})
        return record


def error(code: str, message: str, span: Span | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code=code, severity=Severity.ERROR, message=message, span=span, hint=hint)


def warning(code: str, message: str, span: Span | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code=code, severity=Severity.WARNING, message=message, span=span, hint=hint)


class CompileError(Exception):
    """Raised when a rule file cannot be compiled; carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: "SourceMap | None" = None):
        self.diagnostics = sort(diagnostics)
        self.sources = sources or SourceMap()
        first = next((d for d in self.diagnostics if d.is_error), None)
        super().__init__(render_text(self.diagnostics[:1], self.sources) if first else "compile error")


def sort(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort by location (file, line, column) then code, dropping exact duplicates."""
    unique = {(d.sort_key(), d.message): d for d in diagnostics}
    return [unique[k] for k in sorted(unique)]


class SourceMap:
    """The text of every file read in a compilation, for rendering source lines."""

    def __init__(self) -> None:
        self._texts: dict[str, list[str]] = {}

    def add(self, file: str, text: str) -> None:
        self._texts[file] = text.splitlines()

    def line(self, file: str, line: int) -> str | None:
        lines = self._texts.get(file)
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]

    def texts(self) -> dict[str, str]:
        """Every file's text, by file name."""
        return {file: "\n".join(lines) for file, lines in self._texts.items()}


# ------------------------------------------------------------------ renderers

def render_text(diagnostics: Iterable[Diagnostic], sources: SourceMap) -> str:
    """``file:line:col: error[SD201]: message``, the source line, a caret, and the hint."""
    blocks = []
    for d in diagnostics:
        where = f"{d.span}: " if d.span else ""
        lines = [f"{where}{d.severity.value}[{d.code}]: {d.message}"]
        if d.span is not None:
            source = sources.line(d.span.file, d.span.line)
            if source is not None:
                gutter = f"{d.span.line:>4} | "
                lines.append(gutter + source.expandtabs(1))
                width = (d.span.end_column - d.span.column
                         if d.span.end_line == d.span.line else len(source) - d.span.column + 1)
                lines.append(" " * (len(gutter) + d.span.column - 1) + "^" * max(1, width))
        if d.hint:
            lines.append(f"  hint: {d.hint}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diagnostics], indent=2, ensure_ascii=False)


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(diagnostics: Iterable[Diagnostic]) -> str:
    """GitHub Actions workflow commands, so a pull request shows the error on its line."""
    out = []
    for d in diagnostics:
        kind = "error" if d.is_error else "warning"
        props = [f"title={_github_escape(d.code, property_value=True)}"]
        if d.span is not None:
            props = [f"file={_github_escape(d.span.file, property_value=True)}",
                     f"line={d.span.line}", f"col={d.span.column}",
                     f"endLine={d.span.end_line}", f"endColumn={d.span.end_column}", *props]
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        out.append(f"::{kind} {','.join(props)}::{_github_escape(message)}")
    return "\n".join(out)


def render_sarif(diagnostics: Iterable[Diagnostic], version: str = "") -> str:
    """SARIF 2.1.0, for code-scanning tools (GitHub code scanning, GitLab, Azure DevOps)."""
    diagnostics = list(diagnostics)
    codes = sorted({d.code for d in diagnostics})
    results = []
    for d in diagnostics:
        text = d.message + (f" (hint: {d.hint})" if d.hint else "")
        result: dict = {"ruleId": d.code, "ruleIndex": codes.index(d.code),
                        "level": "error" if d.is_error else "warning", "message": {"text": text}}
        if d.span is not None:
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": d.span.file.replace("\\", "/")},
                "region": {"startLine": d.span.line, "startColumn": d.span.column,
                           "endLine": d.span.end_line, "endColumn": d.span.end_column}}}]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "scoredsl", "version": version,
                                "rules": [{"id": c} for c in codes]}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """``did you mean 'employees'?`` for the closest candidate, if one is close enough."""
    import difflib

    match = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None
