"""`scoredsl lsp` end to end: the server runs as its own process, started the way an editor
starts it (`python -m scoredsl lsp`), and a real LSP client talks to it over stdio."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

import paths
from scoredsl.compiler.pipeline import check_file
from scoredsl.syntax.formatter import format_text

pytestmark = pytest.mark.asyncio


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "scoredsl", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(
            text_document=lsp.TextDocumentClientCapabilities(
                document_symbol=lsp.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=True),
                hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown])))))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def project(tmp_path):
    """The b2b example (schema, model, tour) in a folder of its own."""
    for name in ("schema.score", "model.score", "tour.score"):
        shutil.copy(paths.EXAMPLES / "b2b_saas" / name, tmp_path / name)
    return tmp_path


def uri(path: Path) -> str:
    return path.resolve().as_uri()


async def diagnostics_after(client: LanguageClient, path: Path, send) -> list[lsp.Diagnostic]:
    """Send a notification, then wait for the diagnostics of ``path`` it brings."""
    client.diagnostics.pop(uri(path), None)
    send()
    return await diagnostics_of(client, path)


async def diagnostics_of(client: LanguageClient, path: Path) -> list[lsp.Diagnostic]:
    """The diagnostics of ``path``, once the server has published them."""
    while uri(path) not in client.diagnostics:
        await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri(path)])


async def open_file(client: LanguageClient, path: Path, text: str | None = None) -> list[lsp.Diagnostic]:
    text = path.read_text("utf-8") if text is None else text
    return await diagnostics_after(client, path, lambda: client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri(path), language_id="scoredsl", version=1, text=text))))


async def replace_text(client: LanguageClient, path: Path, text: str, version: int) -> list[lsp.Diagnostic]:
    return await diagnostics_after(client, path, lambda: client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)])))


def position_of(text: str, needle: str, offset: int = 1, nth: int = 0) -> lsp.Position:
    """The position (UTF-16, from 0) ``offset`` characters into the nth occurrence of needle."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at)
    column = at - (text.rfind("\n", 0, at) + 1) + offset
    prefix = text.split("\n")[line][:column]
    return lsp.Position(line=line, character=len(prefix.encode("utf-16-le")) // 2)


def where(d: lsp.Diagnostic) -> tuple:
    return d.code, d.range.start.line + 1, d.range.start.character + 1


# ------------------------------------------------------------------ diagnostics

async def test_diagnostics_are_those_of_check(client: LanguageClient, tmp_path):
    """For every file of the diagnostics golden set: every diagnostic `scoredsl check` gives, with
    its code, line, column, message, hint and severity, and no other."""
    shutil.copytree(paths.TESTS / "diagnostics", tmp_path / "diagnostics")
    for path in sorted((tmp_path / "diagnostics").glob("*.score")):
        expected, _sources = check_file(path)
        shown = await open_file(client, path)
        mine = [d for d in expected if d.span is not None and Path(d.span.file).resolve() == path.resolve()]
        assert sorted(where(d) for d in shown if not d.message.startswith("in ")) == sorted(
            (d.code, d.span.line, d.span.column) for d in mine), path.name
        for d in shown:       # the same message and hint (the server runs in this folder too)
            match = next(e for e in expected if e.code == d.code and e.message in d.message)
            assert d.message.startswith(match.message) or d.message.startswith("in "), path.name
            assert d.severity == (lsp.DiagnosticSeverity.Error if match.is_error
                                  else lsp.DiagnosticSeverity.Warning), path.name
            if match.hint:
                assert d.message.endswith(f"hint: {match.hint}"), path.name


async def test_three_mistakes_at_once_and_fixed_as_you_type(client: LanguageClient, project):
    """`=` for `==`, a missing `=> +5`, a misspelt property: all three on opening, none once fixed."""
    path = project / "tour.score"
    good = path.read_text("utf-8")
    bad = (good.replace('persona == "job seeker"', 'persona = "job seeker"')
           .replace("rule phone_known: phone is set => +5", "rule phone_known: phone is set")
           .replace("industry in target_industries", "industy in target_industries"))
    assert bad.count("\n") == good.count("\n")
    shown = await open_file(client, path, bad)
    assert sorted(d.code for d in shown) == ["SD101", "SD101", "SD201"]
    lines = bad.split("\n")
    by_code = {(d.code, d.range.start.line): d for d in shown}
    missing_points = next(d for d in shown if "expected at the end of this line" in d.message)
    assert lines[missing_points.range.start.line].rstrip().endswith("phone is set")
    misspelt = next(d for d in shown if d.code == "SD201")
    assert lines[misspelt.range.start.line][misspelt.range.start.character:misspelt.range.end.character] == "industy"
    assert "did you mean 'industry'?" in misspelt.message
    assert len(by_code) == 3
    assert await replace_text(client, path, good, 2) == []


async def test_quick_fixes_write_what_the_hints_say(client: LanguageClient, project):
    """A misspelt name becomes the one "did you mean" names, '=' in a comparison becomes '=='."""
    path = project / "tour.score"
    good = path.read_text("utf-8")
    bad = good.replace('persona == "job seeker"', 'persona = "job seeker"').replace(
        "industry in target_industries", "industy in target_industries").replace(
        "count(email_open) == 0", "count(email_opne) == 0")
    shown = await open_file(client, path, bad)
    assert sorted(d.code for d in shown) == ["SD101", "SD201", "SD201"]
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(path)),
        range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=len(bad.split("\n")), character=0)),
        context=lsp.CodeActionContext(diagnostics=shown)))
    assert sorted(a.title for a in actions) == ["Change '=' to '=='", "Change 'email_opne' to 'email_open'",
                                                "Change 'industy' to 'industry'"]
    edits = sorted((e for a in actions for e in a.edit.changes[uri(path)]),
                   key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    lines = bad.split("\n")
    for edit in edits:       # one line each, applied from the end
        line = lines[edit.range.start.line]
        lines[edit.range.start.line] = (line[:edit.range.start.character] + edit.new_text
                                        + line[edit.range.end.character:])
    assert "\n".join(lines) == good
    assert await replace_text(client, path, good, 2) == []


async def test_a_change_to_a_shared_schema_checks_the_models_that_include_it(client: LanguageClient, project):
    model, schema = project / "model.score", project / "schema.score"
    assert await open_file(client, model) == []
    schema_text = schema.read_text("utf-8")
    client.diagnostics.pop(uri(model), None)
    assert await open_file(client, schema) == []        # included by the models: no "no model" (SD220)
    await diagnostics_of(client, model)                 # opening the schema checks the model again
    client.diagnostics.pop(uri(model), None)
    await replace_text(client, schema, re.sub(r"\n    job_title: .*", "", schema_text), 2)
    assert {d.code for d in await diagnostics_of(client, model)} == {"SD201"}
    # the open (unsaved) schema is what the model is checked against, not the file on disk
    assert "job_title: text" in schema.read_text("utf-8")


async def test_a_mistake_in_an_included_file_shows_on_the_include(client: LanguageClient, project):
    schema = project / "schema.score"
    schema.write_text(schema.read_text("utf-8").replace("job_title: text", "job_title: txt"), "utf-8")
    model = project / "model.score"
    shown = await open_file(client, model)
    expected, _sources = check_file(model)
    assert sorted(d.code for d in shown) == sorted(d.code for d in expected)
    unknown_type = next(d for d in shown if d.code == "SD311")    # then each use of job_title is unknown
    line = model.read_text("utf-8").split("\n")[unknown_type.range.start.line]
    assert line.startswith('include "schema.score"')
    assert unknown_type.message.startswith("in schema.score:") and "unknown type 'txt'" in unknown_type.message


async def test_a_schema_file_on_its_own_is_a_model_file_without_a_model(client: LanguageClient, tmp_path):
    path = tmp_path / "lonely.score"
    path.write_text("schema {\n  contact {\n    industry: text\n  }\n}\n", "utf-8")
    assert [d.code for d in await open_file(client, path)] == ["SD220"]


# ------------------------------------------------------------------ hover, definition, references

async def hover_text(client, path, text, needle, offset=1, nth=0) -> str | None:
    found = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=position_of(text, needle, offset, nth)))
    return found.contents.value if found is not None else None


