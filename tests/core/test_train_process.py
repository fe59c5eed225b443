"""The fit of a round in the app's training process (aldesk.core.train_process).

Each test has its own child process (a fresh ``TrainProcess``), shut down at its end.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
from multiprocessing import reduction

import numpy as np
import pytest
from process_waits import wait_gone
from sklearn.datasets import make_classification

from aldesk.core import shared_pool, train_process
from aldesk.core.learner import TrainingSnapshot
from aldesk.core.ranking import RankRequest
from aldesk.core.representation import Layout
from aldesk.core.rounds import TrainingJob, run_round
from aldesk.core.training_rows import PoolRows

N_CLASSES = 4
pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="waits with a pidfd")


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=1200, n_features=24, n_informative=10, n_classes=3,
        n_clusters_per_class=1, random_state=0,
    )  # fmt: skip
    return X.astype(np.float32), y


@pytest.fixture
def client(monkeypatch):
    """A fresh training process, also the one ``train_process.run_round`` uses."""
    fresh = train_process.TrainProcess()
    monkeypatch.setattr(train_process, "_CLIENT", fresh)
    yield fresh
    fresh.shutdown()


def _job(X, y, n_labels: int, model: str = "logreg", previous_choice=None) -> TrainingJob:
    snapshot = TrainingSnapshot(
        X[:n_labels], y[:n_labels], N_CLASSES, model=model, previous_choice=previous_choice
    )
    # two blocks: the representation is chosen by cross-validation, in the child
    layout = Layout({"pool": (0, 12), "pretrained": (12, X.shape[1])})
    request = RankRequest(
        snapshot, X, np.arange(n_labels, len(X)), "margin", k=4, round=2, random_state=1,
        layout=layout, representation="auto",
    )  # fmt: skip
    return TrainingJob(request)


def _assert_same_ranking(got, expected) -> None:
    assert got is not None and expected is not None
    np.testing.assert_array_equal(got.ranking.order, expected.ranking.order)
    np.testing.assert_allclose(got.ranking.scores, expected.ranking.scores, rtol=1e-6)
    np.testing.assert_allclose(got.ranking.proba, expected.ranking.proba, rtol=1e-6, atol=1e-7)
    assert got.ranking.choice.name == expected.ranking.choice.name
    assert got.ranking.strategy == expected.ranking.strategy


def test_the_process_ranks_as_the_thread_does(client, data):
    X, y = data
    inline = run_round(_job(X, y, 300))
    in_process = train_process.run_round(_job(X, y, 300))
    _assert_same_ranking(in_process, inline)
    assert client.fits == 1 and client.pid not in (None, os.getpid())
    assert in_process.failure is None
    assert client._memory is None  # the labels' matrix is not kept in shared memory


def test_a_superseded_fit_is_dropped_and_the_next_gets_its_own_model(client, data):
    X, y = data
    calls = []

    def stop_once_sent() -> bool:  # a newer request arrives while the child fits
        calls.append(1)
        return len(calls) >= 2  # the first call is the round's own, before the fit

    assert train_process.run_round(_job(X, y, 400), stop_once_sent) is None
    # the cancelled job's reply (a model or "stopped") is read and dropped, never returned
    second = train_process.run_round(_job(X, y, 200))
    _assert_same_ranking(second, run_round(_job(X, y, 200)))
    assert client.fits == 1


def test_a_child_killed_between_rounds_is_replaced_with_a_notice(client, data):
    X, y = data
    train_process.run_round(_job(X, y, 200))
    pid = client.pid
    os.kill(pid, signal.SIGKILL)
    client._process.join(30)  # until its exit is known here (the fork server reports it)
    result = train_process.run_round(_job(X, y, 250))
    assert result.failure.startswith("The training process had stopped (killed by SIGKILL")
    assert "\n" not in result.failure
    _assert_same_ranking(result, run_round(_job(X, y, 250)))
    assert client.pid not in (None, pid) and client.fits == 2
    assert train_process.run_round(_job(X, y, 260)).failure is None


class _DiesWhenRead:
    """Unpickled in the child, it kills the child: a death in the middle of a round. Read in
    the app's own thread (the fallback) it is a previous choice never measured: not kept."""

    name = None
    scores: dict = {}
    recorded = False
    pinned = None

    def __reduce__(self):
        return signal.raise_signal, (signal.SIGKILL,)


