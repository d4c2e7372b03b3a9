"""Source and sink specs: ``scheme:location?name=value&...``, as typed on the command line or
written in ``scoredsl.toml``, and how messages show them (passwords masked)."""

from __future__ import annotations

import os
import re
from typing import Any, Mapping
from urllib.parse import parse_qsl

import attrs


_SPEC = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]+):(.*)", re.DOTALL)


class SpecError(ValueError):
    """A source or sink spec that cannot be used: unknown scheme, bad option, missing file."""


MASK = "***"

#: Option names whose values are secrets wherever they appear (``connect.password``, ``token``).
_SECRET_OPTION = re.compile(r"(?i)(passw(or)?d|secret|token|api[_.-]?key|credential)")


@attrs.frozen(kw_only=True)
class Spec:
    """A parsed spec: ``scheme:location?options``.

    ``location`` and ``options`` are what a plugin connects with, secrets included. Everything
    meant for a person is masked: ``text`` (the spec as written, every secret as ``***``),
    ``str()`` and ``repr()``; :meth:`mask` masks the secrets in any other message, such as a
    driver's error. A spec's secrets are the password of a URL (``//user:PASSWORD@host``) and
    the values of options named like a secret (``password``, ``token``, ``secret``, ...).
    """
    scheme: str
    location: str = attrs.field(repr=False)
    options: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    text: str = ""
    secrets: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)
    #: the password of a URL as written in the whole spec (``//USER:PASSWORD@``, up to the last
    #: ``@``), or None; a plugin refuses a spec whose URL its driver would read otherwise
    password: str | None = attrs.field(default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        found = list(self.secrets) + ([self.password] if self.password else []) + secrets_in(self.location)
        for key, value in self.options.items():
            found += secrets_of_option(key, value)
        object.__setattr__(self, "secrets", tuple(dict.fromkeys(s for s in found if s)))
        remember(self.secrets)
        object.__setattr__(self, "text", masked(self.text))

    def mask(self, message: str) -> str:
        """``message`` with every secret of this spec (and of every spec seen) as ``***``."""
        return mask_known(_mask(message, [s for s in self.secrets if len(s) >= KNOWN_MIN]))

    def __str__(self) -> str:
        return self.text

    def check_options(self, known: tuple[str, ...]) -> None:
        """Raise :class:`SpecError` naming any option not in ``known``."""
        unknown = sorted(set(self.options) - set(known))
        if unknown:
            allowed = ", ".join(known) if known else "none"
            raise SpecError(f"{self.text}: unknown option {', '.join(map(repr, unknown))} for "
                            f"{self.scheme} (allowed: {allowed})")


def _url_password(text: str) -> tuple[int, int] | None:
    """Where the password of a URL in ``text`` stands: between ``//USER:`` and the last ``@``
    after it, so that a password holding ``/``, ``?``, ``@``, ``:`` or a space is all of it."""
    start = text.find("://")
    if start < 0:
        return None
    at = text.rfind("@", start + 3)
    colon = text.find(":", start + 3, at) if at >= 0 else -1
    if colon < 0 or colon + 1 == at:
        return None
    return colon + 1, at


_OPTION = re.compile(r"([?&])([^=&?]+)=([^&]*)")


def masked(text: str) -> str:
    """``text`` (a spec, a URL) with the URL's password and secret options' values as ``***``,
    by their place in it."""
    span = _url_password(text)
    if span is not None:
        text = text[:span[0]] + MASK + text[span[1]:]
    text = _OPTION.sub(lambda m: m.group(0) if not secrets_of_option(m.group(2), m.group(3))
                       else f"{m.group(1)}{m.group(2)}={MASK}", text)
    return text


def url_password(text: str) -> str | None:
    """The password of a URL in ``text`` (see :func:`masked`), or None."""
    span = _url_password(text)
    return None if span is None else text[span[0]:span[1]]


def secrets_in(text: str) -> list[str]:
    """The secrets written in ``text``: a URL's password and secret options' values."""
    found = []
    span = _url_password(text)
    if span is not None:
        found.append(text[span[0]:span[1]])
    for match in _OPTION.finditer(text):
        found += secrets_of_option(match.group(2), match.group(3))
    return found


def secrets_of_option(key: object, value: object) -> list[str]:
    """The secrets in an option: its value when its name says it is one (nested tables too)."""
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in secrets_of_option(f"{key}.{k}", v)]
    if isinstance(value, str) and value and _SECRET_OPTION.search(str(key)) and not str(key).endswith("_env"):
        return [value]
    return []


