"""``python -m scoredsl.cli``."""

from .main import main

main()
