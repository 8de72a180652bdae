"""Backends: the one seam between sixhats and any model (see `base.Backend`).

How long a request may take and how often a failed one is sent again, by default: here, so
that the run's options (`run/options.py`) read them without importing a backend.
"""

DEFAULT_TIMEOUT_SECONDS = 120.0
DEFAULT_MAX_RETRIES = 2


def verifies_tls(url: str | None) -> bool:
    """Whether a client for `url` needs the CA bundle: a plain-HTTP server (a local one, or a
    test's stand-in) has no TLS to verify, and loading the bundle costs each client ~40 ms."""
    return not (url or "").startswith("http:")
