"""Shared pytest fixtures: the corpora folder beside the checkout, small built circuits."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPORA = (REPO / ".." / "shared" / "corpora").resolve()


@pytest.fixture(scope="session")
def corpora() -> Path:
    """`../shared/corpora` relative to the repository root (skips the test when absent)."""
    if not CORPORA.is_dir():
        pytest.skip(f"corpora not found at {CORPORA}")
    return CORPORA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (for examples/ and the like)."""
    return REPO
