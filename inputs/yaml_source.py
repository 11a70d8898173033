"""Read YAML into plain Python values and remember where every key and value came from.

PyYAML's ``safe_load`` loses positions and silently keeps the last of two equal keys, so this
module composes the node graph itself and builds the values with its own small constructor:

- every mapping key and every value gets a 1-based (line, column), keyed by its field path,
  so a validation error on ``spec.context.max_input_tokens`` can point at the right character;
- a key that appears twice in one mapping is an error naming both lines;
- scalars resolve as in YAML 1.2's core schema for booleans (only ``true``/``false``; ``yes``,
  ``no``, ``on`` and ``off`` stay strings, so ``geography: no`` is Norway, not false) and dates
  stay strings; explicit tags other than the standard scalar ones are rejected;
- ``---`` separates documents; each one becomes its own `YamlDocument`;
- hostile text is refused with a message, not a hang or a crash: collections nest at most
  `MAX_NESTING_DEPTH` levels (counting what aliases add), aliases may repeat at most
  `MAX_ALIAS_EXPANSION` values per document (nested anchors otherwise grow exponentially:
  "billion laughs"), and a top-level ``apiVersion`` or ``kind`` must be a plain string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from inputs.errors import DuplicateKeyError, Problem, SpecReadError, SpecSyntaxError

FieldPath = tuple[str | int, ...]

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

# Far above any spec or catalog (a workload nests 4 levels, a catalog file 5) and far below
# Python's recursion limit (each level costs the composer about three frames).
MAX_NESTING_DEPTH = 64
# Values an alias may repeat per document, beyond the values written out. Shared defaults and
# merge keys repeat tens; ten nested anchors of ten aliases each would repeat ten billion.
MAX_ALIAS_EXPANSION = 10_000
# Reading is pure Python (positions for every value), about 0.1 ms a line: bound the work a file
# can ask for. A workload is a few KB, the largest built-in catalog file 40 KB.
MAX_FILE_BYTES = 1024 * 1024
MAX_DOCUMENTS = 1000  # per file; an environment of a thousand workloads fits in one
# Header fields every consumer looks up by value; anything but a string is refused here, once.
HEADER_FIELDS = ("apiVersion", "kind")


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based line and column in a file."""

    line: int
    col: int


@dataclass(frozen=True)
class SourceMap:
    """Where each field path of one document sits in its file."""

    file: str
    document_start: Position
    keys: Mapping[FieldPath, Position]  # position of the key of a mapping entry
    values: Mapping[FieldPath, Position]  # position where the value starts
    collections: frozenset[FieldPath] = frozenset()  # paths whose value is a mapping or list

    def locate(self, path: FieldPath, *, at_key: bool = False) -> Position:
        """Position of the value at ``path``, or of its key.

        The key is used when ``at_key`` is set and for mapping and list values (a block mapping
        starts on the line after its key; the key is where a reader looks). A path that is not
        in the file (a missing field) resolves to the nearest ancestor that is: the key of the
        mapping that should have held it, or the document start.
        """
        if (at_key or path in self.collections) and path in self.keys:
            return self.keys[path]
        if path in self.values:
            return self.values[path]
        for depth in range(len(path) - 1, 0, -1):
            ancestor = path[:depth]
            if ancestor in self.keys:
                return self.keys[ancestor]
            if ancestor in self.values:
                return self.values[ancestor]
        return self.document_start

    def written(self, path: FieldPath) -> bool:
        """True when the document sets ``path`` itself (rather than leaving it to a default)."""
        return path in self.values

    def problem(self, path: FieldPath, message: str, *, at_key: bool = False) -> Problem:
        """A `Problem` at ``path`` of this document."""
        where = self.locate(path, at_key=at_key)
        return Problem(self.file, where.line, where.col, format_path(path), message)


