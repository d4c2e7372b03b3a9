"""The parser's tables, built once per grammar and kept on disk.

Building the LALR tables from the grammar takes about a quarter of a second, longer than the
whole of `scoredsl check` should. The built tables are kept as JSON (data only: reading them
runs no code, unlike a pickle) in the user's cache folder, under a name that holds the digest of
the grammar, the options and the Lark version, and written to a temporary file first so that a
reader never sees half of one. A missing, stale or unreadable file is built again; a folder
that cannot be written is only a slower start.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

import lark
from lark.grammar import Rule
from lark.lexer import TerminalDef


def cache_folder() -> Path | None:
    """``$SCOREDSL_CACHE_DIR``, else ``$XDG_CACHE_HOME/scoredsl``, else ``~/.cache/scoredsl``;
    ``None`` when ``SCOREDSL_CACHE_DIR`` is set empty (no cache)."""
    chosen = os.environ.get("SCOREDSL_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "scoredsl"


def build(grammar: str, options: Mapping[str, Any], callbacks: Mapping[str, Callable]) -> lark.Lark:
    """``lark.Lark(grammar, **options, lexer_callbacks=callbacks)``, from the cache when it holds it."""
    key = hashlib.sha256(f"{grammar}\n{sorted(options.items())!r}\n{lark.__version__}".encode()).hexdigest()[:32]
    folder = cache_folder()
    path = folder / f"parser-{key}.json" if folder is not None else None
    if path is not None:
        try:
            data = json.loads(path.read_text("utf-8"))
            parser = lark.Lark.__new__(lark.Lark)
            return parser._load(_decode(data), lexer_callbacks=dict(callbacks),
                                propagate_positions=options.get("propagate_positions", False))
        except Exception:  # missing, stale, half-written by an older version, unreadable: build it
            pass
    parser = lark.Lark(grammar, **options, lexer_callbacks=dict(callbacks))
    if path is not None:
        _store(parser, path)
    return parser


def _store(parser: lark.Lark, path: Path) -> None:
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {n: v for n, v in data["options"].items() if n not in lark.lark._LOAD_ALLOWED_OPTIONS}
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".parser-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(_encode({"data": data, "memo": memo}), handle, separators=(",", ":"))
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError:
        pass      # a read-only home or a full disk: the next start builds the tables again


# JSON has no tuples and only text keys: both are spelt out, and read back as they were.

def _encode(value):
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not {"__items__", "__tuple__"} & set(value):
            return {k: _encode(v) for k, v in value.items()}
        return {"__items__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} in the parser cache")


def _decode(value):
    if isinstance(value, dict):
        if "__items__" in value:
            return {_decode(k): _decode(v) for k, v in value["__items__"]}
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
