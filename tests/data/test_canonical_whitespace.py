"""The white space every engine strips is exactly Python's."""

import sys

from scoredsl.data.canonical import WHITESPACE


def test_whitespace_is_every_character_python_calls_space():
    assert WHITESPACE == "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert all(ch.strip() == "" for ch in WHITESPACE)
