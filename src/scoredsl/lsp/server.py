"""``scoredsl lsp``: the language server (Language Server Protocol over standard input/output).

Diagnostics as you type are those of ``scoredsl check`` (the same checker, codes, messages
and hints; plugin lints included), hover, go to definition, find references, completion,
formatting through ``scoredsl fmt``, and document symbols. What a name means comes from an
:class:`~scoredsl.lsp.outline.Outline` of the document's unit; this module translates
positions (the editor counts UTF-16 code units from 0, the parser characters from 1) and
messages, and keeps one outline per open document.

A file's includes are read from the editor's buffers when open there, else from disk; includes
must stay inside the project root, as for ``check``: the folder of ``scoredsl.toml`` when
there is one above the file, else the file's own folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import attrs
from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from scoredsl.compiler.pipeline import check_text
from scoredsl.data import config as project_config
from scoredsl.diagnostics import CompileError, Diagnostic, Span
from scoredsl.lsp.outline import Outline, Symbol
from scoredsl.syntax.formatter import format_text
from scoredsl.syntax.loader import TooLarge, display_path, read_rule_file


_SYMBOL_KINDS = {
    "schema": lsp.SymbolKind.Namespace, "contact": lsp.SymbolKind.Struct, "property": lsp.SymbolKind.Property,
    "event": lsp.SymbolKind.Event, "attribute": lsp.SymbolKind.Field, "constant": lsp.SymbolKind.Constant,
    "model": lsp.SymbolKind.Module, "score": lsp.SymbolKind.Function, "group": lsp.SymbolKind.Package,
    "rule": lsp.SymbolKind.Method, "tier": lsp.SymbolKind.Enum, "label": lsp.SymbolKind.EnumMember,
    "disqualifier": lsp.SymbolKind.Boolean, "scope": lsp.SymbolKind.Boolean, "decay": lsp.SymbolKind.Operator,
}
_COMPLETION_KINDS = {
    "property": lsp.CompletionItemKind.Property, "event": lsp.CompletionItemKind.Event,
    "attribute": lsp.CompletionItemKind.Field, "constant": lsp.CompletionItemKind.Constant,
    "score": lsp.CompletionItemKind.Variable, "tier": lsp.CompletionItemKind.Enum,
    "function": lsp.CompletionItemKind.Function, "keyword": lsp.CompletionItemKind.Keyword,
    "file": lsp.CompletionItemKind.File,
}
_INCLUDE = re.compile(r'^\s*include\s+"([^"\n]*)"', re.MULTILINE)


class ScoreServer(LanguageServer):
    """The server's state: the outline of each open document, and which files each one's
    check read (so that a change to a shared schema checks the models that include it again)."""

    def __init__(self, version: str) -> None:
        super().__init__("scoredsl", version, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.outlines: dict[str, Outline] = {}
        self.reads: dict[str, set[Path]] = {}

    # ------------------------------------------------------------ files
    def open_text(self, path: Path) -> str | None:
        """The editor's text of ``path`` when it is open there."""
        uri = from_fs_path(str(path))
        document = self.workspace.text_documents.get(uri) if uri else None
        return document.source if document is not None else None

    def read(self, path: Path) -> str:
        text = self.open_text(path)
        return text if text is not None else read_rule_file(path)

    def lines_of(self, file: str) -> list[str]:
        try:
            return self.read(Path(file)).split("\n")
        except (OSError, UnicodeDecodeError, TooLarge):
            return []

    # ------------------------------------------------------------ checking
    def check(self, uri: str) -> None:
        """Check an open document, publish its diagnostics and keep its outline."""
        document = self.workspace.get_text_document(uri)
        path = to_fs_path(uri)
        if path is None:
            return
        root = _root(Path(path))
        shown = display_path(Path(path))       # as `scoredsl check` run from here names it
        unit, found, sources = check_text(document.source, shown, root=root, read=self.read)
        self.reads[uri] = {Path(f).resolve() for f in sources.texts()}
        self.publish(uri, path, shown, found, root)
        if unit is not None:
            # what hover, definition and completion answer from; a file that does not parse
            # keeps the outline of its last version that did
            includes = {(inc.span.file, inc.span.line, inc.span.column):
                        os.path.normpath(os.path.join(os.path.dirname(file.path), inc.path))
                        for file in unit.files for inc in file.includes}
            try:
                self.outlines[uri] = Outline.of_unit(unit, _functions(), includes)
            except Exception as exc:     # never lose the diagnostics to a fault of the outline
                self.window_log_message(lsp.LogMessageParams(
                    type=lsp.MessageType.Error, message=f"scoredsl: no outline of {shown}: {type(exc).__name__}: {exc}"))

    def publish(self, uri: str, path: str, shown: str, found: list[Diagnostic], root: Path) -> None:
        """Send the diagnostics of a check: those of the document on their places, those of the
        files it includes on the include that brings them in."""
        document = self.workspace.get_text_document(uri)
        if any(d.code == "SD220" for d in found) and _included_elsewhere(Path(path), root, self):
            found = [d for d in found if d.code != "SD220"]    # a shared schema, as `check` treats it
        lines = document.lines
        diagnostics = []
        for d in found:
            span = d.span
            if span is None or Path(span.file).resolve() != Path(path).resolve():
                d, span = _brought_in(d, shown, document.source)
            diagnostics.append(lsp.Diagnostic(
                range=self.client_range(lines, span, document),
                message=d.message + (f"\nhint: {d.hint}" if d.hint else ""),
                severity=lsp.DiagnosticSeverity.Error if d.is_error else lsp.DiagnosticSeverity.Warning,
                code=d.code, source="scoredsl"))
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=document.version))

    def check_dependents(self, uri: str) -> None:
        """Check again every other open document whose last check read this one."""
        path = to_fs_path(uri)
        if path is None:
            return
        changed = Path(path).resolve()
        for other in list(self.workspace.text_documents):
            if other != uri and changed in self.reads.get(other, ()):
                self.check(other)

    # ------------------------------------------------------------ positions
    def client_range(self, lines, span: Span, document=None) -> lsp.Range:
        end_line = max(span.end_line, span.line)
        end_column = span.end_column if span.end_line >= span.line else span.column + 1
        server = ServerTextRange(start=ServerTextPosition(span.line - 1, max(span.column - 1, 0)),
                                 end=ServerTextPosition(end_line - 1, max(end_column - 1, 0)))
        codec = document.position_codec if document is not None else self.workspace.position_codec
        start = codec.position_to_client_units(lines, server.start)
        end = codec.position_to_client_units(lines, server.end)
        return lsp.Range(start=start, end=end)

    def location(self, span: Span) -> lsp.Location:
        return lsp.Location(uri=from_fs_path(str(Path(span.file).resolve())),
                            range=self.client_range(self.lines_of(span.file), span))

    def at(self, params) -> tuple[Outline, str, int, int] | None:
        """The outline of a request's document, and the position as :meth:`place` gives it."""
        place, outline = self.place(params), self.outlines.get(params.text_document.uri)
        if place is None or outline is None:
            return None
        return outline, *place[:3]

    def place(self, params) -> tuple[str, int, int, str] | None:
        """(file, line, column as the parser counts them, the line's text) of a request's position."""
        document = self.workspace.get_text_document(params.text_document.uri)
        path = to_fs_path(params.text_document.uri)
        if path is None:
            return None
        at = document.position_codec.position_from_client_units(document.lines, params.position)
        line = document.lines[at.line] if at.line < len(document.lines) else ""
        return display_path(Path(path)), at.line + 1, at.character + 1, line.rstrip("\r\n")


