"""Marks of a run's contents: a folder marks and unmarks all it holds, a folder part marked says so, and
the restore is given the smallest set of paths."""

from __future__ import annotations

from dse_tui.core.restore.contents import Contents
from dse_tui.core.restore.marks import Mark, Marks


def contents() -> Contents:
    entries = {"docs": "dir", "docs/a.txt": "file", "docs/b.txt": "file", "docs/deep": "dir",
               "docs/deep-x.txt": "file", "docs/deep/c.bin": "file", "docs/deep/d.bin": "file", "docs-old.txt": "file", "top.txt": "file",
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
    assert marks.state("docs") is Mark.SOME, "docs/deep-x.txt, sorted between deep and what it holds, is not"
    marks.mark("docs/deep-x.txt")
    assert list(marks) == ["docs"], "all of docs marked is docs marked"
    assert marks.state("") is Mark.SOME and marks.summary() == (1, 5, 50)


def test_unmarking_inside_a_marked_folder_keeps_the_rest_marked():
    marks = Marks(contents())
    marks.mark("docs")
    marks.toggle("docs/deep/c.bin")
    assert marks.state("docs") is Mark.SOME and marks.state("docs/deep") is Mark.SOME
    assert list(marks) == ["docs/a.txt", "docs/b.txt", "docs/deep-x.txt", "docs/deep/d.bin"]
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


def test_any_order_of_marks_agrees_with_marking_each_file_and_the_cover_stays_smallest():
    import random

    rng = random.Random(19)
    names = ("a", "a-b", "b", "b.txt")
    files = sorted({"/".join(rng.choice(names) for _ in range(rng.randint(1, 4))) + ".f" for _ in range(60)})
    folders = sorted({f.rsplit("/", k)[0] for f in files for k in range(1, f.count("/") + 1)})
    listed = folders[::2]  # the rest only stand for what is under them
    kinds = {f: "file" for f in files} | {d: "dir" for d in listed} | {"a/l": "symlink"}
    paths = sorted(kinds)
    contents = Contents(paths, [kinds[p].encode() for p in paths], [len(p) * (kinds[p] == "file") for p in paths])
    marks, marked = Marks(contents), set()  # `marked`: the files marked, one by one

    def files_at(path):
        return {f for f in files if f == path or f.startswith(path + "/")}

    for _ in range(400):
        path = rng.choice(files + folders)
        whole = files_at(path) <= marked
        marks.toggle(path)
        marked = marked - files_at(path) if whole else marked | files_at(path)
        assert {f for f in files if marks.state(f) is Mark.ALL} == marked
        for folder in folders:
            inside = files_at(folder) & marked
            assert marks.state(folder) is (Mark.ALL if inside == files_at(folder) else Mark.SOME if inside
                                           else Mark.NONE), folder
        cover = list(marks)
        assert cover == sorted(cover) and not any(c.startswith(o + "/") for c in cover for o in cover)
        assert marks.summary()[1:] == (len(marked), sum(len(f) for f in marked))
        assert all(contents.node(p).listed for p in marks.parts())
