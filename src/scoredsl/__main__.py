"""``python -m scoredsl``."""

from .cli.main import main

main()