@dataclass(frozen=True)
class SourceRef:
    """Where a loaded object was written, so any later layer can point back at the YAML.

    ``file`` is the path as the user gave it, ``document`` the 0-based ``---`` document index and
    ``line`` the document's first line. ``source_map`` places every field of that document:
    ``workload.source.problem(("spec", "slo", "ttft_p95_ms"), "cannot be met ...")``.
    """

    file: str
    document: int
    line: int
    source_map: SourceMap = field(compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    def problem(self, path: FieldPath, message: str) -> Problem:
        """A `Problem` at ``path`` of this object's document."""
        return self.source_map.problem(path, message)


@dataclass(frozen=True)
class YamlDocument:
    """One ``---`` document of a file: its plain data and where each part of it came from."""

    file: str
    index: int  # 0-based position among the file's non-empty documents
    data: Any
    source_map: SourceMap

    @property
    def source(self) -> SourceRef:
        start = self.source_map.document_start
        return SourceRef(self.file, self.index, start.line, self.source_map)


def format_path(path: FieldPath) -> str:
    """``("spec", "residency", "regions", 1)`` -> ``spec.residency.regions[1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


class _Resolver(BaseResolver):
    """The YAML 1.2 core schema's implicit types, plus ``<<`` merge keys."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}


_Resolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Resolver.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])


class _TooDeep(yaml.MarkedYAMLError):
    """Collections nest past `MAX_NESTING_DEPTH`; PyYAML's composer would recurse until Python
    gives up."""


