"""The compile pipeline: model versions, determinism, errors mapped back to rule lines."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

import paths
from scoredsl.compiler.model import EvaluationError
from scoredsl.compiler.pipeline import compile_text
from scoredsl.data.records import Event

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
ROOT = paths.ROOT

MODEL = """schema { contact { employees: int, title: text } event visit { url: text } }
model m {
  score fit {
    rule big:   employees > 100 => +10
    rule vp:    title matches /vp/ => +5
    rule views: each visit where url contains "/pricing" => +3 max 9
  }
  tier t by fit { hot: >= 10; cold: otherwise }
}
"""


def test_version_ignores_comments_and_layout_but_not_meaning():
    base = compile_text(MODEL, "a.score").model().version
    relaid = MODEL.replace("rule big:   employees > 100 => +10",
                           "# a comment\n    rule big: employees   >   100   =>   +10  # trailing")
    assert compile_text(relaid, "b.score").model().version == base
    changed = MODEL.replace("=> +10", "=> +11")
    assert compile_text(changed, "c.score").model().version != base


def test_evaluate_and_rows():
    model = compile_text(MODEL, "m.score").model()
    events = [Event(contact_id="c", type="visit", timestamp=AS_OF - dt.timedelta(days=d), attrs={"url": "/Pricing"})
              for d in range(5)]
    row = model.evaluate({"id": "c", "employees": 101, "title": "SVP"}, events, AS_OF)
    assert (row.status, row.scores, row.tiers) == ("scored", {"fit": 24}, {"t": "hot"})


def test_an_error_in_generated_code_points_at_the_rule_line():
    model = compile_text(MODEL, "m.score").model()
    # a third-party source that hands over text for an int property
    with pytest.raises(EvaluationError) as exc:
        model.evaluate({"id": "c7", "employees": "lots"}, [], AS_OF)
    assert exc.value.span is not None and (exc.value.span.file, exc.value.span.line) == ("m.score", 4)
    assert "contact c7" in str(exc.value) and str(exc.value).startswith("m.score:4:")


def _cli(*args: str, seed: str) -> bytes:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    return subprocess.run([sys.executable, "-m", "scoredsl.cli", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True).stdout


@pytest.mark.parametrize("command", [
    ("compile", "examples/b2b_saas/model.score"),
    ("run", "examples/product_lines/model.score", "--source", "csv:examples/product_lines/data",
     "--as-of", "2026-11-01", "--sink", "jsonl:-", "-q"),
])
def test_output_is_byte_identical_across_processes(command):
    assert _cli(*command, seed="1") == _cli(*command, seed="2")


def test_a_list_attribute_is_packed_as_it_is():
    from scoredsl.compiler.python.packing import pack_event
    assert pack_event(5, {"tags": ("a", "b"), "note": "  "}, (("tags", "text"), ("note", "text"))) == (5, ("a", "b"), None)