def _root(path: Path) -> Path:
    """Where includes must stay: the folder of scoredsl.toml above the file, else its folder."""
    found = project_config.find(path.parent)
    return found.parent if found is not None else path.parent


def _functions() -> dict:
    from scoredsl.plugins import manager

    try:
        return dict(manager.function_registry().entries)
    except Exception:  # a broken plugin: the language's own names still complete
        return {}


def _included_elsewhere(path: Path, root: Path, server: ScoreServer) -> bool:
    """Whether another rule file of the project includes ``path``."""
    target = path.resolve()
    for other in project_config.rule_files(root):
        if other.resolve() == target:
            continue
        try:
            text = server.read(other)
        except (OSError, UnicodeDecodeError, TooLarge):
            continue
        if any((other.parent / name).resolve() == target for name in _INCLUDE.findall(text)):
            return True
    return False


def _brought_in(d: Diagnostic, path: str, text: str) -> tuple[Diagnostic, Span]:
    """A diagnostic of another file (an included one), shown on the include that brings it in;
    one without a place, on the first line."""
    if d.span is None:
        return d, Span.point(path, 1, 1)
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        match = _INCLUDE.match(line)
        if match and (Path(path).parent / match.group(1)).resolve() == Path(d.span.file).resolve():
            span = Span(file=path, line=number, column=match.start(1), end_line=number, end_column=match.end(1) + 2)
            return attrs.evolve(d, message=f"in {os.path.relpath(d.span.file, os.path.dirname(path))}:"
                                           f"{d.span.line}:{d.span.column}: {d.message}"), span
    first = next((n for n, line in enumerate(lines, 1) if _INCLUDE.match(line)), 1)
    return attrs.evolve(d, message=f"in {d.span}: {d.message}"), Span.point(path, first, 1)


