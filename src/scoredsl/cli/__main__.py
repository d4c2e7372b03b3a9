"""``python -m scoredsl.cli``."""

from scoredsl.cli.main import main

main()
