"""The ``scoredsl`` command line: one small module per command, shared options in ``options``."""
