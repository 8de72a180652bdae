"""Backends: the one seam between sixhats and any model (see `base.Backend`)."""