async def test_hover(client: LanguageClient, project):
    path = project / "tour.score"
    text = path.read_text("utf-8")
    await open_file(client, path)
    # a constant's value
    assert 'let target_industries = ["software", "saas", "fintech"]' in await hover_text(
        client, path, text, "target_industries", nth=1)
    # a name's type
    assert "**contact property** `employees`: int" in await hover_text(client, path, text, "employees {")
    assert "`url` of event `page_view`: text" in await hover_text(client, path, text, 'url contains')
    # a band's edges
    band = await hover_text(client, path, text, "10..49", offset=3)
    assert "`10 <= employees <= 49` (both ends included) => **+5** points" in band
    # a rule's points and caps
    rule = await hover_text(client, path, text, "clicks:", offset=2)
    assert "+15 max 30 for each `email_click` event" in rule
    assert "caps: group `email`: max 30; score `engagement`: max 100" in rule
    # a score used in a tier
    assert "**score** `fit`" in await hover_text(client, path, text, "fit + engagement")


async def test_definition_and_references(client: LanguageClient, project):
    path = project / "tour.score"
    text = path.read_text("utf-8")
    schema = project / "schema.score"
    schema_lines = schema.read_text("utf-8").split("\n")
    await open_file(client, path)

    async def definition(needle, offset=1, nth=0):
        return await client.text_document_definition_async(lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=position_of(text, needle, offset, nth)))

    found = await definition("job_title matches")
    assert found.uri == uri(schema)
    assert schema_lines[found.range.start.line].strip().startswith("job_title: text")
    found = await definition("email_open,")
    assert found.uri == uri(schema) and "event email_open" in schema_lines[found.range.start.line]
    found = await definition("target_industries", nth=1)
    assert found.uri == uri(path) and found.range.start.line == text.split("\n").index(
        'let target_industries = ["software", "saas", "fintech"]')
    found = await definition('"schema.score"', offset=3)
    assert found.uri == uri(schema)

    used = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=position_of(text, "fit {", 1),
        context=lsp.ReferenceContext(include_declaration=False)))
    lines = text.split("\n")
    assert sorted(lines[r.range.start.line].strip()[:20] for r in used) == [
        "A1: fit >= 30 and en", "B1: fit >= 15", "tier lifecycle by fi"]


