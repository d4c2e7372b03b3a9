"""The types of expressions, and which operations each admits."""

from __future__ import annotations

import enum


def fold_case(text: str) -> str:
    """Text as case-insensitive tests see it: each character's simple lowercase mapping.

    That is ``str.lower()`` except for its two context rules, which SQL engines do not share:
    ``İ`` (U+0130) becomes ``i`` (not ``i`` + combining dot) and ``Σ`` always ``σ`` (never the
    final ``ς``). See "Case" in the language reference.
    """
    if text.isascii():
        return text.lower()
    return text.replace("\u0130", "i").replace("\u03a3", "\u03c3").lower()


class Type(enum.Enum):
    TEXT = "text"
    INT = "int"
    NUMBER = "number"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    DURATION = "duration"
    TEXT_LIST = "list[text]"
    NUMBER_LIST = "list[number]"

    def __str__(self) -> str:
        return self.value

    @property
    def is_numeric(self) -> bool:
        return self in (Type.INT, Type.NUMBER)

    @property
    def is_temporal(self) -> bool:
        return self in (Type.DATE, Type.DATETIME)

    @property
    def is_list(self) -> bool:
        return self in (Type.TEXT_LIST, Type.NUMBER_LIST)

    @property
    def element(self) -> "Type":
        return {Type.TEXT_LIST: Type.TEXT, Type.NUMBER_LIST: Type.NUMBER}[self]


SCHEMA_TYPES = {"text": Type.TEXT, "int": Type.INT, "number": Type.NUMBER, "bool": Type.BOOL,
                "date": Type.DATE, "datetime": Type.DATETIME}


def from_schema(base: str, is_list: bool) -> Type | None:
    """The expression type of a declared property, or None if the declaration is invalid."""
    if is_list:
        return Type.TEXT_LIST if base == "text" else None
    return SCHEMA_TYPES.get(base)


def comparable(a: Type, b: Type) -> bool:
    """Whether ``a == b`` (and, for non-bool types, ``a < b``) is meaningful."""
    return (a.is_numeric and b.is_numeric) or (a.is_temporal and b.is_temporal) or a == b


def arith_result(op: str, a: Type, b: Type) -> Type | None:
    if a.is_numeric and b.is_numeric:
        return Type.INT if a == b == Type.INT else Type.NUMBER
    if op in "+-" and a == b == Type.DURATION:
        return Type.DURATION
    if op == "*" and {a, b} == {Type.DURATION, Type.INT}:
        return Type.DURATION
    return None


def list_of(element: Type) -> Type | None:
    if element == Type.TEXT:
        return Type.TEXT_LIST
    if element.is_numeric:
        return Type.NUMBER_LIST
    return None


def element_fits(list_type: Type, value: Type) -> bool:
    return (list_type == Type.TEXT_LIST and value == Type.TEXT) or (
        list_type == Type.NUMBER_LIST and value.is_numeric)