# Every secret of every spec this process has seen, so that any message can be masked, even
# one that a plugin or a driver wrote without the spec at hand. A secret shorter than this is
# masked only where it stands in a spec (masking every "ab" of every message would garble them).
_KNOWN: set[str] = set()
KNOWN_MIN = 4


def remember(secrets) -> None:
    """Mask these secrets in every message from now on (:func:`mask_known`)."""
    _KNOWN.update(s for s in secrets if s and len(s) >= KNOWN_MIN)


def forget() -> None:
    """Forget every secret remembered (for tests, which run many commands in one process)."""
    _KNOWN.clear()


def mask_known(message: str) -> str:
    """``message`` with every secret of every spec seen by this process as ``***``."""
    return _mask(message, _KNOWN) if _KNOWN else message


def _mask(message: str, secrets) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in message:
            message = message.replace(secret, MASK)
    return message


def redact(text: str) -> str:
    """A spec's text as messages may show it: its secrets as ``***`` (see :func:`masked`), and
    every secret seen by this process."""
    return mask_known(masked(text))


def parse_spec(text: str, kind: str = "source") -> Spec:
    """Split ``text`` into scheme, location and options, inferring the scheme from a path.

    ``Spec.text``, the form error messages show, has every secret in it replaced by ``***``."""
    secrets = secrets_in(text)
    remember(secrets)
    shown = masked(text)
    match = _SPEC.fullmatch(text)
    if match is None:
        return Spec(scheme=_infer(text, kind), location=text, text=shown, secrets=tuple(secrets),
                    password=url_password(text))
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
    return Spec(scheme=scheme, location=location, options=options, text=shown, secrets=tuple(secrets),
                password=url_password(text))


def _infer(path: str, kind: str) -> str:
    lowered = path.lower()
    for scheme in ("csv", "jsonl"):
        if lowered.endswith("." + scheme):
            return scheme
        if kind == "source" and os.path.isfile(os.path.join(path, f"contacts.{scheme}")):
            return scheme
    examples = ("csv:PATH, jsonl:PATH, table:- (PATH - is standard output)" if kind == "sink"
                else "csv:outcomes.csv, jsonl:outcomes.jsonl" if kind == "outcome source"
                else "csv:FOLDER, jsonl:FOLDER, csv:contacts.csv?events=events.csv")
    raise SpecError(f"{path!r}: cannot tell what kind of {kind} this is; write SCHEME:LOCATION, "
                    f"e.g. {examples}")


def column_mapping(value: Any, where: str, option: str, *, empty: bool = False) -> dict[str, str | None]:
    """A spec option that renames columns: ``a:col_a,b:col_b`` (a spec's query string) or a
    table ``{a = "col_a"}`` (scoredsl.toml), as the schema's name -> the column; ``where``
    names the spec in messages. With ``empty``, a blank column (``phone:``) means "no such
    column" (``None``); without, it is an error."""
    if value is None:
        return {}
    pairs: list[tuple[Any, Any]]
    if isinstance(value, str):
        pairs = []
        for item in value.split(","):
            if not item.strip():
                continue
            key, colon, column = item.partition(":")
            if not colon:
                raise SpecError(f"{where}: option {option}: {item.strip()!r} is not NAME:COLUMN "
                                "(write e.g. job_title:Job Title,employees:num_employees)")
            pairs.append((key.strip(), column.strip()))
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        raise SpecError(f"{where}: option {option} must be NAME:COLUMN,... or a table of names to columns, "
                        f"not {type(value).__name__}")
    result: dict[str, str | None] = {}
    for key, column in pairs:
        blank = column is None or (isinstance(column, str) and not column.strip())
        if not isinstance(key, str) or not key or not isinstance(column, (str, type(None))) or (blank and not empty):
            raise SpecError(f"{where}: option {option}: {key!r} = {column!r} is not a name and a column name")
        if key in result:
            raise SpecError(f"{where}: option {option} maps {key!r} twice")
        result[key] = None if blank else column.strip()
    named = [c for c in result.values() if c is not None]
    twice = sorted({c for c in named if named.count(c) > 1})
    if twice:
        raise SpecError(f"{where}: option {option} maps two names to the column {twice[0]!r}")
    return result