# ------------------------------------------------------------------ completion

async def labels(client, path, position) -> dict[str, lsp.CompletionItem]:
    found = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=position))
    items = found.items if isinstance(found, lsp.CompletionList) else found
    return {item.label: item for item in items}


async def test_completion(client: LanguageClient, project):
    path = project / "tour.score"
    text = path.read_text("utf-8")
    await open_file(client, path)
    typing = text.replace("    rule demo:", "    rule probe: count(page_view where u\n    rule demo:")
    await replace_text(client, path, typing, 2)
    line = typing.split("\n").index("    rule probe: count(page_view where u")
    inside_where = await labels(client, path, lsp.Position(line=line, character=len("    rule probe: count(page_view where u")))
    assert inside_where["url"].kind == lsp.CompletionItemKind.Field        # the event's attributes
    assert inside_where["job_title"].kind == lsp.CompletionItemKind.Property
    assert inside_where["target_industries"].kind == lsp.CompletionItemKind.Constant
    assert inside_where["within"].kind == lsp.CompletionItemKind.Keyword
    events = await labels(client, path, lsp.Position(line=line, character=len("    rule probe: count(")))
    assert {"email_open", "page_view", "form_submit"} <= set(events)
    assert "job_title" not in events
    top = await labels(client, path, lsp.Position(line=0, character=0))
    assert "url" not in top and "industry" in top and "has" in top and "model" in top


async def test_completion_of_an_include_path(client: LanguageClient, project):
    path = project / "new.score"
    path.write_text('include "', "utf-8")
    await open_file(client, path)
    found = await labels(client, path, lsp.Position(line=0, character=len('include "')))
    assert set(found) == {"model.score", "schema.score", "tour.score"}


# ------------------------------------------------------------------ formatting and symbols

async def test_formatting_is_fmt(client: LanguageClient, project):
    path = project / "messy.score"
    messy = ('include "schema.score"\nmodel m{score s{rule a:industry=="x"=>+1\n'
             'rule b : employees{<10=>-1;>=10=>+2}}}\n')
    path.write_text(messy, "utf-8")
    await open_file(client, path)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(path)),
        options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert len(edits) == 1 and edits[0].range.start == lsp.Position(line=0, character=0)
    assert edits[0].new_text == format_text(messy, str(path))
    # text that does not parse is left alone (the diagnostics say why)
    await replace_text(client, path, "model m { score s {", 2)
    assert await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(path)),
        options=lsp.FormattingOptions(tab_size=2, insert_spaces=True))) is None


async def test_document_symbols(client: LanguageClient, project):
    path = project / "tour.score"
    await open_file(client, path)
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(path))))

    def tree(items):
        return [(s.name, tree(s.children or [])) if s.children else s.name for s in items]

    assert [s.name for s in symbols] == ["target_industries", "b2b"]
    model = symbols[1]
    assert model.kind == lsp.SymbolKind.Module
    outline = tree(model.children)
    assert outline[:2] == ["customer", "employee"]
    assert outline[2] == ("fit", ["decision_maker", "industry", "company_size", "phone_known", "job_seeker"])
    assert outline[3] == ("engagement", ["decay inactivity",
                                         ("email", ["first_open", "clicks", "bounced", "ignoring"]),
                                         ("web", ["pricing", "visits"]), "demo"])
    assert outline[4:] == [("lifecycle", ["sql", "mql", "lead"]), ("priority", ["A1", "B1", "C3"])]


# ------------------------------------------------------------------ positions beyond ASCII

async def test_positions_are_utf16(client: LanguageClient, tmp_path):
    """A character outside the Basic Multilingual Plane is two UTF-16 units: ranges and hover
    positions count it so, as editors do."""
    path = tmp_path / "emoji.score"
    text = ('schema { contact { industry: text } }\nlet tag = "🚀🚀"\n'
            'model m { score s { rule r: "🚀" == industy => +1 } }\n')
    shown = await open_file(client, path, text)
    assert [d.code for d in shown] == ["SD201"]
    line = text.split("\n")[2]
    start = len(line[: line.index("industy")].encode("utf-16-le")) // 2
    assert (shown[0].range.start.character, shown[0].range.end.character) == (start, start + len("industy"))
    fixed = text.replace("industy", "industry")
    assert await replace_text(client, path, fixed, 2) == []
    assert "`industry`: text" in await hover_text(client, path, fixed, "industry =>", offset=3)
