"""Test configuration: Hypothesis profiles.

Locally, property tests draw new examples on every run (and keep failures in the
example database). Under CI (``CI`` set, as ``.ci/run`` is run) they are
derandomised, so a landing is decided by the code, not by the luck of the draw;
the random runs at the desks keep exploring.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
