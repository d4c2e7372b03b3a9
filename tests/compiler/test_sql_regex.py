"""The case orbits behind case-insensitive regexes on PostgreSQL, MariaDB and Spark."""

import sys

from scoredsl.compiler.sql import regex
from scoredsl.compiler.sql.regex import CASED_END, translate


def test_no_code_point_past_the_scanned_range_has_a_case_mapping():
    # the orbit table scans only below CASED_END; a newer Unicode with a cased letter beyond it
    # would make a case-insensitive regex miss that letter on the SQL engines
    beyond = [hex(code) for code in range(CASED_END, sys.maxunicode + 1)
              if chr(code).casefold() != chr(code) or chr(code).lower() != chr(code)]
    assert beyond == []
    last = chr(CASED_END - 1)
    assert last.casefold() != last or last.upper() != last     # the bound is the last cased one


def test_each_letter_stands_for_its_whole_orbit():
    assert regex._orbit("k") == "Kk\u212a"              # KELVIN SIGN folds to k
    assert regex._orbit("\u212a") == "Kk\u212a"
    assert regex._orbit("s") == "Ss\u017f"              # LATIN SMALL LETTER LONG S
    assert regex._orbit("\u03c3") == "\u03a3\u03c2\u03c3"  # sigma, final sigma
    assert regex._orbit("\U0001e922") == "\U0001e900\U0001e922"  # Adlam, the last cased block
    assert regex._orbit("7") == "7"


def test_a_folded_literal_becomes_its_orbit_on_every_engine():
    from sqlglot import exp

    subject = exp.column("x")
    for flavor in ("postgres", "mysql", "spark"):
        sql = translate(flavor, subject, "k", True).sql(dialect="postgres" if flavor == "postgres" else "spark")
        assert "[Kk\u212a]" in sql, (flavor, sql)
