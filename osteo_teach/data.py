"""Load, validate and cache the cited data in ``data/``.

Every number and claim the notebooks show lives in a YAML file in ``data/``,
with source keys that resolve to ``data/sources.yaml``. This module reads each
file once per data folder (cached), validates it against its model in
:mod:`osteo_teach.records`, checks cross-references, and returns typed records.

Anything wrong with a file raises a single :class:`DataError` naming the file,
the line, the record and the field, and saying what was expected, so that an
instructor who mistyped a number in a text editor knows exactly what to fix.

Taught in: ``notebooks/00_start_here.ipynb``; every notebook's first cell calls
:func:`load`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from .records import SCHEMAS, TABLE_NOUNS, KeyFact, Record, Source

__all__ = [
    "DATA_ENV_VAR",
    "DataError",
    "CourseData",
    "default_data_dir",
    "load",
    "format_reference",
    "format_reported",
    "iter_cited",
    "check",
    "schemas",
    "citations_by_tier",
]

#: Environment variable that points the package at another data folder
#: (used by the tests to feed deliberately broken files).
DATA_ENV_VAR = "OSTEO_TEACH_DATA"

TIER_NAMES = {
    "P": "primary study",
    "G": "guideline, HTA or official body",
    "R": "peer-reviewed review or reference work",
    "C": "patient information from a reputable publisher",
    "L": "low-authority page, never cited",
}

R = TypeVar("R", bound=Record)


class DataError(ValueError):
    """A data file is malformed. The message says where and what was expected."""

    def __init__(
        self,
        path: Path,
        problem: str,
        *,
        line: int | None = None,
        record: str | None = None,
        field: str | None = None,
        more: int = 0,
    ) -> None:
        self.path = path
        self.problem = problem
        self.line = line
        self.record = record
        self.field = field
        where = [_display_path(path)]
        if line is not None:
            where.append(f"line {line}")
        if record is not None:
            where.append(record)
        if field is not None:
            where.append(f"field '{field}'")
        message = f"{', '.join(where)}: {problem}"
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''} in this record)"
        super().__init__(message)


def _display_path(path: Path) -> str:
    """``data/x.yaml`` for the course's own files, the full path otherwise."""
    try:
        return str(path.relative_to(default_data_dir().parent))
    except ValueError:
        return str(path)


def default_data_dir() -> Path:
    """The repository's ``data/`` folder (next to the ``osteo_teach`` package)."""
    return Path(__file__).resolve().parent.parent / "data"


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys instead of dropping one."""


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first given on line {seen[key]}); expected each field once per record",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


#: The loaders to try, fastest first: the same strict loader on libyaml's C parser
#: (about 15x faster) when PyYAML was built with it, then the pure-Python one, whose
#: error messages are the documented ones.
_LOADERS: list[type] = [_StrictLoader]
if hasattr(yaml, "CSafeLoader"):

    class _FastStrictLoader(yaml.CSafeLoader):
        """The strict loader on libyaml's C parser."""

    _FastStrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _LOADERS.insert(0, _FastStrictLoader)


def _parse(text: str, loader_class: type) -> tuple[Any, yaml.Node | None]:
    """Parse once: the node tree (for line numbers) and the records built from it."""
    loader = loader_class(text)
    try:
        tree = loader.get_single_node()
        content = loader.construct_document(tree) if tree is not None else None
    finally:
        loader.dispose()
    return content, tree


