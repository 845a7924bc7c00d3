"""Test configuration: Hypothesis profiles; a clean terminal environment under xdist.

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

if os.environ.get("PYTEST_XDIST_WORKER"):
    # xdist's workers inherit COLUMNS=80 / LINES=24 from execnet; dctwin reads COLUMNS as
    # the user's terminal width, so drop them (the tests that mean a width set their own)
    for _name in ("COLUMNS", "LINES"):
        os.environ.pop(_name, None)
