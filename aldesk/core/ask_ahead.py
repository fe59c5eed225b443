"""How many items a session will still ask, by its own rules, without running one: what
``aldesk status`` reports as ``left_to_ask`` (every unanswered item read as "left" beside a label
budget that would stop asking long before them: 319 where 124 would be asked)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from aldesk.core.project import ProjectSettings
from aldesk.core.stopping import trusted_test_items


@dataclass(frozen=True)
class AskState:
    """Where a project stands, as the session's asking rules read it."""

    pool_open: int  # readable pool files with no answer
    tests_open: int  # readable test items never answered
    tests_answered: int
    pool_answers: int  # the user's answers on pool items (test items are spaced by these)
    since_test: int  # pool answers after the newest test answer
    labels: int  # labels on pool items (what the budget counts)


def still_asked(state: AskState, settings: ProjectSettings) -> int:
    """Pool items up to the budget, the test items asked among them (one per batch, more
    often until the stopping advice trusts the accuracy; ``SessionQueue.due_test``), and past
    the budget those the target-accuracy rule still waits for (``test_for_target``). With no
    budget, or a budget the pool runs out before, every item is asked."""
    room = None if settings.budget is None else max(0, settings.budget - state.labels)
    if room is None or state.pool_open <= room:
        return state.pool_open + state.tests_open
    trusted = trusted_test_items(settings.test_size)
    open_, n_test, since, n_pool = (state.tests_open, state.tests_answered, state.since_test,
                                    state.pool_answers)  # fmt: skip
    for _ in range(room):  # before each pool item, the test items due
        while open_ and _test_due(n_test, n_pool, since, settings.batch, trusted):
            open_, n_test, since = open_ - 1, n_test + 1, 0
        n_pool, since = n_pool + 1, since + 1
    after = min(open_, max(0, trusted - n_test)) if settings.target_accuracy is not None else 0
    return room + (state.tests_open - open_) + after


def _test_due(n_test: int, n_pool: int, since: int, batch: int, trusted: int) -> bool:
    spacing = max(3, batch if n_test >= trusted else min(batch, 5))
    return n_test < math.ceil(n_pool / spacing) or since >= spacing
