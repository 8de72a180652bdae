"""The version, in a module of its own: the modules below the package's facade read it from
here, not from `sixhats_ai`, whose `analyze` re-export would close an import circle."""

__version__ = "0.1.0"
