"""Shared test configuration: Hypothesis profiles.

``ci`` (selected when the environment has ``CI`` set, as ``.ci/run`` does): derandomized, so a CI run is
reproducible, a fixed number of examples and no deadline (shared 2-core machines have noisy timings).
``dev`` (the default): random examples, also without a deadline. ``thorough``: many more examples, chosen
with ``HYPOTHESIS_PROFILE=thorough``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=40,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
