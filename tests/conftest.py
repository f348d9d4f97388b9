from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tiny_models import TEST_DATA, build_tiny_encoder

os.environ.setdefault("XLIE_PROGRESS", "0")

# A test run started in the background of a script (`make test &`) inherits SIGINT ignored,
# and so would every process the tests start, so Ctrl-C sent to them would be lost: the tests
# that check what Ctrl-C does need it delivered (a handler, unlike SIG_IGN, is not inherited).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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
