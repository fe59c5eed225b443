"""A labels file handed to a colleague: its rows name files by path and by content (sha256).

On a copy of the folder where files were renamed, and names reused for other recordings, a
match by name alone dropped the renamed files' labels and put labels on the wrong content.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from aldesk.cli import main
from aldesk.core import interop
from aldesk.core.store import NewItem, ProjectStore


def sha(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def project(where: Path, files: dict[str, str]) -> ProjectStore:
    """A project whose pool holds ``files`` (path -> content name), hashed as the pool hashes."""
    (where.parent / f"{where.name}-pool").mkdir()
    store = ProjectStore.create(where, pool_root=where.parent / f"{where.name}-pool",
                                kind="audio", classes=["crow", "thrush"])  # fmt: skip
    store.add_items(
        NewItem(hash=sha(content), relpath=path, kind="audio", size=1, mtime_ns=0, arrival=i)
        for i, (path, content) in enumerate(files.items())
    )
    return store


def labels_by_path(store: ProjectStore) -> dict[str, str]:
    names = {c.id: c.name for c in store.classes()}
    paths = {it.id: it.relpath for it in store.items()}
    return {paths[i]: names[c] for i, c in store.labels().items()}


def test_a_renamed_file_keeps_its_label_and_a_reused_name_gets_none(tmp_path) -> None:
    a = project(tmp_path / "a", {"r1.wav": "crow call", "r2.wav": "thrush song",
                                 "r3.wav": "crow again"})  # fmt: skip
    ids = {it.relpath: it.id for it in a.items()}
    crow, thrush = a.class_by_name("crow").id, a.class_by_name("thrush").id
    for path, cls in (("r1.wav", crow), ("r2.wav", thrush), ("r3.wav", crow)):
        a.record(ids[path], "label", class_id=cls)
    out = tmp_path / "a.csv"
    interop.export_labels(a, out)
    a.close()
    # B's copy: r1 renamed, r2's name reused for a new recording (r2 itself deleted), r3 as is
    b = project(tmp_path / "b", {"site2_r1.wav": "crow call", "r2.wav": "new recording",
                                 "r3.wav": "crow again"})  # fmt: skip
    plan = interop.plan_import(b, out)
    assert plan.moved == ["r1.wav → site2_r1.wav"] and plan.changed == ["r2.wav"]
    assert not plan.unknown_paths and plan.new == 2
    assert "other content than the labelled file" in plan.summary()
    interop.apply_plan(b, plan, str(out))
    assert labels_by_path(b) == {"site2_r1.wav": "crow", "r3.wav": "crow"}
    b.close()


def test_the_command_names_every_moved_file_and_every_changed_path(tmp_path, capsys) -> None:
    a = project(tmp_path / "a", {"x.wav": "one", "y.wav": "two"})
    for item in a.items():
        a.record(item.id, "label", class_id=a.class_by_name("crow").id)
    interop.export_labels(a, tmp_path / "a.csv")
    a.close()
    project(tmp_path / "b", {"renamed.wav": "one", "y.wav": "other"}).close()
    assert main(["import-labels", str(tmp_path / "b.aldesk"), str(tmp_path / "a.csv")]) == 0
    out = capsys.readouterr().out
    assert "Imported 1 label" in out
    assert "x.wav → renamed.wav" in out and "1 path now holds other content" in out
    assert "    y.wav" in out


def test_a_file_without_hashes_is_matched_by_path_as_before(tmp_path) -> None:
    b = project(tmp_path / "b", {"x.wav": "one"})
    rows = tmp_path / "hand.csv"
    rows.write_text("path,label,sha256\nx.wav,crow,not-a-hash\n")
    plan = interop.plan_import(b, rows)
    assert plan.new == 1 and not plan.changed and not plan.moved
    b.close()
