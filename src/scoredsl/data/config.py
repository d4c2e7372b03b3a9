"""The project configuration file, ``scoredsl.toml``: named sources and sinks.

```toml
[defaults]
source = "crm"                # used when --source is not given
sink = "warehouse"

[sources.crm]
spec = "postgresql://scoring@db.internal:5432/crm"
contacts = "crm_contacts"     # every other key is an option of the spec
columns = { job_title = "title", employees = "num_employees" }

[sinks.warehouse]
spec = "postgresql://scoring:${WAREHOUSE_PASSWORD}@db.internal/analytics"
table = "lead_scores"

[state]                       # what runs remember (docs/state.md)
path = "scoredsl-state.sqlite"  # the default, next to this file; or url = "postgresql://..."
keep = "400d"                 # history kept; each contact's latest record is always kept
```

``--source crm`` then means that source. Every string value may use ``${NAME}`` for the
environment variable ``NAME`` (``$$`` is a literal ``$``), so CI keeps secrets out of command
lines and files. A variable that is not set is an error naming the variable. Messages only ever
show a spec as written in the file (with ``${...}``, never the value), and a password written
directly into a URL is shown as ``***``.

The file is found in the working directory or the nearest parent directory that has one;
``--config PATH`` names it explicitly.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping

import attrs

from scoredsl.data.specs import Spec, SpecError, parse_spec, redact

FILE_NAME = "scoredsl.toml"
_VARIABLE = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)\})")


class ConfigError(Exception):
    """The configuration file is missing, unreadable or inconsistent."""


@attrs.frozen(kw_only=True)
class Config:
    path: str | None
    sources: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    sinks: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    defaults: Mapping[str, str] = attrs.field(factory=dict)
    spark: Mapping[str, Any] = attrs.field(factory=dict)
    state: Mapping[str, Any] = attrs.field(factory=dict)
    actions: tuple = ()                       # the [[actions]] tables, as written

    def action_entries(self, environ: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """``[[actions]]`` with ``${NAME}`` filled in from the environment."""
        env = os.environ if environ is None else environ
        return [_interpolate_all(dict(entry), env, f"{self.path}: [[actions]] #{i + 1}")
                for i, entry in enumerate(self.actions)]

    def state_path(self) -> str | None:
        """Where the state store is: ``[state] path`` (relative to this file), by default
        :data:`~scoredsl.data.state.DEFAULT_FILE` next to it; ``None`` when there is no file,
        or ``[state] enabled = false``."""
        if self.path is None or self.state.get("enabled", True) is False or "url" in self.state:
            return None
        where = Path(self.path).parent
        from scoredsl.data.state import DEFAULT_FILE      # (the state stores, only when asked)

        return str(where / self.state.get("path", DEFAULT_FILE))

    def state_url(self, environ: Mapping[str, str] | None = None) -> str | None:
        """``[state] url``: a database that keeps state (``postgresql://...``), ``${NAME}``
        filled in; ``None`` when the store is a SQLite file."""
        url = self.state.get("url")
        if url is None or self.state.get("enabled", True) is False:
            return None
        return interpolate(url, os.environ if environ is None else environ, f"{self.path}: [state]")

    def state_keep(self) -> int | None:
        """``[state] keep`` (``"400d"``) in microseconds; ``None``: keep every record."""
        keep = self.state.get("keep")
        if keep is None:
            return None
        match = re.fullmatch(r"(\d+)d", str(keep))
        if not match or int(match.group(1)) < 1:
            raise ConfigError(f"{self.path}: [state] keep = {keep!r}: give a number of days, like \"400d\"")
        return int(match.group(1)) * 86_400_000_000

    def spark_settings(self, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """``[spark]``: ``master`` (``local[4]``, ``spark://host:7077``, ``yarn``) or ``remote``
        (a Spark Connect URL, ``sc://host:15002``), and ``conf`` (Spark settings)."""
        env = os.environ if environ is None else environ
        return _interpolate_all(dict(self.spark), env, f"{self.path}: [spark]")

    def spec(self, text: str, kind: str, environ: Mapping[str, str] | None = None) -> Spec:
        """The spec for ``--source``/``--sink`` TEXT: a name from this file, or a spec itself."""
        table = self.sources if kind == "source" else self.sinks
        if text not in table:
            return parse_spec(text, kind)
        entry = table[text]
        where = f"{self.path}: [{kind}s.{text}]"
        written = entry.get("spec")
        if not isinstance(written, str):
            raise ConfigError(f"{where} needs spec = \"SCHEME:LOCATION\"")
        env = os.environ if environ is None else environ
        parsed = parse_spec(interpolate(written, env, where), kind)
        options = dict(parsed.options)
        for key, value in entry.items():
            if key == "spec":
                continue
            if key in options:
                raise ConfigError(f"{where}: option {key!r} is given both in the spec and as a key")
            options[key] = _interpolate_all(value, env, where)
        return Spec(scheme=parsed.scheme, location=parsed.location, options=options, text=redact(written),
                    secrets=parsed.secrets, password=parsed.password)

    def default(self, kind: str) -> str | None:
        return self.defaults.get(kind)


def interpolate(value: str, environ: Mapping[str, str], where: str) -> str:
    def substitute(match: re.Match) -> str:
        if match.group(1) == "$":
            return "$"
        name = match.group(2)
        if name not in environ:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        return environ[name]
    return _VARIABLE.sub(substitute, value)


def _interpolate_all(value: Any, environ, where) -> Any:
    if isinstance(value, str):
        return interpolate(value, environ, where)
    if isinstance(value, dict):
        return {k: _interpolate_all(v, environ, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate_all(v, environ, where) for v in value]
    return value


def find(start: str | os.PathLike | None = None) -> Path | None:
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def project_folder(start: str | os.PathLike | None = None) -> Path:
    """The project's folder: where scoredsl.toml is, found from ``start`` (default: this
    folder) upwards; else ``start`` itself."""
    found = find(start)
    return found.parent if found is not None else Path(start or os.getcwd()).resolve()


_NOT_PROJECT = {"node_modules", "venv", "site-packages", "build", "dist", "__pycache__"}


def rule_files(top: str | os.PathLike) -> list[Path]:
    """Every ``*.score`` below ``top``, in order; hidden folders and virtual environments aside."""
    files = []
    for folder, subfolders, names in os.walk(top):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in _NOT_PROJECT)
        files += [Path(folder, n) for n in sorted(names) if n.endswith(".score")]
    return files


def load(path: str | os.PathLike | None = None) -> Config:
    """The configuration at ``path``, or the one found from the working directory, or none."""
    if path is None:
        found = find()
        if found is None:
            return Config(path=None)
        path = found
    shown = os.path.relpath(path) if Path(path).is_absolute() else str(path)
    import tomllib          # (here: a rule file outside a project is checked without a TOML reader)

    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{shown} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"sources", "sinks", "defaults", "spark", "state", "actions"})
    if unknown:
        raise ConfigError(f"{shown}: unknown section(s) {', '.join(unknown)}; expected sources, sinks, defaults, "
                          "spark, state, actions")
    actions = data.get("actions", [])
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        raise ConfigError(f"{shown}: actions are tables: write each as [[actions]]")
    state = data.get("state", {})
    if not isinstance(state, dict) or set(state) - {"path", "url", "keep", "enabled"}:
        raise ConfigError(f"{shown}: [state] takes path or url, keep and enabled")
    if not isinstance(state.get("path", ""), str) or not isinstance(state.get("url", ""), str) \
            or not isinstance(state.get("enabled", True), bool):
        raise ConfigError(f"{shown}: [state] path is a file path, url a database URL (strings), enabled is "
                          "true or false")
    if "path" in state and "url" in state:
        raise ConfigError(f"{shown}: [state] takes path (a SQLite file) or url (a database), not both")
    spark = data.get("spark", {})
    if set(spark) - {"master", "remote", "conf"} or ("master" in spark and "remote" in spark):
        raise ConfigError(f"{shown}: [spark] takes master or remote, and conf")
    for section in ("sources", "sinks"):
        for name, entry in data.get(section, {}).items():
            if not isinstance(entry, dict):
                raise ConfigError(f"{shown}: [{section}.{name}] must be a table with spec = \"...\"")
    defaults = data.get("defaults", {})
    if set(defaults) - {"source", "sink", "company_sink"}:
        raise ConfigError(f"{shown}: [defaults] takes source, sink and company_sink")
    config = Config(path=shown, sources=data.get("sources", {}), sinks=data.get("sinks", {}), defaults=defaults,
                    spark=spark, state=state, actions=tuple(actions))
    config.state_keep()
    return config


__all__ = ["Config", "ConfigError", "load", "find", "interpolate", "SpecError"]