def test_a_child_dying_during_a_round_falls_back_to_the_thread(client, data):
    X, y = data
    client.start()
    pid = client.pid
    # the killer is not kept as the representation, so the round in the thread is an ordinary one
    result = train_process.run_round(_job(X, y, 150, "svm", previous_choice=_DiesWhenRead()))
    assert result.failure == (
        "The training process stopped (killed by SIGKILL, perhaps out of memory); this round "
        "was trained in the app, and the next one starts a new process."
    )
    _assert_same_ranking(result, run_round(_job(X, y, 150, "svm")))
    assert client.fits == 0
    assert wait_gone(pid)
    again = train_process.run_round(_job(X, y, 150, "svm"))
    assert again.failure is None and client.fits == 1 and client.pid != pid


def test_an_error_in_the_child_reaches_the_caller(client, data):
    X, y = data
    job = _job(X, np.full_like(y, N_CLASSES + 3), 100)  # labels that are no class index
    with pytest.raises(ValueError, match="labels must be class indices"):
        train_process.run_round(job)
    assert train_process.run_round(_job(X, y, 100)).failure is None  # the child still serves


def test_shutdown_leaves_no_process_behind(client):
    client.start()
    pid = client.pid
    assert pid is not None
    client.shutdown()
    assert wait_gone(pid, timeout=0)  # already gone when shutdown returns
    assert client.pid is None


_CRASHING_APP = """
import os, signal
from aldesk.core import train_process
train_process.start()
print(train_process.client().pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_child_exits_when_the_app_crashes():
    app = subprocess.run(
        [sys.executable, "-c", _CRASHING_APP], capture_output=True, text=True, timeout=120
    )
    assert app.returncode == -signal.SIGKILL
    pid = int(app.stdout.split()[0])
    assert wait_gone(pid)


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="Unix priorities")
def test_the_child_runs_below_the_apps_priority(client):
    client.start()
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, client.pid) == min(
        19, ours + train_process.CHILD_NICENESS
    )


def test_a_round_cut_off_by_the_apps_exit_is_dropped_not_trained_in_the_app(
    client, data, monkeypatch
):
    # The exit hook shuts the process down while the lane's thread is in a round: the round
    # is dropped (None), not fitted again in the app as if the child had died.
    import threading

    X, y = data
    client.start()
    allocated, shut = threading.Event(), threading.Event()
    room = client._room

    def room_then_wait(nbytes):
        memory = room(nbytes)
        allocated.set()
        shut.wait(30)
        return memory

    monkeypatch.setattr(client, "_room", room_then_wait)
    results = []
    lane = threading.Thread(target=lambda: results.append(train_process.run_round(_job(X, y, 150))))
    lane.start()
    assert allocated.wait(30)
    client.shutdown()
    shut.set()
    lane.join(30)
    assert results == [None] and client.fits == 0


# ------------------------------------------------------- the pool matrix in shared memory
def _shared(X: np.ndarray) -> np.ndarray:
    """``X`` copied into shared memory, read-only as the session holds it."""
    pool = shared_pool.empty(X.shape)
    pool[:] = X
    view = pool.view()
    view.setflags(write=False)
    return view


def _pool_job(X_pool: np.ndarray, y: np.ndarray, n_labels: int, **job_args) -> TrainingJob:
    """``_job``'s round with the labels named as rows of ``X_pool``; one of them is a
    synthesized item's own vector (row -1)."""
    rows = np.arange(n_labels)
    rows[5] = -1
    job = _job(X_pool, y, n_labels, **job_args)
    rows_only = PoolRows.of(X_pool, rows, {5: np.array(X_pool[5])})
    snapshot = dataclasses.replace(job.request.snapshot, X=rows_only)
    return TrainingJob(dataclasses.replace(job.request, snapshot=snapshot))


def test_the_child_gathers_the_labels_rows_from_the_shared_pool_matrix(client, data, monkeypatch):
    X, y = data
    sent = []
    real_send = reduction.send_handle
    monkeypatch.setattr(reduction, "send_handle", lambda *a: sent.append(a) or real_send(*a))

    def no_job_memory(nbytes):
        raise AssertionError("the rows were copied for the job")

    monkeypatch.setattr(client, "_room", no_job_memory)
    X_pool = _shared(X)
    assert shared_pool.segment_of(X_pool) is not None and not client.pool_mapped
    for n_labels in (300, 310):  # the second round maps nothing new
        got = train_process.run_round(_pool_job(X_pool, y, n_labels))
        _assert_same_ranking(got, run_round(_job(X, y, n_labels)))
        _assert_same_ranking(got, run_round(_pool_job(X_pool, y, n_labels)))  # in the app
        assert got.ranking.model.estimator is None  # its folded scorer does all the work
    assert client.fits == client.ranks == 2 and len(sent) == 1 and client.pool_mapped
    other = _shared(X[::-1] * 0.5)  # new features: the child maps the new matrix
    got = train_process.run_round(_pool_job(other, y, 300))
    _assert_same_ranking(got, run_round(_job(np.array(other), y, 300)))
    assert client.fits == 3 and len(sent) == 2


