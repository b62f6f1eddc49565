"""What is marked of a run's contents for a partial restore, kept as its smallest cover: the marked paths
none of which lies under another, a folder standing for everything under it.

Marking a folder marks all it holds and unmarking it unmarks all; unmarking something under a marked
folder leaves the rest of that folder marked (the folder is replaced by what it holds but that); a
folder all of whose entries are marked becomes marked itself. Every answer is a bisection of the sorted
cover or of the run's sorted entries (restore/contents.py), never a walk of the folder: marking a folder
of fifty thousand files costs what marking one file does. A folder is "some" when part of it is marked.

The cover is what a restore is given (`parts()`), so a marked folder is restored once, as one path."""

from __future__ import annotations

from bisect import bisect_left, insort
from enum import Enum

from dse_tui.core.restore.contents import Contents


class Mark(Enum):
    NONE = "none"
    SOME = "some"  # a folder part of which is marked
    ALL = "all"


def _ancestors(path: str) -> list[str]:
    """The folders above `path`, the nearest first, not the root."""
    out = []
    while "/" in path:
        path = path.rpartition("/")[0]
        out.append(path)
    return out


class Marks:
    def __init__(self, contents: Contents):
        self.contents = contents
        self._cover: list[str] = []  # sorted as the contents' paths are
        self._set: set[str] = set()
        self._files = self._bytes = 0  # of what the cover holds, kept as it changes

    def __len__(self) -> int:
        return len(self._cover)

    def __bool__(self) -> bool:
        return bool(self._cover)

    def __iter__(self):
        return iter(self._cover)

    def __contains__(self, path: str) -> bool:
        return path in self._set

    # ------------------------------------------------------------ asking

    def covering(self, path: str) -> str | None:
        """The marked path that `path` is or lies under, None when there is none."""
        if path in self._set:
            return path
        return next((a for a in _ancestors(path) if a in self._set), None)

    def _range(self, path: str) -> tuple[int, int]:
        """The cover's paths strictly under `path` (in sorted order they are together, as in Contents)."""
        if not path:
            return 0, len(self._cover)
        return bisect_left(self._cover, path + "/"), bisect_left(self._cover, path + "0")

    def state(self, path: str) -> Mark:
        if self.covering(path) is not None:
            return Mark.ALL
        lo, hi = self._range(path)
        return Mark.SOME if lo < hi else Mark.NONE

    def summary(self) -> tuple[int, int, int]:
        """How many paths are marked, the files among and under them (as a folder's count: links and the
        like are not files) and their bytes. Kept as the marks change: summed again, fifty thousand paths
        marked but one would cost as much as the change itself."""
        return len(self._cover), self._files, self._bytes

    def _sums(self, path: str) -> tuple[int, int]:
        """The files and bytes of `path` and all under it: differences of the contents' running sums."""
        files, size = self.contents._files, self.contents._bytes
        ranges = [self.contents._under(path)]
        i = bisect_left(self.contents.paths, path)
        if i < len(self.contents.paths) and self.contents.paths[i] == path:
            ranges.append((i, i + 1))  # its own entry: not always right before what is under it ("a", "a-b", "a/x")
        return sum(files[b] - files[a] for a, b in ranges), sum(size[b] - size[a] for a, b in ranges)

    def _count(self, path: str, sign: int) -> None:
        files, size = self._sums(path)
        self._files += sign * files
        self._bytes += sign * size

    def parts(self) -> tuple[str, ...]:
        """The paths a restore is given: the cover, a folder the manifest does not list itself (only what
        is under it) given as what it holds, since a restore names the manifest's entries."""
        out: list[str] = []
        for path in self._cover:
            self._listed(path, out)
        return tuple(out)

    def _listed(self, path: str, out: list[str]) -> None:
        node = self.contents.node(path)
        if node is None or node.listed:
            out.append(path)
            return
        for child in self.contents.children(path):
            self._listed(child.path, out)

    # ------------------------------------------------------------ changing

    def toggle(self, path: str) -> Mark:
        """A marked path unmarked, anything else (unmarked, or part marked) marked whole. Returns its
        state after."""
        if self.state(path) is Mark.ALL:
            self.unmark(path)
        else:
            self.mark(path)
        return self.state(path)

    def mark(self, path: str) -> None:
        if not path or self.covering(path) is not None:
            return
        self._drop_under(path)
        self._add(path)
        for folder in _ancestors(path):  # the nearest first: one not whole means none above it is
            if not self._whole(folder):
                break
            self._drop_under(folder, count=False)  # the same files, held by one path: the sums stay
            self._add(folder, count=False)

    def unmark(self, path: str) -> None:
        above = self.covering(path)
        if above is None:
            self._drop_under(path)  # a folder part marked: all of it unmarked
        else:
            self._remove(above)
            # What `above` held but `path` stays marked: the other children of each folder on the way down.
            here, others = above, []
            for step in path[len(above) + 1:].split("/") if path != above else ():
                kept = f"{here}/{step}"
                others += [c for c in self._children(here) if c != kept]
                here = kept
            self._add_many(others)
            self._count(above, +1)  # what `above` held, but `path` and all under it
            self._count(path, -1)

    def clear(self) -> None:
        self._cover, self._set, self._files, self._bytes = [], set(), 0, 0

    def _whole(self, folder: str) -> bool:
        """Every entry under `folder` is marked: the cover's paths under it hold as many as it does."""
        lo, hi = self.contents._under(folder)
        held = 0
        c_lo, c_hi = self._range(folder)
        for path in self._cover[c_lo:c_hi]:
            a, b = self.contents._under(path)
            held += b - a + self._is_entry(path)
        return held == hi - lo

    def _is_entry(self, path: str) -> bool:
        paths = self.contents.paths
        i = bisect_left(paths, path)
        return i < len(paths) and paths[i] == path

    def _add(self, path: str, count: bool = True) -> None:
        if path not in self._set:
            insort(self._cover, path)
            self._set.add(path)
            if count:
                self._count(path, +1)

    def _children(self, folder: str) -> list[str]:
        """The paths directly in `folder`, listed or standing for what is under them (Contents.children's
        walk without making a Node of each: a folder of fifty thousand files is unmarked in part at once)."""
        paths = self.contents.paths
        i, hi = self.contents._under(folder)
        cut = len(folder) + 1
        out, seen = [], set()
        while i < hi:
            name, under, _ = paths[i][cut:].partition("/")
            child = f"{folder}/{name}"
            if child not in seen:
                seen.add(child)
                out.append(child)
            # Past what is under a folder in one bisection, from an entry under it: from the folder's own
            # entry it would also pass "a-b", sorted between "a" and "a/x".
            i = bisect_left(paths, child + "0", i) if under else i + 1
        return out

    def _add_many(self, paths: list[str]) -> None:
        """What a folder held but one path, at once: they all lie under the folder just taken out of the
        cover, where nothing else of the cover is, so they go in its place, not one insertion each."""
        new = sorted(p for p in paths if p not in self._set)  # not counted: the caller knows their sum
        if new:
            i = bisect_left(self._cover, new[0])
            self._cover[i:i] = new
            self._set.update(new)

    def _remove(self, path: str) -> None:
        i = bisect_left(self._cover, path)
        if i < len(self._cover) and self._cover[i] == path:
            del self._cover[i]
            self._set.discard(path)
            self._count(path, -1)

    def _drop_under(self, path: str, count: bool = True) -> None:
        lo, hi = self._range(path)
        for gone in self._cover[lo:hi] if count else ():
            self._count(gone, -1)
        self._set.difference_update(self._cover[lo:hi])
        del self._cover[lo:hi]
