"""Test set-up: quiet TensorFlow, the Keras 3 backend, shared fixtures, and two
rules every test obeys.

* A test must reach an assertion: one that passes without a single `assert`
  or `pytest.raises` having checked something (an early return, a loop over
  nothing) fails. Pytest reports each passing assertion to
  `pytest_assertion_pass` (the helpers in `support/` are rewritten too, so
  their assertions count); a `pytest.raises` block that caught what it expects
  counts as one.
* No stage of the pipeline fails on any layer of any report a test makes: a
  stage that fails degrades (the layer's fact unknown, a finding says so), which
  is for users; in the tests it is a bug that must not hide. A test that makes a
  stage fail on purpose says so with `@pytest.mark.stage_failure`.
* Hypothesis runs derandomized in CI (`CI` set): every run tries the same
  examples, so a failure there reproduces by running again, and the failing
  example's blob is printed for `@reproduce_failure`. On a developer's machine
  it explores at random and replays both its own failures and the examples that
  once failed anywhere (tests/data/hypothesis/, committed).

Models are built by Keras itself inside the test run; nothing is mocked.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import pytest
from _pytest.raises import RaisesExc
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase, MultiplexedDatabase, ReadOnlyDatabase

from kerascope import pipeline

pytest.register_assert_rewrite("support")

_FOUND_FAILING = Path(__file__).parent / "data" / "hypothesis"
settings.register_profile(
    "ci",
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    print_blob=True,
    database=MultiplexedDatabase(
        DirectoryBasedExampleDatabase(Path(__file__).parents[1] / ".hypothesis" / "examples"),
        ReadOnlyDatabase(DirectoryBasedExampleDatabase(_FOUND_FAILING)),
    ),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# -- every test reaches an assertion --------------------------------------------------
_ASSERTIONS = pytest.StashKey[int]()
_running: list[pytest.Item] = []


def _count(item: pytest.Item) -> None:
    item.stash[_ASSERTIONS] = item.stash.get(_ASSERTIONS, 0) + 1


def pytest_assertion_pass(item: pytest.Item, lineno: int, orig: str, expl: str) -> None:
    _count(item)


def _counting_exit(exit_raises):
    def __exit__(self, *exc_info):
        suppressed = exit_raises(self, *exc_info)
        if suppressed and _running:
            _count(_running[-1])
        return suppressed

    return __exit__


RaisesExc.__exit__ = _counting_exit(RaisesExc.__exit__)


# -- no stage of the pipeline fails on a layer --------------------------------------------
# Every stage failure passes through `pipeline.failure_findings` on its way into a
# report; it is noted here too, and the test that caused it (its fixtures' reads
# included) fails.
_stage_failures: list = []
_failure_findings = pipeline.failure_findings


def _noting_failures(failures, debug):
    _stage_failures.extend(failures)
    return _failure_findings(failures, debug)


pipeline.failure_findings = _noting_failures


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    _running.append(item)
    try:
        result = yield
    finally:
        _running.pop()
        failed, _stage_failures[:] = list(_stage_failures), []
    if failed and item.get_closest_marker("stage_failure") is None:
        named = "; ".join(f"{f.stage} on {f.path or '(model)'}: {f.error!r}" for f in failed)
        pytest.fail(f"{item.nodeid}: a stage failed on a layer (a bug in kerascope): {named}", pytrace=False)
    if item.stash.get(_ASSERTIONS, 0) == 0:
        pytest.fail(f"{item.nodeid} passed without reaching an assertion", pytrace=False)
    return result


# -- frameworks -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def keras3():
    import keras

    assert keras.__version__.startswith("3"), keras.__version__
    return keras


@pytest.fixture(scope="session")
def tf_keras():
    import tf_keras

    return tf_keras


@pytest.fixture(scope="session")
def zoo(keras3, tf_keras, tmp_path_factory):
    """The model zoo saved by real Keras in every format, each file made on first use."""
    from support.saved_files import SavedZoo

    return SavedZoo(tmp_path_factory.mktemp("zoo"))


@pytest.fixture
def sentinel(tmp_path):
    """A file the payloads of hostile files would create: it must not exist after the test."""
    path = tmp_path / "sentinel"
    yield path
    assert not path.exists(), "something in a hostile file ran"


@pytest.fixture(scope="session", params=["keras", "tf_keras"])
def any_keras(request):
    """Each Keras generation the live walk supports: Keras 3 and legacy tf_keras 2."""
    return request.getfixturevalue("keras3" if request.param == "keras" else "tf_keras")


@pytest.fixture(scope="session")
def load_truths(tmp_path_factory):
    """What Keras itself does with every load-check pair (support/load_pairs.py),
    observed once per run by the real loaders in their own processes
    (support/load_truth.py): pair id → Truth."""
    from support.load_pairs import PAIRS
    from support.load_truth import observe_all

    return observe_all(PAIRS, tmp_path_factory.mktemp("load_truth"))
