"""Shared pytest fixtures: only the headless-Chromium browser for the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# tests/data holds fixtures and the scripts that rebuild them from the source data: not tests
collect_ignore_glob = ["data/*"]


@pytest.fixture(scope="session")
def offline_browser() -> Iterator[Any]:
    """A headless Chromium (network blocked per page); skips without Chromium unless CI=true."""
    try:  # tests/ is on sys.path (rootdir conftest, no package) ...
        from browser import OfflineBrowser, require_chromium
    except ImportError:  # ... or tests is a package
        from tests.browser import OfflineBrowser, require_chromium
    exe = require_chromium()
    browser = OfflineBrowser(exe)
    yield browser
    browser.close()
