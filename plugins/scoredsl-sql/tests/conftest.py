"""pytest fixtures of the SQL plugin's tests; they live in :mod:`sqltest` (with the helpers the
test modules import), a name that no other test suite of the repository uses."""

from sqltest import _fresh_plugins, db, example_records, fallbacks, program, typed  # noqa: F401
