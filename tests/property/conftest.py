"""Loads the hypothesis profile named by HYPOTHESIS_PROFILE (see profiles.py)."""

from __future__ import annotations

from .profiles import load

load()
