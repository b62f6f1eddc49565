"""A run's contents: its files and folders as a tree read from its manifest, a search by name or path,
marks, a path's versions across the repository's runs, and the marked restored (into a new folder, or back
to their place) with progress and cancel."""

from __future__ import annotations

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from dse_tui.core.catalog import Run
from dse_tui.core.common.fmt import size
from dse_tui.core.profile.model import Repository
from dse_tui.core.restore.contents import Contents, ContentsError, Node
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandScreen
from dse_tui.ui.screens.restore_work import WORK_CSS, RestoreWork
from dse_tui.ui.screens.versions import VersionsScreen, restores_parts, when
from dse_tui.ui.widgets.contents_tree import ContentsTree, mark_markup
from dse_tui.ui.widgets.footer import ConsoleFooter

RESULTS_SHOWN = 200


class ContentsScreen(RestoreWork, CommandScreen):
    DEFAULT_CSS = """
    ContentsScreen #heading { height: auto; padding: 0 1; }
    ContentsScreen #search { margin: 0 1; }
    ContentsScreen #panes { height: 1fr; }
    ContentsScreen #tree { width: 1fr; }
    ContentsScreen #results { width: 1fr; display: none; }
    ContentsScreen #found { height: auto; padding: 0 1; color: $text-muted; }
    ContentsScreen #detail { height: auto; padding: 0 1; border-top: solid $primary; }
    """ + WORK_CSS.format(name="ContentsScreen")
    COMMAND_TABLE = tuple(Command(cid, key, action, text=f"ccmd.{cid}", key_display=shown) for cid, key, action, shown in (
        ("search", "slash", "search", "/"), ("mark", "space", "mark", "space"), ("versions", "v", "versions", None),
        ("restore", "t", "restore", None), ("cancel", "x", "cancel", None), ("back", "escape", "back", None)))
    AUTO_FOCUS = "#tree"

    def __init__(self, repo: Repository, run: Run, lang: str, at: str | None = None):
        super().__init__()
        self.repo, self.run, self.lang = repo, run, lang
        self.at = at  # a path the cursor goes to once the contents are read
        self.contents: Contents | None = None
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(tr("contents.loading", self.lang), id="heading")
        yield Input(id="search", placeholder=tr("contents.search", self.lang))
        yield Static(id="found")
        with Horizontal(id="panes"):
            yield ContentsTree(f"r{self.run.id}", id="tree")
            yield OptionList(id="results")
        yield Static(id="detail")
        yield from self.compose_work()
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = tr("contents.title", self.lang, run=self.run.id, name=self.repo.name)
        self.query_one("#work").display = False
        self.query_one("#found").display = False
        self._load()

    @work(thread=True, group="contents-load", exit_on_error=False)
    def _load(self) -> None:
        from dse_tui.core.restore.contents_index import run_contents

        try:
            contents, error = run_contents(self.app.profile.storage_root, self.run), None
        except ContentsError as exc:
            contents, error = None, str(exc)
        self.app.call_from_thread(self._loaded, contents, error)

    def _loaded(self, contents: Contents | None, error: str | None) -> None:
        self.contents, self.error = contents, error
        heading = self.query_one("#heading", Static)
        if contents is None:
            heading.update(f"[red]{escape(error or '')}[/]")
        elif not contents.listed:
            heading.update(tr("contents.unlisted", self.lang, run=self.run.id))
        else:
            root = contents.root
            heading.update(tr("contents.heading", self.lang, run=self.run.id, when=when(self.run, self.lang),
                              files=root.files, size=size(root.size)))
            tree = self.query_one(ContentsTree)
            tree.show(contents)
            if self.at:
                tree.reach(self.at)
        self.show_detail()
        # The keys' footer is built anew when their availability changes (a tenth of a second): after the
        # tree is on screen, not before it.
        self.call_after_refresh(self.refresh_keys)

    # ----------------------------------------------------------- what is highlighted

    def highlighted(self) -> Node | None:
        if self.contents is None:
            return None
        results = self.query_one("#results", OptionList)
        if results.has_focus and results.highlighted is not None:
            return self.contents.node(results.get_option_at_index(results.highlighted).id)
        return self.query_one(ContentsTree).highlighted()

    def show_detail(self) -> None:
        node = self.highlighted()
        lines = []
        if node is not None:
            if node.is_dir:
                line = tr("contents.folder", self.lang, path=escape(node.path), files=node.files, size=size(node.size))
                lines.append(line + ("" if node.listed else tr("contents.unlisted_folder", self.lang)))
            else:
                lines.append(tr("contents.file", self.lang, path=escape(node.path), kind=node.kind, size=size(node.size)))
        marks = self.query_one(ContentsTree).marks
        if marks:
            n, files, total = marks.summary()
            lines.append(tr("contents.marked", self.lang, n=n, files=files, size=size(total)))
        elif self.contents is not None and self.contents.listed:
            lines.append(tr("contents.none_marked", self.lang))
        self.query_one("#detail", Static).update("\n".join(lines))

    @on(ContentsTree.NodeHighlighted)
    @on(OptionList.OptionHighlighted)
    def _highlight_moved(self) -> None:
        self.show_detail()
        self.refresh_keys()

    # ----------------------------------------------------------- search

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        if self.contents is None:
            return
        results = self.query_one("#results", OptionList)
        found = self.query_one("#found", Static)
        query = event.value.strip()
        results.clear_options()
        results.display = found.display = bool(query)
        if not query:
            return
        hits, total = self.contents.search(query, RESULTS_SHOWN)
        marks = self.query_one(ContentsTree).marks
        results.add_options([Option(self._result_line(n, marks.state(n.path)), id=n.path) for n in hits])
        more = tr("contents.found_more", self.lang, shown=len(hits)) if total > len(hits) else ""
        found.update(tr("contents.found", self.lang, total=total, more=more) if total
                     else tr("contents.none_found", self.lang, query=escape(query)))

    @staticmethod
    def _result_line(node: Node, mark) -> str:
        return f"{mark_markup(mark)} {escape(node.path)}{'/' if node.is_dir else ''}  [dim]{size(node.size)}[/]"

    @on(Input.Submitted, "#search")
    def _to_results(self) -> None:
        results = self.query_one("#results", OptionList)
        if results.option_count:
            results.focus()
            results.highlighted = 0

    @on(OptionList.OptionSelected, "#results")
    def _jump(self, event: OptionList.OptionSelected) -> None:
        tree = self.query_one(ContentsTree)
        if tree.reach(event.option.id) is not None:
            tree.focus()

    # ----------------------------------------------------------- actions

    def why_not(self, action: str) -> str | None:
        if action == "cancel":
            return None if self.busy is not None else tr("why.idle", self.lang)
        if action not in ("mark", "versions", "restore", "search"):
            return None
        if self.contents is None:
            return self.error or tr("why.still_loading", self.lang)
        if not self.contents.listed:
            return tr("why.unlisted", self.lang, run=self.run.id)
        if action == "search":
            return None
        if action == "restore":
            if self.busy is not None:
                return tr("runs.busy", self.lang)
            if not restores_parts(self.repo):
                return tr("why.whole_only", self.lang, driver=self.repo.driver)
            return None if self.query_one(ContentsTree).marks else tr("why.nothing_marked", self.lang)
        return None if self.is_mounted and self.highlighted() is not None else tr("why.no_path", self.lang)

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_mark(self) -> None:
        node = self.highlighted()
        if node is None:
            return
        tree = self.query_one(ContentsTree)
        tree.toggle_mark(node.path)
        results = self.query_one("#results", OptionList)
        if results.display:  # the marks shown in the results too, where the cursor stays
            for i in range(results.option_count):
                option = results.get_option_at_index(i)
                n = self.contents.node(option.id)
                results.replace_option_prompt_at_index(i, self._result_line(n, tree.marks.state(n.path)))
        self.show_detail()
        self.refresh_keys()

    def action_versions(self) -> None:
        node = self.highlighted()
        if node is None:
            return

        def chosen(version) -> None:  # that run's contents, at the path
            if version is not None:
                self.app.push_screen(ContentsScreen(self.repo, version.run, self.lang, at=node.path))

        self.app.push_screen(VersionsScreen(self.repo, node.path, node.is_dir, self.lang), chosen)

    def action_restore(self) -> None:
        from dse_tui.ui.screens.restore_dialog import RestoreDialog

        parts = self.query_one(ContentsTree).marks.parts()  # a marked folder once, not with its files
        if parts:
            self.app.push_screen(RestoreDialog(self.app.profile, self.run, self.lang, parts=parts), self.begin_restore)

    def action_back(self) -> None:
        if self.query_one("#search", Input).has_focus or self.query_one("#results", OptionList).has_focus:
            self.query_one(ContentsTree).focus()
            return
        if self.busy is not None:
            self.notify(tr("runs.busy", self.lang), severity="warning")
            return
        self.dismiss()
