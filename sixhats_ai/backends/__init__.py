"""Backends: the one seam between sixhats and any model (see `base.Backend`).

How long a request may take and how often a failed one is sent again, by default: here, so
that the run's options (`run/options.py`) read them without importing a backend.
"""

DEFAULT_TIMEOUT_SECONDS = 120.0
DEFAULT_MAX_RETRIES = 2
