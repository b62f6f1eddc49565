"""YAML loading that remembers the line of every key, so validation can name `file:line`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dse_tui.core.problems import ConfigError, Problem

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
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(file, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(file, None, "", f"cannot read: {exc}")]) from None
    return parse_document(file, text)


def parse_document(file: Path, text: str) -> Document:
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{what} ({exc.context})"
        raise ConfigError([Problem(file, line, "", f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, None, "", f"YAML syntax error: {exc}")]) from None
    if node is None:
        raise ConfigError([Problem(file, 1, "", "the file is empty; expected a mapping of settings")])
    doc = Document(file, None)
    problems: list[Problem] = []
    doc.data = _convert(node, (), doc, problems)
    if problems:
        raise ConfigError(problems)
    return doc


def _convert(node: yaml.Node, path: Path_, doc: Document, problems: list[Problem]) -> Any:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(Problem(doc.file, key_node.start_mark.line + 1, format_path(path),
                                        "YAML merge keys (<<) are not supported; write the settings out"))
                continue
            key = _scalar(key_node)
            if not isinstance(key, (str, int)):
                problems.append(Problem(doc.file, key_node.start_mark.line + 1, format_path(path),
                                        "keys must be plain text"))
                continue
            key = str(key)
            child = path + (key,)
            if key in out:
                problems.append(Problem(doc.file, key_node.start_mark.line + 1, format_path(child),
                                        f"duplicate key (first at line {doc.lines[child]})"))
                continue
            out[key] = _convert(value_node, child, doc, problems)
            # The key's own line is where a reader looks, not the value's (which may be below it).
            doc.lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), doc, problems) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return node  # a collection used as a key; rejected by the caller
    if node.tag == _STR:
        return node.value  # most scalars: skip the constructor machinery
    # Resolve tags (int, bool, null, timestamp...) the same way yaml.safe_load does.
    return _constructor.construct_object(node, deep=True)


_constructor = yaml.constructor.SafeConstructor()
_STR = "tag:yaml.org,2002:str"
