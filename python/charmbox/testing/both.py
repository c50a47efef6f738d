"""A pytest plugin: the ``testing`` fixture, once ``ops.testing`` and once
``charmbox.testing``, so that every test of a charm runs under both.

Use it with ``pytest_plugins = ["charmbox.testing.both"]`` in conftest.py,
and write tests against the fixture (``testing.Context``, ``testing.State``).
"""

from __future__ import annotations

import pytest
from ops import testing as ops_testing

from charmbox import testing as charmbox_testing


@pytest.fixture(params=["ops.testing", "charmbox.testing"])
def testing(request):
    """ops.testing, then charmbox.testing."""
    return ops_testing if request.param == "ops.testing" else charmbox_testing


@pytest.fixture
def under_charmbox(testing) -> bool:
    """Whether this run of the test is charmbox.testing's."""
    return testing is charmbox_testing