_SUGGESTION = re.compile(r"did you mean '([A-Za-z_][A-Za-z0-9_]*)'\?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _quick_fix(message: str, written: str) -> tuple[str, str] | None:
    """(title, replacement) for the text a diagnostic covers, when its message says what to write."""
    suggestion = _SUGGESTION.search(message)
    if suggestion is not None and _NAME.fullmatch(written) and written != suggestion.group(1):
        return f"Change '{written}' to '{suggestion.group(1)}'", suggestion.group(1)
    if written == "=" and "a comparison uses '=='" in message:
        return "Change '=' to '=='", "=="
    return None


def _markdown(text: str) -> lsp.MarkupContent:
    return lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text)


def _document_symbol(server: ScoreServer, lines, symbol: Symbol) -> lsp.DocumentSymbol:
    extent = server.client_range(lines, symbol.extent)
    name = server.client_range(lines, symbol.span)
    if not _contains(extent, name):
        extent = name
    children = [_document_symbol(server, lines, c) for c in symbol.children]
    return lsp.DocumentSymbol(name=symbol.name, kind=_SYMBOL_KINDS.get(symbol.kind, lsp.SymbolKind.Variable),
                              range=extent, selection_range=name, detail=symbol.detail or None,
                              children=children or None)


def _contains(outer: lsp.Range, inner: lsp.Range) -> bool:
    def key(p):
        return p.line, p.character

    return key(outer.start) <= key(inner.start) and key(inner.end) <= key(outer.end)


