from __future__ import annotations

import os
from pathlib import Path

import pytest

from tiny_models import TEST_DATA, build_tiny_encoder

os.environ.setdefault("XLIE_PROGRESS", "0")


@pytest.fixture(scope="session")
def test_data() -> Path:
    """Slices of real data committed under tests/data (sources and licences in SOURCE.md)."""
    return TEST_DATA


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-bert"), kind="bert")


@pytest.fixture(scope="session")
def tiny_xlmr(tmp_path_factory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-xlmr"), kind="xlmr")


@pytest.fixture(scope="session")
def e5_small() -> Path:
    """The real offline encoder, built once into XLIE_HOME (slow tests only)."""
    from xlie.models import build_builtin
    return build_builtin("e5-small")
