"""Marks of a run's contents: a folder marks and unmarks all it holds, a folder part marked says so, and
the restore is given the smallest set of paths."""

from __future__ import annotations

from dse_tui.core.restore.contents import Contents
from dse_tui.core.restore.marks import Mark, Marks


def contents() -> Contents:
    entries = {"docs": "dir", "docs/a.txt": "file", "docs/b.txt": "file", "docs/deep": "dir",
               "docs/deep/c.bin": "file", "docs/deep/d.bin": "file", "docs-old.txt": "file", "top.txt": "file",
               "loose/x.txt": "file", "loose/y.txt": "file"}  # "loose": a folder the manifest does not list
    kinds = list(entries.values())
    return Contents(list(entries), [k.encode() for k in kinds], [10 * (k == "file") for k in kinds])


def test_marking_a_folder_marks_all_under_it_and_unmarking_unmarks_them():
    marks = Marks(contents())
    assert marks.toggle("docs") is Mark.ALL
    assert [marks.state(p) for p in ("docs/a.txt", "docs/deep", "docs/deep/c.bin")] == [Mark.ALL] * 3
    assert marks.state("docs-old.txt") is Mark.NONE, "a sibling whose name starts alike is not under it"
    assert list(marks) == ["docs"] and marks.parts() == ("docs",), "the folder once, not its files again"
    assert marks.toggle("docs") is Mark.NONE
    assert not marks and marks.state("docs/deep/c.bin") is Mark.NONE


def test_a_folder_part_marked_is_some_and_its_parents_follow_its_children():
    marks = Marks(contents())
    marks.mark("docs/deep/c.bin")
    assert [marks.state(p) for p in ("docs", "docs/deep", "docs/deep/c.bin", "docs/deep/d.bin")] == [
        Mark.SOME, Mark.SOME, Mark.ALL, Mark.NONE]
    marks.mark("docs/deep/d.bin")  # the folder's last: the folder whole
    assert marks.state("docs/deep") is Mark.ALL and list(marks) == ["docs/deep"]
    marks.mark("docs/a.txt")
    marks.mark("docs/b.txt")
    assert list(marks) == ["docs"], "all of docs marked is docs marked"
    assert marks.state("") is Mark.SOME and marks.summary() == (1, 4, 40)


def test_unmarking_inside_a_marked_folder_keeps_the_rest_marked():
    marks = Marks(contents())
    marks.mark("docs")
    marks.toggle("docs/deep/c.bin")
    assert marks.state("docs") is Mark.SOME and marks.state("docs/deep") is Mark.SOME
    assert list(marks) == ["docs/a.txt", "docs/b.txt", "docs/deep/d.bin"]
    assert marks.toggle("docs") is Mark.ALL, "a folder part marked is marked whole"
    assert list(marks) == ["docs"]


def test_a_folder_the_manifest_does_not_list_is_restored_as_what_it_holds():
    marks = Marks(contents())
    marks.mark("loose")
    marks.mark("top.txt")
    assert marks.state("loose/x.txt") is Mark.ALL
    assert marks.parts() == ("loose/x.txt", "loose/y.txt", "top.txt")


def test_a_folder_of_fifty_thousand_files_is_marked_and_unmarked_by_its_paths():
    paths = [f"big/f{i:05}" for i in range(50_000)] + ["other.txt"]
    marks = Marks(Contents(paths, [b"file"] * len(paths), [1] * len(paths)))
    marks.mark("big")
    assert list(marks) == ["big"] and marks.summary() == (1, 50_000, 50_000)
    marks.unmark("big/f00007")
    assert len(marks) == 49_999 and marks.state("big") is Mark.SOME and marks.state("big/f00008") is Mark.ALL
    marks.mark("big/f00007")
    assert list(marks) == ["big"]
