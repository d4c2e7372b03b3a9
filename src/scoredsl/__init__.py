"""scoredsl: lead scoring models as code."""

from importlib.metadata import PackageNotFoundError, version

from scoredsl.plugins.hookspecs import hookimpl

try:
    __version__ = version("scoredsl")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__", "hookimpl"]
