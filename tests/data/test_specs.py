"""Specs show themselves masked: a URL's password and secret options never reach a message,
whatever characters they hold, and everything else of the spec stays readable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoredsl.data.specs import SpecError, mask_known, parse_spec, redact

ANY = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24)


@given(password=ANY)
def test_a_url_password_of_any_characters_is_masked_where_it_stands(password):
    text = f"postgresql://scorer:{password}@db.example.com:5432/crm?table=scores"
    try:
        spec = parse_spec(text, "sink")
    except SpecError as exc:        # a password holding '?' or '&' can break the options apart
        assert password not in str(exc) or len(password) < 4
        assert "scorer:***@db.example.com:5432/crm" in str(exc)
        return
    assert spec.text == "postgresql://scorer:***@db.example.com:5432/crm?table=scores"
    assert password in spec.secrets and spec.password == password
    assert repr(spec) == f"Spec(scheme='postgresql', text={spec.text!r})" and str(spec) == spec.text
    assert redact(text) == spec.text


@given(password=ANY.filter(lambda p: len(p) >= 4))
def test_every_message_is_masked_once_a_spec_was_seen(password):
    try:
        parse_spec(f"postgresql://scorer:{password}@db.example.com/crm", "sink")
    except SpecError:
        pass
    assert password not in mask_known(f"the driver said: could not log in with '{password}'")


@pytest.mark.parametrize("text, shown", [
    ("postgresql://u@h/db?table=t&connect.password=HUNTER2", "postgresql://u@h/db?table=t&connect.password=***"),
    ("hubspot:prod?token=pat-na1-1234&batch_size=50", "hubspot:prod?token=***&batch_size=50"),
    ("postgresql://u@h/db?password_env=PGPASS", "postgresql://u@h/db?password_env=PGPASS"),
    ("postgresql://u:S3c/r3t PW@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("mysql://root:S3cr3t@W@127.0.0.1:3306/test", "mysql://root:***@127.0.0.1:3306/test"),
    ("csv:data/contacts.csv?events=data/events.csv", "csv:data/contacts.csv?events=data/events.csv"),
    ("sqlite:/tmp/a:b@c.db", "sqlite:/tmp/a:b@c.db"),
])
def test_what_is_masked_and_what_is_not(text, shown):
    assert parse_spec(text, "sink").text == shown


def test_a_short_password_is_masked_in_the_spec_but_does_not_garble_messages():
    spec = parse_spec("postgresql://u:ab@h/db?table=t", "sink")
    assert spec.text == "postgresql://u:***@h/db?table=t"
    assert mask_known("cannot write to table ab_scores") == "cannot write to table ab_scores"