class _Composer(Reader, Scanner, Parser, Composer, _Resolver):
    """PyYAML's reading pipeline up to the node graph, with `_Resolver`'s scalar rules and a
    bound on nesting (`MAX_NESTING_DEPTH`)."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING_DEPTH:
                mark = self.peek_event().start_mark
                raise _TooDeep(
                    problem=f"nested deeper than {MAX_NESTING_DEPTH} levels", problem_mark=mark
                )
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


try:  # libyaml, when PyYAML was built with it
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on the PyYAML build
    _CParser = None


if _CParser is not None:

    class _FastComposer(_CParser, _Resolver):  # type: ignore[misc, valid-type]
        """libyaml's reading pipeline up to the node graph, with `_Resolver`'s scalar rules."""

        def __init__(self, text: str) -> None:
            _CParser.__init__(self, text)
            _Resolver.__init__(self)

else:  # pragma: no cover
    _FastComposer = None


def _yaml12_int(text: str) -> int:
    if text.startswith("0x"):
        return int(text[2:], 16)
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 10)  # YAML 1.2: a leading zero is decimal, not octal


def _yaml12_float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(text)


def _position(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


class _Abandoned(Exception):
    """The document is past a bound (`MAX_ALIAS_EXPANSION`, `MAX_NESTING_DEPTH`): stop building
    it; the problem saying why is already recorded."""


@dataclass
class _Expansion:
    """Nodes built so far for one document and how many were distinct: the difference is what
    aliases repeated. Shared by the builders of merge keys."""

    built: int = 0
    distinct: set[int] = field(default_factory=set)

    def count(self, node: Node) -> bool:
        """Count one build of ``node``; False once aliases repeat too much."""
        self.built += 1
        self.distinct.add(id(node))
        return self.built - len(self.distinct) <= MAX_ALIAS_EXPANSION


class _Builder:
    """Builds plain values from nodes, recording positions and collecting key mistakes."""

    def __init__(self, file: str, expansion: _Expansion | None = None) -> None:
        self.file = file
        self.keys: dict[FieldPath, Position] = {}
        self.values: dict[FieldPath, Position] = {}
        self.collections: set[FieldPath] = set()
        self.duplicates: list[Problem] = []
        self.other: list[Problem] = []
        self._active: set[int] = set()
        self._expansion = expansion if expansion is not None else _Expansion()

    def _fail(self, node: Node, path: FieldPath, message: str) -> None:
        where = _position(node.start_mark)
        self.other.append(Problem(self.file, where.line, where.col, format_path(path), message))

    def build(self, node: Node, path: FieldPath) -> Any:
        if not self._expansion.count(node):
            self._fail(
                node,
                path,
                f"aliases repeat more than {MAX_ALIAS_EXPANSION} values in this document "
                "(nested anchors grow exponentially); write the values out instead",
            )
            raise _Abandoned
        if len(path) > MAX_NESTING_DEPTH:
            self._fail(node, path, f"aliases nest values deeper than {MAX_NESTING_DEPTH} levels")
            raise _Abandoned
        self.values.setdefault(path, _position(node.start_mark))
        if id(node) in self._active:
            self._fail(node, path, "an alias refers to the collection that contains it")
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        self.collections.add(path)
        if node.tag not in (_MAP, _SEQ):
            self._fail(node, path, f"unsupported YAML tag {node.tag!r}; write a plain value")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            return self._mapping(node, path)
        finally:
            self._active.discard(id(node))

    def _scalar(self, node: ScalarNode, path: FieldPath) -> Any:
        if node.tag == _NULL:
            return None
        if node.tag == _BOOL:
            return node.value.lower() == "true"
        if node.tag == _INT:
            try:
                return _yaml12_int(node.value)
            except ValueError:  # past Python's int_max_str_digits (4300 digits)
                self._fail(node, path, f"a number of {len(node.value)} digits is too long")
                return None
        if node.tag == _FLOAT:
            return _yaml12_float(node.value)
        if node.tag == _STR:
            return node.value
        self._fail(node, path, f"unsupported YAML tag {node.tag!r}; write a plain value")
        return None

    def _mapping(self, node: MappingNode, path: FieldPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, Position] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.append(value_node)
                continue
            key = self._scalar(key_node, path) if isinstance(key_node, ScalarNode) else None
            where = _position(key_node.start_mark)
            if not isinstance(key, str):
                if isinstance(key_node, ScalarNode):
                    message = f"mapping keys must be strings; quote the key '{key_node.value}'"
                else:
                    message = "mapping keys must be plain strings, not lists or mappings"
                self._fail(key_node, path, message)
                continue
            if key in seen:
                first = seen[key]
                self.duplicates.append(
                    Problem(
                        self.file,
                        where.line,
                        where.col,
                        format_path((*path, key)),
                        f"duplicate key '{key}' (first given on line {first.line}); "
                        "YAML would silently keep only the last value",
                    )
                )
                continue
            seen[key] = where
            self.keys[(*path, key)] = where
            result[key] = self.build(value_node, (*path, key))
        for source in merged:
            self._merge(source, path, result)
        return result

    def _merge(self, source: Node, path: FieldPath, result: dict[str, Any]) -> None:
        """``<<: *anchor``: copy the anchor's entries that the mapping does not set itself.

        Positions of merged entries point at the anchor, where the text actually is.
        """
        sources = source.value if isinstance(source, SequenceNode) else [source]
        for item in sources:
            if not isinstance(item, MappingNode):
                self._fail(item, path, "'<<' (merge) needs a mapping or a list of mappings")
                continue
            sub = _Builder(self.file, self._expansion)
            sub._active = self._active
            try:
                value = sub.build(item, path)
            finally:
                self.duplicates += sub.duplicates
                self.other += sub.other
            if not isinstance(value, dict):
                continue  # an alias to the mapping being built; sub reported it
            added = {key for key in value if key not in result}
            for key in added:
                result[key] = value[key]
            # One pass over the merged positions (not one per key): a path belongs to the entry
            # named by its first part below ``path``.
            depth = len(path)
            for theirs, mine in ((sub.keys, self.keys), (sub.values, self.values)):
                for sub_path, where in theirs.items():
                    if len(sub_path) > depth and sub_path[depth] in added:
                        mine.setdefault(sub_path, where)
            self.collections.update(
                p for p in sub.collections if len(p) > depth and p[depth] in added
            )


def _header_problems(builder: _Builder, data: dict[str, Any]) -> list[Problem]:
    """``apiVersion`` and ``kind`` must be strings: every reader looks them up by value."""
    problems = []
    for name in HEADER_FIELDS:
        value = data.get(name)
        if name in data and not isinstance(value, str):
            where = builder.values.get((name,), Position(1, 1))
            got = (
                "a mapping"
                if isinstance(value, dict)
                else "a list"
                if isinstance(value, list)
                else repr(value)
            )
            if value is None:
                got = "nothing"
            message = f"must be a string such as {_HEADER_EXAMPLES[name]}, got {got}"
            problems.append(Problem(builder.file, where.line, where.col, name, message))
    return problems


_HEADER_EXAMPLES = {"apiVersion": "'inferplan/v1'", "kind": "'Workload'"}


def _line_col(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset) + 1
    return Position(line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _compose_fast(text: str) -> list[Node] | None:
    """The node graph from libyaml's C parser (about ten times faster than PyYAML's own), or
    None when libyaml is missing, finds a mistake or meets a bound: `_compose` then reports it
    in PyYAML's words, so messages do not depend on how PyYAML was built."""
    if _FastComposer is None:
        return None
    composer = _FastComposer(text)
    try:
        nodes: list[Node] = []
        while composer.check_node():
            if len(nodes) == MAX_DOCUMENTS:
                return None
            node = composer.get_node()
            if node is not None:
                nodes.append(node)
    except yaml.YAMLError:
        return None
    finally:
        composer.dispose()
    return nodes if all(_depth_within(node) for node in nodes) else None


