"""``python -m scoredsl``."""

from scoredsl.cli.main import main

main()