def test_without_shared_memory_the_rows_go_in_memory_made_for_the_job(client, data, monkeypatch):
    X, y = data

    def no_memfd(*args):
        raise OSError("not here")

    monkeypatch.setattr(os, "memfd_create", no_memfd)
    X_pool = _shared(X)
    assert shared_pool.segment_of(X_pool) is None
    rooms = []
    real_room = client._room
    monkeypatch.setattr(client, "_room", lambda nbytes: rooms.append(nbytes) or real_room(nbytes))
    got = train_process.run_round(_pool_job(X_pool, y, 300))
    _assert_same_ranking(got, run_round(_job(X, y, 300)))
    assert client.fits == 1 and rooms == [300 * X.shape[1] * 4]


def test_a_child_dying_while_it_ranks_falls_back_to_the_thread(client, data):
    X, y = data
    X_pool = _shared(X)
    client.start()
    pid = client.pid
    job = _pool_job(X_pool, y, 150, model="svm", previous_choice=_DiesWhenRead())
    result = train_process.run_round(job)
    assert result.failure.startswith("The training process stopped (killed by SIGKILL")
    _assert_same_ranking(result, run_round(_job(X, y, 150, "svm")))
    assert client.ranks == 0 and wait_gone(pid)
    again = train_process.run_round(_pool_job(X_pool, y, 150, model="svm"))
    assert again.failure is None and client.ranks == 1 and client.pid != pid


_APP_WITHOUT_SCIKIT_LEARN = """
import sys
import numpy as np
from aldesk.core import shared_pool, train_process
from aldesk.core.learner import TrainingSnapshot
from aldesk.core.ranking import RankRequest
from aldesk.core.rounds import TrainingJob
from aldesk.core.training_rows import PoolRows

rng = np.random.default_rng(0)
y = rng.integers(0, 3, 600)
X = shared_pool.empty((600, 8))
X[:] = rng.normal(size=(600, 8)) + y[:, None]
choice = None
for n in (60, 65):  # the second round is given the first one's representation choice
    snapshot = TrainingSnapshot(PoolRows.of(X, np.arange(n), {}), y[:n], 3, previous_choice=choice)
    request = RankRequest(snapshot, X, np.arange(n, 600), "tcm", k=5, round=n)
    result = train_process.run_round(TrainingJob(request))
    choice = result.ranking.choice
    assert result.failure is None and len(result.ranking.order) == 200
    assert result.ranking.model.predict_proba(X[:3]).shape == (3, 3)
assert train_process.client().ranks == 2
train_process.shutdown()
print("scikit-learn imported:", "sklearn" in sys.modules)
"""


def test_rounds_ranked_in_the_training_process_leave_scikit_learn_out_of_the_app():
    # ~160 MB resident that the app would otherwise hold for good
    out = subprocess.run(
        [sys.executable, "-c", _APP_WITHOUT_SCIKIT_LEARN], capture_output=True, text=True,
        timeout=300, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "scikit-learn imported: False"


def test_a_rankings_probabilities_cross_the_pipe_in_pieces_as_they_were():
    """The probabilities for every pool row follow the reply as raw bytes, PIECE at a time
    (inside the pickle they were a second whole copy on each side)."""
    import multiprocessing

    from aldesk.core.ranking import Ranking
    from aldesk.core.train_child import PIECE, receive_reply, send_reply

    rng = np.random.default_rng(0)
    proba = rng.random((PIECE // 4 // 7 * 3 + 11, 7)).astype(np.float32)  # ~3 pieces, ragged
    ranking = Ranking(4, np.arange(5), np.ones(5), proba, "margin", 0.1, 0.2)
    here, there = multiprocessing.Pipe()

    def send() -> None:  # from a thread: the pipe holds less than the array
        send_reply(there, ("done", 3, ranking))
        send_reply(there, ("error", 4, ValueError("x")))  # no array: as before

    sender = threading.Thread(target=send)
    sender.start()
    try:
        kind, seq, got = receive_reply(here)
        assert (kind, seq, got.round, got.strategy) == ("done", 3, 4, "margin")
        np.testing.assert_array_equal(got.proba, proba)
        kind, seq, error = receive_reply(here)
        assert (kind, seq, str(error)) == ("error", 4, "x")
        sender.join()
        assert not here.poll()  # nothing left over between replies
    finally:
        sender.join()
        here.close()
        there.close()
