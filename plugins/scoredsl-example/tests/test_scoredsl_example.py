"""How to test a plugin: its functions on their own, then through a real rule file."""

from __future__ import annotations

import datetime as dt

import pytest

from scoredsl.compiler.pipeline import check_file, compile_text
from scoredsl.plugins import manager as plugins
from scoredsl_example import email_domain, is_free_email
import scoredsl_example

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("email, domain", [("Ann@Acme.COM", "acme.com"), ("a@b@c.io", "c.io"),
                                           ("no-at-sign", None), ("@acme.com", None), ("ann@", None)])
def test_email_domain(email, domain):
    assert email_domain(email) == domain


def test_is_free_email():
    assert is_free_email("x@GMAIL.com") is True
    assert is_free_email("x@acme.com") is False
    assert is_free_email("nonsense") is None


@pytest.fixture()
def registered():
    """Register the plugin directly (as its entry point does once it is installed)."""
    plugins.reset()
    if "example" not in plugins.plugin_versions():
        plugins.register(scoredsl_example, "example")
    yield
    plugins.reset()


def test_functions_in_a_rule_file(registered):
    program = compile_text("""schema { contact { email: text } }
    model m { score s {
      rule free: is_free_email(email) => -10
      rule ours: email_domain(email) == "acme.com" => +20
    } }""", "m.score")
    model = program.model()
    assert model.evaluate({"id": "1", "email": "a@gmail.com"}, [], AS_OF).scores == {"s": -10}
    assert model.evaluate({"id": "2", "email": "b@ACME.com"}, [], AS_OF).scores == {"s": 20}
    assert model.evaluate({"id": "3"}, [], AS_OF).scores == {"s": 0}


def test_the_lint(registered, tmp_path):
    path = tmp_path / "m.score"
    path.write_text("schema { contact { email: text } }\nmodel m { score s { rule big: email is set => +150 } }\n")
    diagnostics, _ = check_file(path)
    assert [(d.code, d.span.line) for d in diagnostics] == [("EX101", 2)]