def build(version: str) -> ScoreServer:
    server = ScoreServer(version)

    def recheck(ls: ScoreServer, params) -> None:
        """An opened, changed or saved document: check it, and the open ones that include it."""
        ls.check(params.text_document.uri)
        ls.check_dependents(params.text_document.uri)

    for method in (lsp.TEXT_DOCUMENT_DID_OPEN, lsp.TEXT_DOCUMENT_DID_CHANGE, lsp.TEXT_DOCUMENT_DID_SAVE):
        server.feature(method)(recheck)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ScoreServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.outlines.pop(uri, None)
        ls.reads.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        ls.check_dependents(uri)     # they read the file from disk again

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: ScoreServer, params: lsp.HoverParams) -> lsp.Hover | None:
        found_at = ls.at(params)
        if found_at is None:
            return None
        outline, file, line, column = found_at
        found = outline.hover(file, line, column)
        if found is None:
            return None
        text, span = found
        document = ls.workspace.get_text_document(params.text_document.uri)
        return lsp.Hover(contents=_markdown(text), range=ls.client_range(document.lines, span, document))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: ScoreServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        found_at = ls.at(params)
        if found_at is None:
            return None
        outline, file, line, column = found_at
        included = outline.include_at(file, line, column)
        if included is not None:
            return lsp.Location(uri=from_fs_path(str(Path(included).resolve())),
                                range=lsp.Range(start=lsp.Position(line=0, character=0),
                                                end=lsp.Position(line=0, character=0)))
        span = outline.definition(file, line, column)
        return ls.location(span) if span is not None else None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: ScoreServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
        found_at = ls.at(params)
        if found_at is None:
            return None
        outline, file, line, column = found_at
        symbol = outline.symbol_at(file, line, column)
        if symbol is None:
            return None
        spans = [r.span for r in outline.references if r.target is symbol]
        if params.context.include_declaration:
            spans.insert(0, symbol.span)
        return [ls.location(span) for span in spans]

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=["(", "[", '"']))
    def completion(ls: ScoreServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        place = ls.place(params)
        if place is None:
            return None
        file, line, column, text = place
        before = text[: column - 1]
        include = re.match(r'^\s*include\s+"([^"]*)$', before)
        if include is not None:
            return lsp.CompletionList(is_incomplete=False, items=_include_files(Path(file), include.group(1)))
        outline = ls.outlines.get(params.text_document.uri)
        if outline is None:
            outline = Outline((), _functions())
        items = [lsp.CompletionItem(label=c.label, kind=_COMPLETION_KINDS.get(c.kind, lsp.CompletionItemKind.Text),
                                    detail=c.detail or None, insert_text=c.insert)
                 for c in outline.completions(file, line, before)]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def code_actions(ls: ScoreServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        """Quick fixes the diagnostics' hints spell out: the name a "did you mean" suggests, and
        '==' for '=' in a comparison."""
        document = ls.workspace.get_text_document(params.text_document.uri)
        actions = []
        for diagnostic in params.context.diagnostics:
            if diagnostic.source != "scoredsl" or diagnostic.range.start.line != diagnostic.range.end.line:
                continue
            fix = _quick_fix(diagnostic.message, document.text_in_client_range(diagnostic.range))
            if fix is None:
                continue
            title, text = fix
            actions.append(lsp.CodeAction(
                title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic], is_preferred=True,
                edit=lsp.WorkspaceEdit(changes={params.text_document.uri: [
                    lsp.TextEdit(range=diagnostic.range, new_text=text)]})))
        return actions

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: ScoreServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        document = ls.workspace.get_text_document(params.text_document.uri)
        try:
            formatted = format_text(document.source, to_fs_path(params.text_document.uri) or "<input>")
        except CompileError:
            return None     # the diagnostics already say why it does not parse
        if formatted == document.source:
            return []
        lines = document.lines
        end = lsp.Position(line=len(lines), character=0)
        return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=formatted)]

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbols(ls: ScoreServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol] | None:
        outline = ls.outlines.get(params.text_document.uri)
        path = to_fs_path(params.text_document.uri)
        if outline is None or path is None:
            return []
        document = ls.workspace.get_text_document(params.text_document.uri)
        return [_document_symbol(ls, document.lines, s) for s in outline.document_symbols(display_path(Path(path)))]

    return server


def _include_files(here: Path, typed: str) -> list[lsp.CompletionItem]:
    """Rule files an include may name, relative to ``here``'s folder."""
    here = here.resolve()
    items = []
    root = _root(here)
    for path in project_config.rule_files(root):
        if path.resolve() == here.resolve():
            continue
        name = os.path.relpath(path, here.parent).replace(os.sep, "/")
        if name.startswith(typed):
            items.append(lsp.CompletionItem(label=name, kind=lsp.CompletionItemKind.File))
    return items


def serve(version: str) -> None:
    """Serve over standard input and output until the editor says exit."""
    build(version).start_io()
