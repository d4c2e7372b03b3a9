"""Plugins that ship with scoredsl, registered through the ``scoredsl`` entry-point group like
any third-party plugin (see :mod:`scoredsl.plugins.manager`)."""
