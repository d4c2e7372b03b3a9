"""Test reports as text (with coverage), JSON and JUnit XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from scoredsl.data.values import iso
from scoredsl.modeltests.cases import SUFFIX
from scoredsl.modeltests.coverage import KIND_HEADERS, KINDS, Coverage
from scoredsl.modeltests.runner import Report


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
                out.extend(f"      {line}" for line in result.error.splitlines())
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
    header = ["coverage", *(KIND_HEADERS[k] for k in KINDS), "total", "%"]
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
                f"{case.subject}_id": case.contact.get("id"), "as_of": iso(case.as_of) if case.as_of else None,
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
