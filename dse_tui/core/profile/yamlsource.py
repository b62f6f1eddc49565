"""YAML loading that remembers the line of every key, so validation can name `file:line`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dse_tui.core.texts import Text
from dse_tui.core.profile.problems import ConfigError, Problem

try:  # the C parser is several times faster; it keeps node marks too
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """A parsed YAML document: plain Python data plus the line of every node by key path."""

    file: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        # Fall back to the closest ancestor that has a line (e.g. for a missing key).
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_document(file: Path) -> Document:
    """Parse `file`; raise ConfigError naming file and line for unreadable, invalid or empty input."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError([Problem(file, None, "", Text("problem.file_not_found"))]) from None
    except IsADirectoryError:
        raise ConfigError([Problem(file, None, "", Text("problem.is_a_folder"))]) from None
    except OSError as exc:
        raise ConfigError([Problem(file, None, "", Text("problem.cannot_read", error=exc.strerror or exc))]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError([Problem(file, line, "", Text("problem.not_utf8", byte=f"0x{raw[exc.start]:02x}"))]) from None
    return parse_document(file, text)


def parse_document(file: Path, text: str) -> Document:
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        line, what = _syntax_error(exc)
        raise ConfigError([Problem(file, line, "", Text("problem.yaml_syntax", what=what))]) from None
    except yaml.reader.ReaderError as exc:  # e.g. a NUL or other control character
        line = text[:exc.position].count("\n") + 1
        raise ConfigError([Problem(file, line, "", Text("problem.yaml_syntax", what=f"{exc.reason} ({exc.character!r})"))]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, None, "", Text("problem.yaml_syntax", what=exc))]) from None
    if node is None:
        raise ConfigError([Problem(file, 1, "", Text("problem.empty_file"))])
    doc = Document(file, None)
    problems: list[Problem] = []
    doc.data = _Converter(doc, problems).convert(node, ())
    if problems:
        raise ConfigError(problems)
    return doc


# What was left open: the parser notices only at the next token, often on a later line, so the line to name
# is where it was opened (an unclosed `{` on line 28 was reported at :29).
_OPENED = ("flow mapping", "flow sequence", "simple key", "quoted scalar")


def _syntax_error(exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    problem, context = exc.problem_mark, exc.context_mark
    what = exc.problem or "invalid YAML"
    opened = context is not None and any(kind in (exc.context or "") for kind in _OPENED)
    if opened and problem is not None and context.line < problem.line:
        return context.line + 1, f"{what} ({exc.context} at line {context.line + 1}, column {context.column + 1}; " \
                                 f"noticed at line {problem.line + 1})"
    mark = problem or context
    return (mark.line + 1 if mark else None), f"{what} ({exc.context})" if exc.context else what


MAX_DEPTH = 50
MAX_NODES = 200_000  # a profile is a few thousand nodes; aliases must not expand it into millions


class _Converter:
    """Nodes to plain data, recording each key's line. Every problem a node can have (an unknown tag, an
    impossible date, a recursive or exploding alias) becomes a Problem on its line, never an exception."""

    def __init__(self, doc: Document, problems: list[Problem]):
        self.doc, self.problems = doc, problems
        self.nodes = 0
        self.active: set[int] = set()

    def problem(self, node: yaml.Node, path: Path_, message: str) -> None:
        self.problems.append(Problem(self.doc.file, node.start_mark.line + 1, format_path(path), message))

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self.problem(node, path, "the document is too large (aliases that expand without end?)")
            return None
        if id(node) in self.active or len(path) > MAX_DEPTH:
            self.problem(node, path, "nested too deep (a recursive alias?)")
            return None
        self.doc.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
            return self.mapping(node, path)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(key_node, path, "YAML merge keys (<<) are not supported; write the settings out")
                continue
            key = self.scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                self.problem(key_node, path, Text("problem.plain_keys"))
                continue
            key = str(key)
            child = path + (key,)
            if key in out:
                self.problem(key_node, child, Text("problem.duplicate_key", line=self.doc.lines[child]))
                continue
            out[key] = self.convert(value_node, child)
            # The key's own line is where a reader looks, not the value's (which may be below it).
            self.doc.lines[child] = key_node.start_mark.line + 1
        return out

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        if node.tag == _STR:
            return node.value  # most scalars: skip the constructor machinery
        try:
            # Resolve tags (int, bool, null, timestamp...) the same way yaml.safe_load does.
            return _constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            what = getattr(exc, "problem", None) or str(exc)
            self.problem(node, path, f"cannot read the value {node.value!r}: {what}")
            return None


_constructor = yaml.constructor.SafeConstructor()
_STR = "tag:yaml.org,2002:str"
