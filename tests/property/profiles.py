"""Hypothesis profiles for the property tests, chosen with HYPOTHESIS_PROFILE.

``quick`` (the default, 300 examples) keeps the suite fast; ``ci`` runs 2 000 and ``long``
20 000 examples per property for soak runs. ``TIMEOUT`` is the per-test pytest-timeout
that goes with the chosen profile (0 = none).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "quick")
_TIMEOUTS = {"quick": 120, "ci": 900, "long": 0}
TIMEOUT = _TIMEOUTS.get(PROFILE, 0)

settings.register_profile("quick", max_examples=300, deadline=None)
settings.register_profile("ci", max_examples=2_000, deadline=None)
settings.register_profile(
    "long", max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def load() -> None:
    """Activate the profile named by HYPOTHESIS_PROFILE."""
    settings.load_profile(PROFILE)
