"""Work done aside in a forked child (``s3audit.aside``): its files are written, its errors are the parent's,
and a child that dies fails the run instead of leaving it recorded without its files."""
from __future__ import annotations

import os
import pickle
import signal

import pytest

from s3audit.aside import Aside, available
from s3audit.errors import OutputError, Place

pytestmark = pytest.mark.skipif(not available(), reason="work aside runs in a forked child only on Linux")


def test_the_child_writes_while_the_parent_goes_on(tmp_path):
    target = tmp_path / "aside.txt"
    with Aside() as aside:
        aside.start(lambda: target.write_text(f"written by {os.getpid()}"), what="aside.txt")
        mine = os.getpid()
    assert target.read_text().startswith("written by ") and target.read_text() != f"written by {mine}"


def test_an_error_in_the_child_is_raised_in_the_parent_as_it_was(tmp_path):
    def fail():
        raise OutputError("cannot write: disk full", Place(str(tmp_path / "report.html")))
    with pytest.raises(OutputError, match="report.html: cannot write: disk full"):
        with Aside() as aside:
            aside.start(fail, what="report.html")


def test_a_child_that_dies_fails_the_wait():
    with pytest.raises(RuntimeError, match=r"findings.sarif ended before it had written it \(killed by SIGKILL\)"):
        with Aside() as aside:
            aside.start(lambda: os.kill(os.getpid(), signal.SIGKILL), what="findings.sarif")


def test_children_still_running_when_the_block_fails_are_killed(tmp_path):
    marker = tmp_path / "late"

    def slow():
        import time
        time.sleep(30)
        marker.write_text("too late")
    with pytest.raises(KeyError):
        with Aside() as aside:
            aside.start(slow, what="late")
            raise KeyError("the parent failed")
    assert aside._children == [] and not marker.exists()


def test_what_the_child_returns_comes_back_once_waited_for():
    with Aside() as aside:
        got = aside.start(lambda: {"pid": os.getpid(), "rows": list(range(1000))}, what="an index")
        assert got.value is None  # not before the wait
    assert got.value["rows"] == list(range(1000)) and got.value["pid"] != os.getpid()


def test_a_value_that_cannot_travel_is_an_error_in_the_parent():
    # the pickling error itself, as the child met it
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError), match="(?i)pickle"):
        with Aside() as aside:
            aside.start(lambda: (lambda: None), what="a function")


def test_no_more_children_run_at_once_than_allowed(tmp_path):
    # each child copies what it touches of the parent's memory: a third waits for the first to end
    import time
    with Aside(at_most=2) as aside:
        first = aside.start(lambda: time.time(), what="first")
        time.sleep(0.2)
        aside.start(lambda: time.sleep(0.5) or time.time(), what="second")
        started = time.time()
        third = aside.start(lambda: time.time(), what="third")
        assert first.value is not None and first.value <= started  # the first was reaped before the third began
    assert third.value >= started


def test_when_a_child_fails_the_others_are_stopped_before_the_error_is_raised(tmp_path):
    # a run whose writer failed is not recorded: its other writers must not go on writing into it
    marker = tmp_path / "late"

    def fail():
        raise OutputError("cannot write: disk full", Place(str(tmp_path / "findings.json")))

    def slow():
        import time
        time.sleep(1)
        marker.write_text("written after the run had failed")
    import time
    began = time.monotonic()
    with pytest.raises(OutputError, match="disk full"):
        with Aside(at_most=3) as aside:
            aside.start(fail, what="findings.json")
            aside.start(slow, what="report.html")
    assert aside._children == []
    time.sleep(max(0.0, began + 1.5 - time.monotonic()))  # past the time it would have written
    assert not marker.exists()  # killed, not left running
