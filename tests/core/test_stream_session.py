"""Session in the stream scenario: arrivals asked or passed over, its seed set, its end."""

from __future__ import annotations

import pytest
from session_helpers import N_ITEMS, features_of, label, make_data, make_project

from aldesk.core.session import Session
from aldesk.core.store import ProjectStore


@pytest.fixture
def data() -> tuple:
    return make_data()


def test_stream_mode_discards_confident_arrivals(tmp_path, data) -> None:
    X, y = data
    store = make_project(tmp_path, y, scenario="stream", stream_budget=0.3)
    session = Session(store, features_of(X))
    label(session, y, 40)
    actions = [e.action for e in store.events()]
    assert "discard" in actions
    discards = [e for e in store.events() if e.action == "discard"]
    assert all(e.strategy == "stream" for e in discards)
    # arrivals are visited in order: every item before the last one served was decided on
    served = [e.item_id for e in store.events() if e.action == "label"]
    decided = {e.item_id for e in store.events()}
    assert set(range(1, max(served) + 1)) <= decided
    store.close()


def test_a_stream_discards_nothing_until_the_seed_labels_are_in(tmp_path, data) -> None:
    """A model of 4 labels passed over arrivals of classes it had never seen."""
    X, y = data
    store = make_project(tmp_path, y, scenario="stream", stream_budget=0.3, seed_size=12)
    session = Session(store, features_of(X))
    label(session, y, 11)  # trained every batch of 5, as a session does
    assert store.rounds()  # a model ranks the arrivals by now...
    assert all(e.action == "label" for e in store.events())  # ...and nothing was discarded
    label(session, y, 20)
    assert any(e.action == "discard" for e in store.events())
    store.close()


def test_an_arrival_asked_while_the_model_is_rebuilt_is_not_a_seed_pick(tmp_path, data):
    """Reopened after a kill (no bookmark), the arrival on screen came back as a "Seed set"
    pick, counted with the seed set's, while the model was rebuilt from the labels."""
    X, y = data
    store = make_project(tmp_path, y, scenario="stream", stream_budget=0.3, seed_size=6)
    label(Session(store, features_of(X)), y, 12)  # the seed set, then the threshold's picks
    path = store.path
    store.close()  # killed: the item on screen was never saved as the bookmark
    store = ProjectStore.open(path)
    reopened = Session(store)  # its features, and so its model, not in yet
    ruled_before = reopened.stream_summary().ruled
    early = label(reopened, y, 1, train=False)
    assert early == ["stream_early"]
    assert store.events()[-1].strategy == "stream_early"
    assert reopened.stream_summary().ruled == ruled_before  # the threshold decided it not
    store.close()


def test_test_items_left_when_a_stream_ends_are_asked_before_it_says_so(tmp_path, data) -> None:
    """A stream ended with a test item never asked: its accuracy rested on fewer test labels
    than the user set (and, with 50 of them at a 30 % share, most would be left)."""
    X, y = data
    store = make_project(tmp_path, y, scenario="stream", stream_budget=0.3, batch=30)
    store.set_split(list(range(1, 41)), "test")
    session = Session(store, features_of(X))
    while session.current() is not None:
        label(session, y, 1)
    answers = store.answers()
    assert all(i in answers for i in range(1, 41))  # every test item was asked
    from aldesk.core.log_status import left_to_ask

    assert left_to_ask(store)[0] == 0
    store.close()


def test_an_ended_stream_says_so_and_where_the_passed_over_items_are(
    tmp_path, data, capsys
) -> None:
    """Once every arrival is decided nothing is asked; the passed-over arrivals are not
    "answered", so the window says the stream ended and how to label some of them anyway."""
    X, y = data
    store = make_project(tmp_path, y, scenario="stream", stream_budget=0.3)
    session = Session(store, features_of(X))
    while session.current() is not None:
        label(session, y, 1)
    summary = session.stream_summary()
    assert summary.waiting == 0 and summary.discarded > 0
    text = session.done_text()
    assert text.startswith(f"The stream has ended: all {N_ITEMS} arrivals were seen")
    assert f"{summary.discarded} discarded" in text and "“Not yet seen”" in text
    # the adaptive rule passes over unsure arrivals too once its share is asked: say both
    assert "or 30% of the arrivals had already been asked" in text
    assert "Every readable item" not in text
    answers = store.answers()
    discarded = {i for i, e in answers.items() if e.action == "discard"}
    guessed = session.predictions()  # what an export with predictions writes
    assert discarded <= guessed.keys()  # the discarded are unlabelled: they get a guess
    assert not guessed.keys() & {i for i, e in answers.items() if e.action == "label"}
    from aldesk.cli import main

    assert main(["status", str(store.path)]) == 0  # the command line says the same
    out = capsys.readouterr().out
    assert f"stream: {summary.discarded} discarded" in out and ", 0 still to arrive" in out
    assert "or 30% of the arrivals had already been asked" in out
    assert "nothing left to ask: the stream has ended" in out and "keep going" not in out
    store.close()


def test_a_streams_new_share_shows_at_once(tmp_path, data) -> None:
    """The Stream panel said the old share until the next answer after Settings → Save."""
    X, y = data
    store = make_project(tmp_path, y, scenario="stream", stream_budget=0.3)
    session = Session(store, features_of(X))
    label(session, y, 3)
    assert session.stream_summary().budget == 0.3
    store.set("stream_budget", 0.6)
    session.reload_settings()
    assert session.stream_summary().budget == 0.6
    store.close()


def test_status_counts_the_arrivals_not_yet_seen(tmp_path, data, capsys) -> None:
    """Half way through a stream `status` said "0 waiting" (the test items a target waits
    for) beside 450 unanswered arrivals; then it counted the test items as arrivals to come
    (169 against the panel's 133)."""
    import json

    from aldesk.cli import main

    X, y = data
    store = make_project(tmp_path, y, scenario="stream", stream_budget=0.3)
    store.set_split(list(range(1, 21)), "test")
    session = Session(store, features_of(X))
    for _ in range(12):
        label(session, y, 1)
    on_screen = session.current()
    open_arrival = on_screen is not None and on_screen.strategy != "test"
    waiting = session.stream_summary().waiting + open_arrival  # the panel counts it asked
    path = store.path
    store.close()
    assert main(["status", str(path), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["not_yet_seen"] == waiting and said["unanswered"] > waiting  # tests besides
    assert main(["status", str(path)]) == 0
    assert f", {waiting} still to arrive" in capsys.readouterr().out


@pytest.mark.parametrize("scenario", ["stream", "synthesis", "pool"])
def test_status_gives_the_settings_the_scenario_uses(tmp_path, data, capsys, scenario) -> None:
    """A stream's status said "strategy tcm", which it never uses, and neither its share nor
    a synthesis project's one in N."""
    import json

    from aldesk.cli import main

    _, y = data
    store = make_project(tmp_path, y, scenario=scenario, stream_budget=0.25, synthesis_every=4)
    path = store.path
    store.close()
    assert main(["status", str(path), "--json"]) == 0
    chosen = json.loads(capsys.readouterr().out)["settings"]
    assert ("strategy" in chosen) == (scenario != "stream")
    assert chosen.get("stream_share") == (0.25 if scenario == "stream" else None)
    assert chosen.get("synthesized_one_in") == (4 if scenario == "synthesis" else None)
    assert main(["status", str(path)]) == 0
    text = capsys.readouterr().out
    assert ("stream share 0.25" in text) == (scenario == "stream"), text
