"""A run's contents as a Textual Tree: a folder's children added when it is first opened, each line's mark
(marked, part marked, not) drawn from the marks when the line is drawn, and a path reached by opening its
folders.

A mark is not in a node's label: marking a folder of fifty thousand files changes the marks
(core/restore/marks.py, by path) and redraws the lines on screen, whatever number of nodes were made."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from dse_tui.core.common.fmt import size
from dse_tui.core.restore.contents import Contents, Node
from dse_tui.core.restore.marks import Mark, Marks

SHOWN_CHILDREN = 2000  # a folder's first children in the tree; the search finds the rest


MARKS = {Mark.ALL: ("■ ", "bold green"), Mark.SOME: ("◐ ", "bold yellow"), Mark.NONE: ("□ ", "dim")}


def mark_text(mark: Mark) -> Text:
    glyph, style = MARKS[mark]
    return Text(glyph, style=style)


def mark_markup(mark: Mark) -> str:
    glyph, style = MARKS[mark]
    return f"[{style}]{glyph.strip()}[/]"


def node_label(node: Node) -> Text:
    text = Text()
    if node.is_dir:
        text.append(node.name + "/", style="bold" if node.listed else "bold italic")
        text.append(f"  {size(node.size)} · {node.files}", style="dim")
    else:
        text.append(node.name, style="cyan" if node.kind != "file" else "")
        text.append(f"  {size(node.size)}" if node.kind == "file" else f"  {node.kind}", style="dim")
    return text


class ContentsTree(Tree[Node], inherit_bindings=False):
    """Space is the screen's (a mark), not Tree's toggle; Enter opens and closes a folder."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", show=False),
        Binding("up", "cursor_up", show=False), Binding("down", "cursor_down", show=False),
        Binding("right", "open_folder", show=False), Binding("left", "close_folder", show=False),
        Binding("home", "scroll_home", show=False), Binding("end", "scroll_end", show=False),
        Binding("pageup", "page_up", show=False), Binding("pagedown", "page_down", show=False),
        Binding("shift+up", "cursor_previous_sibling", show=False),
        Binding("shift+down", "cursor_next_sibling", show=False),
        Binding("shift+left", "cursor_parent", show=False),
    ]

    def __init__(self, label: str, **kwargs):
        super().__init__(label, **kwargs)
        self.contents: Contents | None = None
        self.marks: Marks | None = None
        self.nodes: dict[str, TreeNode[Node]] = {}  # the tree's nodes made so far, by path
        self.filled: set[str] = set()  # the folders whose children were added
        self.guide_depth = 3

    def show(self, contents: Contents) -> None:
        """The root's children, the root open: what the first paint shows."""
        self.contents = contents
        self.marks = Marks(contents)
        self.root.data = contents.root
        self.nodes = {"": self.root}
        self._fill(self.root)
        self.root.expand()

    def _fill(self, parent: TreeNode[Node]) -> None:
        children = self.contents.children(parent.data.path)
        for child in children[:SHOWN_CHILDREN]:
            self._add(parent, child)
        if len(children) > SHOWN_CHILDREN:
            parent.add_leaf(Text(f"… {len(children) - SHOWN_CHILDREN} more: / finds them", style="dim italic"))
        self.filled.add(parent.data.path)

    def _add(self, parent: TreeNode[Node], child: Node) -> TreeNode[Node]:
        made = parent.add(node_label(child), child, allow_expand=child.is_dir)
        self.nodes[child.path] = made
        return made

    def _on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        node = event.node
        if node.data is not None and node.data.is_dir and node.data.path not in self.filled:
            self._fill(node)

    def action_open_folder(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand and not node.is_expanded:
            self._open(node)

    def action_close_folder(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node is not self.root:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)

    def _open(self, node: TreeNode[Node]) -> None:
        if node.data.path not in self.filled:
            self._fill(node)
        node.expand()

    def reach(self, path: str) -> TreeNode[Node] | None:
        """The node of `path`, its folders opened (and a child past SHOWN_CHILDREN added); the cursor goes
        to it once the tree has laid out its lines."""
        if self.contents is None or self.contents.node(path) is None:
            return None
        parts = path.split("/")
        node = self.root
        for depth in range(1, len(parts) + 1):
            self._open(node)
            here = "/".join(parts[:depth])
            if here not in self.nodes:
                self._add(node, self.contents.node(here))
            node = self.nodes[here]
        self.call_after_refresh(self.move_cursor, node)
        return node

    def highlighted(self) -> Node | None:
        node = self.cursor_node
        return node.data if node is not None and node.data is not None and node is not self.root else None

    def render_label(self, node: TreeNode[Node], base_style: Style, style: Style) -> Text:
        label = super().render_label(node, base_style, style)
        if node is self.root or node.data is None or self.marks is None:  # the run itself, "… more"
            return label
        mark = mark_text(self.marks.state(node.data.path))
        mark.stylize(style)
        # After the folder's open/closed icon, where the mark was when it was part of the label.
        icon = len(self.ICON_NODE) if node.allow_expand else 0
        return Text.assemble(label[:icon], mark, label[icon:])

    def toggle_mark(self, path: str) -> Mark:
        """Mark `path` and all under it, or unmark them. Returns its state now."""
        mark = self.marks.toggle(path)
        # Tree caches its lines drawn: dropped, the lines on screen are drawn again with the marks as now.
        self._line_cache.clear()
        self.refresh()
        return mark
