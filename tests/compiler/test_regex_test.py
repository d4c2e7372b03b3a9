"""Generated code asks the compiled RE2 program directly whether a pattern matches
(``regex_test``); it must answer exactly as the google-re2 wrapper's ``search`` does."""

from __future__ import annotations

import re2
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies
from scoredsl.compiler.python.codegen import compile_regex, regex_test

PATTERNS = [r"\b(vp|chief|director|head)\b", r"^/pricing", r"\.edu$", r"a*", r"", r"^$", r"é|ß", r"\p{Greek}+",
            r"(?:x|y)(z)?", r"[^a-z]", r"^\s*$", r"(a)(b)?(c)", r"\d{3,}", r"Σ", r"ǅ", r"k", r"^.{2}$"]
TEXTS = st.one_of(st.text(max_size=12), st.sampled_from(["VP Sales", "Head of X", "/Pricing/x", "u.EDU", "", " ",
                                                         "ΣΑΣ", "σας", "ß", "SS", "\u212a", "ǆ", "ab", "éé", "1234"]))


@settings(max_examples=strategies.examples(300), deadline=None)
@given(pattern=st.sampled_from(PATTERNS), fold=st.booleans(), text=TEXTS)
def test_the_direct_test_answers_as_search_does(pattern, fold, text):
    assert regex_test(pattern, fold)(text) == (compile_regex(pattern, fold).search(text) is not None)


def test_without_the_programs_interface_the_wrappers_search_answers(monkeypatch):
    """Another google-re2 release may lack the interface: the public ``search`` serves then."""
    monkeypatch.delattr(re2._re2.RE2, "Anchor")
    test = regex_test(r"^/pricing", True)
    assert test("/PRICING/x") is True and test("/blog") is False