def _line_of(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """The line of the YAML node at pydantic location ``loc`` (or its nearest parent)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == part]
            if not match:
                break
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _field_name(loc: Sequence[Any]) -> str | None:
    """Turn pydantic's ``('aspects', 'access', 'sources', 0)`` into ``aspects.access.sources[0]``."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif part == "[key]":
            name += " (the key)"
        else:
            name += f".{part}" if name else str(part)
    return name or None


def _problem_text(error: Mapping[str, Any], model: type[Record]) -> str:
    """A plain-language reason for one pydantic error."""
    kind = error["type"]
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        parent = model
        for part in error["loc"][:-1]:
            field = getattr(parent, "model_fields", {}).get(part)
            annotation = getattr(field, "annotation", None)
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                parent = annotation
        allowed = ", ".join(getattr(parent, "model_fields", {}))
        return f"unknown field: expected only these fields: {allowed}"
    message = error["msg"]
    if kind.endswith("_type") or kind in {"literal_error", "string_pattern_mismatch"}:
        message += f" (got {error['input']!r})"
    return message


def _read_yaml(path: Path) -> tuple[list[Any], yaml.Node | None]:
    """Parse one file, returning its records and the YAML node tree for line numbers."""
    if not path.is_file():
        raise DataError(path, "file not found: expected this data file to exist")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            path,
            f"not valid UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be decoded): the file "
            "was probably saved in a legacy encoding; expected UTF-8 (in your editor: "
            "'Save with encoding' > UTF-8)",
            line=bad_line,
        ) from None
    try:
        try:
            content, tree = _parse(text, _LOADERS[0])
        except yaml.YAMLError:
            # Read again with the pure-Python parser, whose messages are the documented ones.
            content, tree = _parse(text, _StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = f"YAML syntax error: {exc.problem}"
        if exc.context and exc.context_mark is not None:
            problem += f" ({exc.context}, which started on line {exc.context_mark.line + 1})"
        raise DataError(path, problem, line=line) from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise DataError(path, f"YAML syntax error: {exc}") from None
    if content is None or content == []:
        raise DataError(path, "file is empty: expected a list of records, each starting with '- id:'")
    if not isinstance(content, list):
        raise DataError(
            path,
            f"expected a list of records (each starting with '- id:'), found a {type(content).__name__}",
            line=1,
        )
    return content, tree


def _record_label(index: int, raw: Any) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
        return f"record #{index + 1} (id '{raw['id']}')"
    return f"record #{index + 1}"


def _load_table(
    path: Path, model: type[R], context: Mapping[str, Any], problems: list[DataError] | None = None
) -> dict[str, R]:
    """Validate every record of one file; ids must be unique.

    Raises the first problem; with ``problems`` given, collects every problem
    instead (one per record) and returns the records that are valid.
    """
    raw_records, tree = _read_yaml(path)
    records: dict[str, R] = {}
    first_line: dict[str, int | None] = {}
    for index, raw in enumerate(raw_records):
        node = tree.value[index] if isinstance(tree, yaml.SequenceNode) else None
        try:
            record = _load_record(path, model, context, index, raw, node)
            if record.id in records:
                raise DataError(
                    path,
                    f"duplicate id '{record.id}': already used by the record on line "
                    f"{first_line[record.id]}; expected every id to be unique",
                    line=_line_of(node, ("id",)),
                    record=_record_label(index, raw),
                    field="id",
                )
        except DataError as problem:
            if problems is None:
                raise
            problems.append(problem)
            continue
        records[record.id] = record
        first_line[record.id] = _line_of(node, ("id",))
    return records


def _load_record(
    path: Path, model: type[R], context: Mapping[str, Any], index: int, raw: Any, node: yaml.Node | None
) -> R:
    """Validate one record, turning pydantic's first error into a located DataError."""
    label = _record_label(index, raw)
    if not isinstance(raw, Mapping):
        raise DataError(
            path,
            f"expected a record (fields like 'id: ...'), found {raw!r}",
            line=_line_of(node, ()),
            record=label,
        )
    try:
        return model.model_validate(raw, context=context)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        raise DataError(
            path,
            _problem_text(first, model),
            line=_line_of(node, first["loc"]),
            record=label,
            field=_field_name(first["loc"]) or "(the record as a whole)",
            more=len(errors) - 1,
        ) from None


@dataclass(frozen=True)
class CourseData:
    """All validated tables of one data folder, keyed by table name then id."""

    directory: Path
    tables: Mapping[str, Mapping[str, Record]]

    def records(self, model: type[R], table: str | None = None) -> list[R]:
        """Every record of one model, in file order, typed (from every file holding that model,
        or from ``data/<table>.yaml`` only).

        ``course.records(HealingPhase)`` is a ``list[HealingPhase]``: topic modules
        need no casts. A lesson that keeps its own trials in its own file reads them
        with ``course.records(Trial, "prevention_trials")``.
        """
        tables = [self.table(table)] if table is not None else list(self.tables.values())
        return [record for records in tables for record in records.values() if isinstance(record, model)]

    def record(self, model: type[R], record_id: str) -> R:
        """One record of one model by id; an unknown id raises a KeyError listing the known ones."""
        found = [r for r in self.records(model) if r.id == record_id]
        if not found:
            names = [name for name, schema in schemas().items() if schema is model]
            noun = TABLE_NOUNS.get(names[0], f"{names[0]} id") if names else f"{model.__name__} id"
            known = ", ".join(r.id for r in self.records(model))
            raise KeyError(f"unknown {noun} '{record_id}': expected one of {known}")
        return found[0]

    def table(self, name: str) -> Mapping[str, Record]:
        """Every record of ``data/<name>.yaml``, by id, in file order."""
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"unknown data table '{name}': expected one of {', '.join(self.tables)}") from None

    def get(self, table: str, record_id: str) -> Record:
        """One record by id; an unknown id raises a KeyError that lists the known ones."""
        records = self.table(table)
        try:
            return records[record_id]
        except KeyError:
            noun = TABLE_NOUNS.get(table, f"{table} id")
            raise KeyError(f"unknown {noun} '{record_id}': expected one of {', '.join(records)}") from None

    def source(self, key: str) -> Source:
        """The bibliography entry for ``key``."""
        return self.record(Source, key)

    def cite(self, key: str) -> str:
        """The full reference for a source key, as one line of text."""
        return format_reference(self.source(key))

    def references(self, keys: Iterable[str]) -> list[str]:
        """Full references for several keys, de-duplicated, in first-seen order."""
        return [self.cite(key) for key in dict.fromkeys(keys)]

    def reading_list(self, keys: Iterable[str]) -> str:
        """A numbered reference list, for a notebook's "Sources" section."""
        return "\n".join(f"{n}. {ref}" for n, ref in enumerate(self.references(keys), start=1))

    def fact_sources(self, fact_ids: Iterable[str]) -> list[str]:
        """The source keys behind some key facts, de-duplicated, in order (for reading lists)."""
        keys = (key for fact_id in fact_ids for key in self.record(KeyFact, fact_id).statement.sources)
        return list(dict.fromkeys(keys))

    def fact(self, fact_id: str) -> str:
        """A key fact's statement followed by its source keys, ready to print."""
        statement = self.record(KeyFact, fact_id).statement
        return f"{statement.text} [{', '.join(statement.sources)}]"


