"""A spec turned into a database connection, and the options of a spec.

A spec is ``SCHEME:LOCATION?OPTIONS`` as :func:`scoredsl.api.parse_spec` splits it:

* ``sqlite:PATH`` / ``duckdb:PATH``: a database file (also the SQLAlchemy spelling
  ``sqlite:///relative.db`` or ``sqlite:////absolute.db``);
* ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`` (``postgres:`` too), with the psycopg 3
  driver;
* ``mysql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`` or ``mariadb://...``, with PyMySQL.

Options come from the spec's query string (always strings) or from a project configuration
file (TOML values: strings, integers, booleans, tables); :class:`Options` accepts both.

**Passwords** never appear in a message: every message names the database by
:attr:`Database.display` (the spec with the password replaced by ``***``), and driver errors go
through :meth:`Database.error`, which also blanks out any secret the spec holds. Prefer
``password_env=VARIABLE`` (or PostgreSQL's own ``PGPASSWORD`` / ``~/.pgpass``) to a password in
the spec, which a shell history keeps.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping
from urllib.parse import unquote

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

from scoredsl.api import Spec, SpecError, column_mapping, remember_secrets

from . import backends

__all__ = ["Database", "DatabaseError", "Options", "TableName", "DEFAULT_BATCH_SIZE"]

DEFAULT_BATCH_SIZE = 1000
CONNECT_PREFIX = "connect."
_SECRET_WORDS = ("pass", "secret", "token", "key")


class DatabaseError(Exception):
    """The database failed while a source was reading (connection lost, table dropped).

    Not a :class:`~scoredsl.api.DataError`: no row is at fault, so there is nothing to skip.
    The message names the database without its password.
    """


@attrs.frozen
class TableName:
    """A table name as the user wrote it: ``name`` or ``schema.name``."""
    name: str
    schema: str | None = None

    @classmethod
    def parse(cls, text: str) -> "TableName":
        """``"crm.contacts"`` -> schema ``crm``, name ``contacts``; double quotes keep dots."""
        parts, current, quoted = [], "", False
        for char in text.strip():
            if char == '"':
                quoted = not quoted
            elif char == "." and not quoted:
                parts.append(current)
                current = ""
            else:
                current += char
        parts.append(current)
        if quoted or len(parts) > 2 or not all(p.strip() for p in parts):
            raise ValueError(f"{text!r} is not a table name (write NAME or SCHEMA.NAME)")
        parts = [p.strip() for p in parts]
        return cls(parts[-1], parts[0] if len(parts) == 2 else None)

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def quoted(self, dialect: sa.engine.Dialect) -> str:
        prep = dialect.identifier_preparer
        name = prep.quote(self.name)
        return f"{prep.quote_schema(self.schema)}.{name}" if self.schema else name


class Options:
    """The options of one spec, checked against the names a source or sink knows.

    Values may be strings (from a spec's query string) or TOML values (from a configuration
    file); each accessor says what it accepts. Unknown names are a :class:`SpecError` that
    lists the known ones. ``connect.NAME`` options (or a ``connect`` table in TOML) are passed
    to the database driver.
    """

    def __init__(self, options: Mapping[str, Any], display: str, scheme: str, known: tuple[str, ...]):
        self.values = dict(options)
        self.display = display
        unknown = sorted(name for name in self.values
                         if name not in known and name != "connect" and not name.startswith(CONNECT_PREFIX))
        if unknown:
            raise SpecError(f"{display}: unknown option {', '.join(map(repr, unknown))} for {scheme} "
                            f"(allowed: {', '.join(known)}, connect.NAME for the driver)")

    def text(self, name: str, default: str | None = None) -> str | None:
        """A string option (``None``/absent gives ``default``)."""
        value = self.values.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise SpecError(f"{self.display}: option {name} must be a string, not "
                            f"{type(value).__name__} {value!r}")
        return value

    def integer(self, name: str, default: int, minimum: int = 1) -> int:
        """A whole number option: an integer, or a string of digits."""
        value = self.values.get(name, default)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise SpecError(f"{self.display}: option {name} must be a whole number >= {minimum}, "
                            f"not {value!r}")
        return value

    def mapping(self, name: str) -> dict[str, str | None]:
        """Schema name -> column name: ``a:col_a,b:col_b`` or a TOML table ``{a = "col_a"}``.

        An empty column (``phone:`` or ``phone = ""``) means "no such column": the value is
        always missing.
        """
        return column_mapping(self.values.get(name), self.display, name, empty=True)

    def connect(self) -> dict[str, str]:
        """Driver parameters: ``connect.NAME=VALUE`` options and a ``connect`` table."""
        result: dict[str, str] = {}
        table = self.values.get("connect")
        if table is not None:
            if not isinstance(table, Mapping):
                raise SpecError(f"{self.display}: option connect must be a table of driver "
                                "parameters; in a spec write connect.NAME=VALUE")
            result.update({str(k): _scalar_text(v) for k, v in table.items()})
        for key, value in self.values.items():
            if key.startswith(CONNECT_PREFIX):
                result[key[len(CONNECT_PREFIX):]] = _scalar_text(value)
        return result


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@attrs.define
class Database:
    """One database named by a spec: its backend, URL and how messages name it."""
    backend: backends.Backend
    url: URL
    display: str                       # the spec as messages show it: never a password
    options: Options
    path: str | None = None            # file databases: the file
    secrets: tuple[str, ...] = ()      # texts to blank out of driver messages

    @classmethod
    def from_spec(cls, spec: Spec, known: tuple[str, ...], kind: str) -> "Database":
        """Parse ``spec`` for a ``kind`` ("source" or "sink") that knows options ``known``."""
        backend = backends.for_scheme(spec.scheme)
        location = spec.location.strip()
        if backend.file_based:
            return cls._file(spec, backend, location, known, kind)
        return cls._server(spec, backend, location, known)

    @classmethod
    def _file(cls, spec, backend, location, known, kind) -> "Database":
        display = f"{spec.scheme}:{location}"
        options = Options(spec.options, display, spec.scheme, known)
        if location.startswith("//"):
            try:
                path = make_url(f"{backend.name}:{location}").database or ""
            except sa.exc.ArgumentError:
                raise SpecError(f"{display}: not a database URL; write {spec.scheme}:PATH") from None
        else:
            path = location
        if not path or path == ":memory:" or path == "-":
            raise SpecError(f"{display}: give the path of a database file")
        if kind == "source" and not os.path.isfile(path):
            raise SpecError(f"{display}: no such database file: {path}")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise SpecError(f"{display}: the folder {folder} does not exist")
        url = URL.create(backend.name, database=path, query=options.connect())
        return cls(backend, url, display, options, path=path)

    @classmethod
    def _server(cls, spec, backend, location, known) -> "Database":
        if not location.startswith("//"):
            raise SpecError(f"{spec.scheme}:...: write {spec.scheme}://USER@HOST[:PORT]/DATABASE")
        try:
            url = make_url(f"{backend.driver}:{location}")
        except (sa.exc.ArgumentError, ValueError):
            url = None
        if spec.password is not None and (url is None or url.password != unquote(spec.password)):
            # a password holding '@', '?', '#' or '&': the driver would read another password,
            # host or database than the spec says (and a message could show a piece of it)
            raise SpecError(f"{spec.text}: the password holds a character that a URL cannot hold as it "
                            "is ('@', '?', '#', '&'); write it percent-encoded (%40 for @), or give it "
                            "with password_env=VARIABLE")
        display = (_redact(url, spec.scheme) if url is not None
                   else f"{spec.scheme}://{location.rpartition('@')[2].lstrip('/')}")
        if url is None or not url.host:
            raise SpecError(f"{display}: not a database URL; write "
                            f"{spec.scheme}://USER@HOST[:PORT]/DATABASE")
        options = Options(spec.options, display, spec.scheme, known)
        secrets = [url.password] if url.password else []
        variable = options.text("password_env")
        if variable:
            password = os.environ.get(variable)
            if password is None:
                raise SpecError(f"{display}: password_env={variable}, but the environment "
                                f"variable {variable} is not set")
            url = url.set(password=password)
            secrets.append(password)
            remember_secrets([password])
        connect = options.connect()
        secrets += [v for k, v in connect.items() if any(w in k.lower() for w in _SECRET_WORDS)]
        if not url.database:
            raise SpecError(f"{display}: name the database: "
                            f"{spec.scheme}://USER@HOST[:PORT]/DATABASE")
        url = url.update_query_dict(connect)
        return cls(backend, url, display, options, secrets=tuple(s for s in secrets if s))

    # ------------------------------------------------------------------ connections

    def engine(self) -> Engine:
        """A new engine (no pool: a closed connection is really closed, temporary tables too)."""
        defaults = {k: v for k, v in self.backend.connect_args().items() if k not in self.url.query}
        engine = sa.create_engine(self.url, poolclass=NullPool, hide_parameters=True,
                                  connect_args=defaults)
        self.backend.configure(engine)
        return engine

    def error(self, exc: BaseException) -> str:
        """A database error as one line for a message, without statement, parameters or secrets."""
        original = getattr(exc, "orig", None) or exc
        text = str(original)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        text = "; ".join(lines[:3]) or type(original).__name__
        return self.scrub(text)

    def scrub(self, text: str) -> str:
        """``text`` with every secret of the spec replaced by ``***``."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def fail(self, make: Callable[[str], Exception], what: str, exc: BaseException) -> Exception:
        """``make(message)`` for a failure of ``what``, naming the database, scrubbed."""
        return make(f"{self.display}: {what}: {self.error(exc)}")


def _redact(url: URL, scheme: str) -> str:
    shown = url.set(drivername=scheme, query={})
    return shown.render_as_string(hide_password=True)


def drop_connection(conn) -> None:
    """Close a connection in the middle of a result without reading the rest of it.

    (Closing a MySQL streaming cursor would first read every remaining row.)
    """
    try:
        conn.invalidate()
    except Exception:  # noqa: BLE001 - it is being thrown away
        pass
    try:
        conn.close()
    except Exception:  # noqa: BLE001
        pass
