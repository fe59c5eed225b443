from aldesk.core.stopping import label_budget
from aldesk.core.wording import count


def test_count_agrees_with_its_noun():
    assert count(1, "label") == "1 label"
    assert count(0, "label") == "0 labels"
    assert count(1204, "item") == "1,204 items"
    assert count(2, "class", "classes") == "2 classes"


def test_the_last_label_of_a_budget_is_one_label():
    assert label_budget(99, 100).reason == "1 label left in the budget of 100."