def schemas() -> dict[str, type[Record]]:
    """Every data file and its record model: the core files, then those lessons add."""
    from .lessons import lesson_tables

    extra = {name: model for name, model in lesson_tables().items() if name not in SCHEMAS}
    return {**SCHEMAS, **extra}


def format_reference(source: Source) -> str:
    """Vancouver-like reference with tier and verification flags, for reading lists."""
    parts = [f"[{source.id}]"]
    if source.authors:
        parts.append(source.authors.rstrip(".") + ".")
    if source.title:
        parts.append(source.title.rstrip(".") + ".")
    venue = source.venue.rstrip(".")
    if source.year is not None:
        venue += f". {source.year}"
    if source.details:
        venue += f";{source.details}" if source.year is not None else f". {source.details}"
    parts.append(venue + ".")
    for label, value in (("doi:", source.doi), ("PMID:", source.pmid), ("", source.pmcid)):
        if value:
            parts.append(f"{label}{value}." if label == "doi:" else f"{label} {value}.".strip())
    if source.url:
        parts.append(source.url)
    flags = [f"tier {source.tier}: {TIER_NAMES[source.tier]}"]
    if source.secondary:
        flags.append("secondary report: the primary document was not seen")
    parts.append(f"({'; '.join(flags)})")
    return " ".join(parts)