def _depth_within(root: Node) -> bool:
    """True when collections nest at most `MAX_NESTING_DEPTH` levels below ``root`` (each node
    once: an alias is the same node)."""
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING_DEPTH:
            return False
        if id(node) in seen or isinstance(node, ScalarNode):
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair)
    return True


# PyYAML's words for a line indented to no level the lines above it opened.
_INDENTATION_PROBLEMS = ("mapping values are not allowed here",)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _indentation_hint(text: str, line_number: int) -> str:
    """``"; line 22 is indented 5 spaces, line 21 above it 4: ..."`` when the line PyYAML
    stopped at is indented differently from the content line above it, else ``""``."""
    lines = text.splitlines()
    if not 0 < line_number <= len(lines):
        return ""
    here = lines[line_number - 1]
    for above in range(line_number - 1, 0, -1):
        previous = lines[above - 1]
        if previous.strip() and not previous.lstrip().startswith("#"):
            break
    else:
        return ""
    mine, theirs = _indent(here), _indent(previous)
    if mine == theirs:
        return ""
    return (
        f"; line {line_number} is indented {mine} spaces, line {above} above it {theirs}: "
        "keys of one mapping line up, and a nested mapping is indented under a key that "
        "ends with ':'"
    )


def _compose(text: str, file: str) -> list[Node]:
    """The node graph from PyYAML's pure-Python reader, with the bounds; raises
    `SpecSyntaxError`."""
    nodes: list[Node] = []
    composer: _Composer | None = None
    try:
        composer = _Composer(text)
        while composer.check_node():
            if len(nodes) == MAX_DOCUMENTS:
                where = _position(composer.peek_event().start_mark)
                message = f"more than {MAX_DOCUMENTS} documents in one file; split it"
                raise SpecSyntaxError([Problem(file, where.line, where.col, "", message)])
            node = composer.get_node()
            if node is not None:
                nodes.append(node)
    except _TooDeep as error:
        where = _position(error.problem_mark)
        message = f"collections are {error.problem}; flatten the document"
        raise SpecSyntaxError([Problem(file, where.line, where.col, "", message)]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = _position(mark) if mark else Position(1, 1)
        message = f"YAML syntax error: {error.problem or error.context}"
        if "'\\t'" in message:
            message += "; indent with spaces, not tabs"
        if error.context and error.problem and error.context_mark:
            message += f" ({error.context} on line {error.context_mark.line + 1})"
        if error.problem in _INDENTATION_PROBLEMS or (error.problem or "").startswith(
            "expected <block end>"
        ):
            message += _indentation_hint(text, where.line)
        raise SpecSyntaxError([Problem(file, where.line, where.col, "", message)]) from None
    except yaml.reader.ReaderError as error:
        where = _line_col(text, error.position)
        code = error.character if isinstance(error.character, int) else ord(error.character)
        message = f"YAML cannot contain the control character U+{code:04X}"
        raise SpecSyntaxError([Problem(file, where.line, where.col, "", message)]) from None
    finally:
        if composer is not None:
            composer.dispose()

    return nodes


def parse_documents(text: str, file: str) -> list[YamlDocument]:
    """Parse every ``---`` document of ``text``; ``file`` is only used in messages.

    Raises `SpecSyntaxError` (syntax, empty file, non-mapping document, a bound passed, a
    header that is not a string) or `DuplicateKeyError`. Empty documents between separators
    are skipped; a file with none at all is an error.
    """
    documents, duplicates, header = _parse(text, file)
    if header:
        raise SpecSyntaxError(duplicates + header)
    if duplicates:
        raise DuplicateKeyError(duplicates)
    return documents


def parse_documents_deferring(
    text: str, file: str
) -> tuple[list[YamlDocument], SpecSyntaxError | None]:
    """Like `parse_documents`, but a duplicate key (the first value is kept) or a header that
    is not a string comes back as the error `parse_documents` would raise, beside the
    documents, so a caller can go on validating them and report everything at once. Syntax
    errors, empty files and passed bounds still raise: there is nothing to go on with."""
    documents, duplicates, header = _parse(text, file)
    if header:
        return documents, SpecSyntaxError(duplicates + header)
    return documents, DuplicateKeyError(duplicates) if duplicates else None


def _parse(text: str, file: str) -> tuple[list[YamlDocument], list[Problem], list[Problem]]:
    """The documents, their duplicate-key problems and their header problems."""
    if len(text) > MAX_FILE_BYTES:
        message = f"text is longer than {MAX_FILE_BYTES:,} characters, more than any spec needs"
        raise SpecSyntaxError([Problem(file, 1, 1, "", message)])
    nodes = _compose_fast(text)
    if nodes is None:
        nodes = _compose(text, file)

    documents: list[YamlDocument] = []
    duplicates: list[Problem] = []
    header: list[Problem] = []
    fatal: list[Problem] = []
    for node in nodes:
        if isinstance(node, ScalarNode) and node.tag == _NULL and len(nodes) > 1:
            continue  # an empty document between or after "---" separators
        start = _position(node.start_mark)
        if not isinstance(node, MappingNode):
            kind = "a list" if isinstance(node, SequenceNode) else "a single value"
            if isinstance(node, ScalarNode) and node.tag == _NULL:
                message = "file is empty; expected a mapping with apiVersion, kind and spec"
                fatal.append(Problem(file, 1, 1, "", message))
            else:
                message = f"expected a mapping (key: value lines) at the top level, got {kind}"
                fatal.append(Problem(file, start.line, start.col, "", message))
            continue
        builder = _Builder(file)
        try:
            data = builder.build(node, ())
        except _Abandoned:
            fatal += builder.duplicates + builder.other
            continue
        fatal += builder.other
        if not isinstance(data, dict):  # a tag on the root mapping (``--- !foo``): reported
            continue
        duplicates += builder.duplicates
        header += _header_problems(builder, data)
        source_map = SourceMap(
            file, start, builder.keys, builder.values, frozenset(builder.collections)
        )
        documents.append(YamlDocument(file, len(documents), data, source_map))
    if not nodes or (not documents and not fatal):  # nothing, or only empty documents
        message = "file is empty; expected a mapping with apiVersion, kind and spec"
        raise SpecSyntaxError([Problem(file, 1, 1, "", message)])  # 1:1 for problem matchers
    if fatal:
        raise SpecSyntaxError(fatal + duplicates + header)
    return documents, duplicates, header


def read_documents(path: Path, display: str | None = None) -> list[YamlDocument]:
    """Read ``path`` as UTF-8 and parse its documents; ``display`` names it in messages.

    Raises `SpecReadError` when the file cannot be read or is not UTF-8, and whatever
    `parse_documents` raises.
    """
    file = display if display is not None else str(path)
    return parse_documents(_read_text(path, file), file)


def read_documents_deferring(
    path: Path, display: str | None = None
) -> tuple[list[YamlDocument], SpecSyntaxError | None]:
    """`read_documents` that hands back duplicate keys and header types beside the documents
    (`parse_documents_deferring`)."""
    file = display if display is not None else str(path)
    return parse_documents_deferring(_read_text(path, file), file)


def _read_text(path: Path, file: str) -> str:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)  # a device or a growing file stops here too
    except FileNotFoundError:
        raise SpecReadError([Problem(file, 0, 0, "", "no such file")]) from None
    except IsADirectoryError:
        raise SpecReadError([Problem(file, 0, 0, "", "is a directory, not a file")]) from None
    except OSError as error:
        message = f"cannot read file: {error.strerror or error}"
        raise SpecReadError([Problem(file, 0, 0, "", message)]) from None
    if len(raw) > MAX_FILE_BYTES:
        message = f"file is larger than {MAX_FILE_BYTES:,} bytes, more than any spec needs"
        raise SpecReadError([Problem(file, 1, 1, "", message)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        byte = raw[error.start]
        message = f"file is not UTF-8 text (byte 0x{byte:02x} cannot be decoded); save it as UTF-8"
        raise SpecReadError([Problem(file, line, col, "", message)]) from None
    return text
