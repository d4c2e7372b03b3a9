"""Source and sink specs: ``scheme:location?name=value&...``, as typed on the command line or
written in ``scoredsl.toml``, and how messages show them (passwords masked)."""

from __future__ import annotations

import os
import re
from typing import Mapping
from urllib.parse import parse_qsl

import attrs


_SPEC = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]+):(.*)", re.DOTALL)


class SpecError(ValueError):
    """A source or sink spec that cannot be used: unknown scheme, bad option, missing file."""


@attrs.frozen(kw_only=True)
class Spec:
    """A parsed spec: ``scheme:location?options``; ``text`` is the spec as the user wrote it."""
    scheme: str
    location: str
    options: Mapping[str, str] = attrs.field(factory=dict)
    text: str = ""

    def check_options(self, known: tuple[str, ...]) -> None:
        """Raise :class:`SpecError` naming any option not in ``known``."""
        unknown = sorted(set(self.options) - set(known))
        if unknown:
            allowed = ", ".join(known) if known else "none"
            raise SpecError(f"{self.text}: unknown option {', '.join(map(repr, unknown))} for "
                            f"{self.scheme} (allowed: {allowed})")


_PASSWORD = re.compile(r"(//[^/@:\s]*:)[^@/\s]*@")


def redact(text: str) -> str:
    """A spec as messages may show it: a password in a URL (``//user:secret@``) becomes ``***``."""
    return _PASSWORD.sub(r"\1***@", text)


def parse_spec(text: str, kind: str = "source") -> Spec:
    """Split ``text`` into scheme, location and options, inferring the scheme from a path.

    ``Spec.text``, the form error messages show, has any password in it replaced by ``***``."""
    shown = redact(text)
    match = _SPEC.fullmatch(text)
    if match is None:
        return Spec(scheme=_infer(text, kind), location=text, text=shown)
    scheme, rest = match.group(1).lower(), match.group(2)
    location, question, query = rest.partition("?")
    options: dict[str, str] = {}
    if question:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise SpecError(f"{shown}: options must be written ?name=value&name=value") from None
        for key, value in pairs:
            if key in options:
                raise SpecError(f"{shown}: option {key!r} is given twice")
            options[key] = value
    return Spec(scheme=scheme, location=location, options=options, text=shown)


def _infer(path: str, kind: str) -> str:
    lowered = path.lower()
    for scheme in ("csv", "jsonl"):
        if lowered.endswith("." + scheme):
            return scheme
        if kind == "source" and os.path.isfile(os.path.join(path, f"contacts.{scheme}")):
            return scheme
    examples = ("csv:PATH, jsonl:PATH, table:- (PATH - is standard output)" if kind == "sink"
                else "csv:FOLDER, jsonl:FOLDER, csv:contacts.csv?events=events.csv")
    raise SpecError(f"{path!r}: cannot tell what kind of {kind} this is; write SCHEME:LOCATION, "
                    f"e.g. {examples}")