def format_reported(value: float, decimals: int | None = None) -> str:
    """A reported number with the decimal places its source gives (``40.0``, not ``40``).

    YAML keeps the value, not how it was written, so records whose source gives
    trailing zeros carry ``decimals``; ``None`` prints the value as stored.
    """
    return f"{value:g}" if decimals is None else f"{value:.{decimals}f}"


def _load_uncached(directory: Path, problems: list[DataError] | None = None) -> CourseData:
    tables: dict[str, Mapping[str, Record]] = {}
    context: dict[str, Any] = {}
    for name, model in schemas().items():
        path = directory / f"{name}.yaml"
        try:
            records = _load_table(path, model, context, problems)
        except DataError as problem:  # a whole-file problem (missing, not YAML, not a list)
            if problems is None:
                raise
            problems.append(problem)
            records = {}
        tables[name] = records
        context[name] = frozenset(records)
        if name == "sources":
            sources = [record for record in records.values() if isinstance(record, Source)]
            context["sources:tiers"] = {source.id: source.tier for source in sources}
            context["sources:rejected"] = _rejected_sources(sources)
    return CourseData(directory=directory, tables=tables)


def check(directory: str | os.PathLike[str] | None = None) -> list[DataError]:
    """Every problem in every data file, not only the first (for editors fixing several).

    A record that fails is left out, so records that refer to it may report it as unknown.
    """
    chosen = directory or os.environ.get(DATA_ENV_VAR) or default_data_dir()
    problems: list[DataError] = []
    _load_uncached(Path(chosen).resolve(), problems)
    return problems


def _rejected_sources(sources: Iterable[Source]) -> dict[str, str]:
    """Sources that exist in the bibliography but may not back a statement, with why."""
    rejected: dict[str, str] = {}
    for source in sources:
        if source.tier == "L":
            rejected[source.id] = (
                "it is tier L (a forum, AI-generated Q&A site, blog or low-authority page), "
                "which the source policy never cites; expected a tier P, G, R or C source"
            )
        elif not source.verified:
            rejected[source.id] = (
                "it is marked 'verified: false' in data/sources.yaml; only verified sources may back a statement"
            )
    return rejected


@functools.cache
def _load_cached(directory: Path) -> CourseData:
    return _load_uncached(directory)


def load(directory: str | os.PathLike[str] | None = None) -> CourseData:
    """Load and validate every data file (once per folder; later calls are free).

    The folder is ``directory``, else ``$OSTEO_TEACH_DATA``, else the repository's
    ``data/``. Raises :class:`DataError` for the first malformed file.
    """
    chosen = directory or os.environ.get(DATA_ENV_VAR) or default_data_dir()
    return _load_cached(Path(chosen).resolve())


def iter_cited(value: Any) -> Iterator[Any]:
    """Every cited piece inside a value: each model with a ``sources`` list (a
    statement, a trial's number), depth first. The one record walker of the course."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        if isinstance(getattr(value, "sources", None), list) and not isinstance(value, Source):
            yield value
        for name in type(value).model_fields:
            yield from iter_cited(getattr(value, name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from iter_cited(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from iter_cited(item)


def _count_statements(value: Any) -> int:
    """Count sourced statements (anything with a non-empty ``sources`` list) inside a value."""
    return sum(1 for cited in iter_cited(value) if cited.sources)


def citations_by_tier(data: CourseData) -> dict[str, int]:
    """How many times sources of each tier are cited across every data file."""
    tiers = {source.id: source.tier for source in data.records(Source)}
    counts = dict.fromkeys(TIER_NAMES, 0)
    for name, records in data.tables.items():
        if name != "sources":
            for cited in iter_cited(list(records.values())):
                for key in cited.sources:
                    counts[tiers[key]] += 1
    return counts


def count_cited(data: CourseData) -> dict[str, int]:
    """Number of cited statements per data file (the bibliography counts its entries)."""
    return {
        f"{name}.yaml": (len(records) if name == "sources" else _count_statements(list(records.values())))
        for name, records in data.tables.items()
        if name != "aspects"
    }
