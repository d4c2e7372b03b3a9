"""``scoredsl lsp``: the language server, for editors (VS Code: editors/vscode)."""

from __future__ import annotations

import click

from scoredsl import __version__
from scoredsl.cli.options import Failure, handle_errors


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default, and the only way).")
@handle_errors
def lsp(stdio):
    """Run the language server: diagnostics as you type (those of `scoredsl check`), hover, go to
    definition, references, completion, formatting and document symbols. Editors start it; it
    speaks the Language Server Protocol over standard input and output."""
    try:
        from scoredsl.lsp.server import serve
    except ImportError as exc:
        raise Failure(f"the language server needs pygls ({exc.name} is not installed): "
                      "pip install 'scoredsl[lsp]'") from None
    serve(__version__)
