"""scoredsl: lead scoring models as code."""

from scoredsl.plugins.hookspecs import hookimpl

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str):
    # the version is read from the installed distribution's metadata only when asked for:
    # importing importlib.metadata costs every command that does not print it
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("scoredsl")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'scoredsl' has no attribute {name!r}")
