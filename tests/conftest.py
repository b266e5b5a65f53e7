"""Shared settings for pglib's tests (the browser test lives in tests/browser and runs separately)."""
import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("pglib", max_examples=40, deadline=None, derandomize=True)
settings.load_profile("pglib")

collect_ignore = ["browser"]


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
