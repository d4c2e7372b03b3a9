"""Where things are in the repository, for the tests of every folder."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
EXAMPLES = ROOT / "examples"

#: Rule files every differential test runs besides random ones.
FIXED_MODELS = [TESTS / "models" / "full.score", EXAMPLES / "b2b_saas" / "model.score",
                EXAMPLES / "product_lines" / "model.score"]
