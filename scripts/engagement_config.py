"""Loading and validating the scoring configuration: score-model declarations and seeds.

Every check reports a Problem that names the file, the line or row, the value and what would
be accepted, and all problems are reported at once. Nothing here builds SQL.
The declarations' keys and values are checked against a JSON Schema by the jsonschema library
(score_model_schema); the seeds against their rules in seeds/_seeds.yml (check_seed).
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
PROPERTY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

ENTITIES = {"user": "user_id", "account": "account_id"}
# calendar periods, with the trailing window's default length in days
PERIODS = {"week": 7, "month": 30, "quarter": 91}
COLD_START = {"score", "new"}
MEMBERS = {"user", "account"}

TOP_LEVEL_REQUIRED = {"score_model", "entity", "signals"}
TOP_LEVEL_OPTIONAL = {"description", "period", "window_days", "scope", "cold_start", "private", "measures",
                      "rolls_up", "group_by"}
SIGNAL_COMMON_REQUIRED = {"signal", "kind"}
SIGNAL_COMMON_OPTIONAL = {"description", "measure"}
INPUT_COMMON_REQUIRED = {"measure", "kind"}
INPUT_COMMON_OPTIONAL = {"description"}

# kind -> (required keys, optional keys), beyond the common ones
KINDS: dict[str, tuple[set[str], set[str]]] = {
    "count": ({"event_type"}, set()),
    "active_days": (set(), {"event_type"}),
    "distinct_values": ({"event_type", "property"}, {"allow_list", "share"}),
    "sum": ({"event_type", "property"}, {"divide_by"}),
    "average": ({"event_type", "property"}, {"divide_by"}),
    "min": ({"event_type", "property"}, {"divide_by"}),
    "max": ({"event_type", "property"}, {"divide_by"}),
    "days_since_last_event": (set(), {"event_type"}),
    "latest_value": ({"event_type", "property"}, set()),
    "open_items": ({"event_type", "close_event_type", "key_property"}, set()),
    "distinct_entities": (set(), {"event_type", "member"}),
    "daily_active_share": (set(), {"event_type", "member"}),
    "member_changes": ({"change"}, {"event_type", "member"}),
    "scale_average": ({"event_type", "property", "scale"}, set()),
    "ratio": ({"numerator", "denominator"}, {"scale", "when_undefined"}),
}
# measured over the period (or trailing window) alone; the other kinds are "as of" the period's end
IN_PERIOD_KINDS = {"count", "active_days", "distinct_values", "sum", "average", "min", "max", "distinct_entities",
                   "daily_active_share", "scale_average"}

# The seeds' columns, types and rules are declared in seeds/_seeds.yml (read by seed_specs below).


@dataclass(frozen=True)
class Problem:
    file: str
    where: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.where}: {self.message} (got {self.value})"


@dataclass
class Signal:
    signal: str
    kind: str
    measure: str
    params: dict
    line: int
    scored: bool = True  # False: an input of other measures (a `measures:` entry), earns no points
    key_lines: dict = field(default_factory=dict)  # key -> line, for messages


@dataclass
class ScoreModel:
    name: str
    entity: str  # user, account or property
    period: str
    signals: list[Signal]
    source: str
    description: str = ""
    entity_property: str | None = None
    window_days: int = 30
    scope: list[str] = field(default_factory=list)  # event types that bring an entity in; empty = any
    scope_line: int = 1  # the line of `scope:` in the declaration, for messages
    cold_start: str = "score"
    private: bool = False
    inputs: list[Signal] = field(default_factory=list)
    rolls_up: str | None = None
    group_property: str | None = None
    min_group_size: int = 1

    @property
    def entity_type(self) -> str:
        return self.entity_property if self.entity == "property" else self.entity

    @property
    def entity_column(self) -> str:
        return ENTITIES.get(self.entity, "")

    @property
    def measures(self) -> list[Signal]:
        """Every measure the model computes: its inputs, then its signals."""
        return [*self.inputs, *self.signals]


@dataclass
class Config:
    project_dir: Path
    models: list[ScoreModel] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # score models whose declaration was refused: their seed rows are not checked against it
    refused: set[str] = field(default_factory=set)
    # well-formed but suspicious (engagement_semantics): reported, refused only by validate --strict
    warnings: list[Problem] = field(default_factory=list)


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping key (as __lines__)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode):
    mapping = {}
    lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            # `? [a, b]`: a list or mapping as a key (PyYAML would fail with a TypeError)
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain name, not a list or mapping", key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if key in lines:
            # YAML says keys are unique; PyYAML would keep the last value silently
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice in one mapping (lines {lines[key]} and "
                f"{key_node.start_mark.line + 1}); YAML keeps only the last: remove one", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    mapping["__lines__"] = lines
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _show(value) -> str:
    return repr(value)


def _relative(path: Path, project_dir: Path) -> str:
    try:
        return str(path.relative_to(project_dir))
    except ValueError:
        return str(path)


def _is_number(value) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return True  # an int of any size (math.isfinite would overflow converting a 400-digit one)
    return isinstance(value, float) and math.isfinite(value)


def _valid_divisor(value) -> bool:
    # the bounds keep the generated division inside every engine's number types
    return _is_number(value) and Decimal("0.0001") <= Decimal(value) <= 1_000_000_000


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


# --- the declarations' schema: a JSON Schema (draft 2020-12) checked by the jsonschema library ------
# What a key may hold and which keys a mapping takes (per measure kind) is stated here as data; the
# library walks the declaration, and each error is turned into a Problem with the file and the line
# of the key (the loader remembers every key's line). A subschema's "message" (an annotation the
# library ignores) words the problem; "what" names the mapping in messages about its keys. What needs
# more than one key or file (the name equals the file's, ratios name other measures, an allow-list
# seed exists, share needs allow_list, scale depends on the kind, roll-ups) stays in the code below.

NAME_RULE = "^[a-z][a-z0-9_]{0,62}$"
PROPERTY_RULE = "^[A-Za-z_][A-Za-z0-9_]{0,62}$"
_FORMATS = None


def _format_checker():
    """The formats "name" and "property": the patterns matched in full (JSON Schema's `pattern`
    searches, and `$` would let a trailing line break through)."""
    global _FORMATS
    if _FORMATS is None:
        import jsonschema

        _FORMATS = jsonschema.FormatChecker(formats=())
        _FORMATS.checks("name")(lambda value: not isinstance(value, str) or NAME_PATTERN.fullmatch(value) is not None)
        _FORMATS.checks("property")(
            lambda value: not isinstance(value, str) or PROPERTY_PATTERN.fullmatch(value) is not None)
    return _FORMATS


def _name(key: str, what: str = "") -> dict:
    return {"type": "string", "format": "name", "message": f"{key} must {what or 'match ' + NAME_RULE}"}


def _property(key: str) -> dict:
    return {"type": "string", "format": "property",
            "message": f"{key} must be a JSON property name matching {PROPERTY_RULE}"}


def _keys_of(what: str, allowed: set[str]) -> dict:
    return {"enum": sorted(allowed), "message": f"unknown key in a {what}; accepted keys: {', '.join(sorted(allowed))}"}


def _measure_schema(scored: bool) -> dict:
    noun = "signal" if scored else "measure"
    common_required = SIGNAL_COMMON_REQUIRED if scored else INPUT_COMMON_REQUIRED
    common_optional = SIGNAL_COMMON_OPTIONAL if scored else INPUT_COMMON_OPTIONAL
    every_key = common_required | common_optional | set().union(*(r | o for r, o in KINDS.values()))
    event_type = "be a canonical event type matching " + NAME_RULE
    per_kind = [{
        "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
        "then": {"required": sorted(common_required | required), "what": f"{noun} of kind {kind!r}",
                 "propertyNames": _keys_of(f"{noun} of kind {kind!r}", common_required | common_optional | required
                                           | optional)},
    } for kind, (required, optional) in KINDS.items()]
    return {
        "type": "object",
        "message": f"each entry of {noun}s is a mapping with keys {noun}, kind, ...",
        "properties": {
            "signal": _name("signal"), "measure": _name("measure"),
            "kind": {"enum": list(KINDS), "message": f"unknown measure kind; accepted: {', '.join(KINDS)}"},
            "description": {"type": "string", "message": "description must be text"},
            "event_type": _name("event_type", event_type), "close_event_type": _name("close_event_type", event_type),
            "property": _property("property"), "key_property": _property("key_property"),
            "member": {"anyOf": [{"enum": sorted(MEMBERS)},
                                 {"type": "object", "required": ["property"], "additionalProperties": False,
                                  "properties": {"property": {"type": "string", "format": "property"}}}],
                       "message": "member must be user, account or {property: NAME}"},
            "change": {"enum": ["gained", "lost"],
                       "message": "change must be gained (active this period, not the one before) or lost (active "
                                  "the period before, not this one)"},
        },
        "allOf": [*per_kind, {
            "if": {"properties": {"kind": {"enum": list(KINDS)}}, "required": ["kind"]},
            "else": {"required": sorted(common_required), "what": noun,
                     "propertyNames": _keys_of(noun, every_key)},
        }],
    }


def score_model_schema() -> dict:
    """The JSON Schema of a score_models/<name>.yml declaration."""
    allowed = TOP_LEVEL_REQUIRED | TOP_LEVEL_OPTIONAL
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "message": "a score model file is a mapping with keys score_model, entity, signals",
        "required": sorted(TOP_LEVEL_REQUIRED), "what": "score model",
        "propertyNames": _keys_of("score model", allowed),
        "properties": {
            "score_model": _name("score_model"),
            "entity": {"anyOf": [{"enum": sorted(ENTITIES)},
                                 {"type": "object", "required": ["property"], "additionalProperties": False,
                                  "properties": {"property": True}}],
                       "message": f"entity must be one of {sorted(ENTITIES)} or {{property: NAME}}",
                       "properties": {"property": {
                           "type": "string", "format": "property",
                           "message": f"entity: {{property: NAME}} needs a JSON property name matching {PROPERTY_RULE}",
                       }}},
            "period": {"enum": sorted(PERIODS), "message": f"period must be one of {sorted(PERIODS)}"},
            "window_days": {"type": "integer", "minimum": 1, "maximum": 366,
                            "message": "window_days must be a whole number of days from 1 to 366"},
            "scope": {"anyOf": [{"type": "object", "required": ["event_types"], "additionalProperties": False,
                                 "properties": {"event_types": {"type": "array",
                                                                "items": {"type": "string", "format": "name"}}}}],
                      "message": f"scope must be {{event_types: [canonical event types]}} (names matching {NAME_RULE})"},
            "cold_start": {"enum": sorted(COLD_START), "message": f"cold_start must be one of {sorted(COLD_START)}"},
            "private": {"type": "boolean", "message": "private must be true or false"},
            "rolls_up": {"type": "string", "format": "name",
                         "message": "rolls_up names a declared user-level score model, and only an entity: account "
                                    "model may roll one up"},
            "group_by": {"anyOf": [{"type": "object", "required": ["property"], "additionalProperties": False,
                                    "properties": {"property": {"type": "string", "format": "property"},
                                                   "min_group_size": True}}],
                         "message": "group_by must be {property: NAME, min_group_size: N} (N optional, default 1)",
                         "properties": {"min_group_size": {
                             "type": "integer", "minimum": 1, "maximum": 1000000,
                             "message": "min_group_size must be a whole number from 1 to 1000000"}}},
            "description": {"type": "string", "message": "description must be text"},
            "measures": {"type": "array", "items": _measure_schema(scored=False),
                         "message": "measures must be a list of mappings (inputs of other measures, earning no points)"},
            "signals": {"type": "array", "minItems": 1, "items": _measure_schema(scored=True),
                        "message": "signals must be a non-empty list of mappings"},
        },
    }


_VALIDATOR = None


def _schema_problems(data: dict, file: str) -> list[Problem]:
    """The declaration checked against score_model_schema() by jsonschema, as Problems with lines."""
    global _VALIDATOR
    import jsonschema

    if _VALIDATOR is None:
        schema = score_model_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        _VALIDATOR = jsonschema.Draft202012Validator(schema, format_checker=_format_checker())
    problems, seen = [], set()
    for error in sorted(_VALIDATOR.iter_errors(_plain(data)), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(error.absolute_path)
        owner = data
        for step in path[:-1]:
            owner = owner[step]
        if "propertyNames" in error.absolute_schema_path:  # an unknown key: the error's instance is the key
            key = error.instance
            where = f"line {data_line(_at(data, path), key)}"
            problem = Problem(file, where, _show(key), error.schema["message"])
        elif error.validator == "required":
            target = _at(data, path)
            for key in error.validator_value:
                if key not in target:
                    problem = Problem(file, f"line {target.get('__line__', 1)}", "nothing",
                                      f"a {error.schema.get('what', 'mapping')} needs the key {key!r}")
                    if problem not in seen:
                        seen.add(problem)
                        problems.append(problem)
            continue
        else:
            message = error.schema.get("message") or error.message
            if path and isinstance(path[-1], int):  # an entry of a list: the list's own line
                section = path[-2] if len(path) > 1 else "?"
                grand = _at(data, path[:-2]) if len(path) > 1 else data
                where = f"{section}[{path[-1]}] near line {data_line(grand, section)}"
            elif path:
                where = f"line {data_line(owner, path[-1])}"
            else:
                where = "line 1"
            problem = Problem(file, where, _show(_plain(error.instance)), message)
        if problem not in seen:
            seen.add(problem)
            problems.append(problem)
    return problems


def _at(data, path: list):
    for step in path:
        data = data[step]
    return data


def data_line(mapping, key) -> int:
    if isinstance(mapping, dict):
        return mapping.get("__lines__", {}).get(key, mapping.get("__line__", 1))
    return 1


def load_config(project_dir: Path) -> Config:
    """Reads every score_models/*.yml; structural problems are collected, not raised."""
    config = Config(project_dir=project_dir)
    directory = project_dir / "score_models"
    files = sorted(directory.glob("*.yml")) + sorted(directory.glob("*.yaml"))
    if not files:
        config.problems.append(Problem("score_models/", "-", "no files", "declare at least one score model in "
                                       "score_models/<name>.yml"))
    seen_models: dict[str, str] = {}
    for path in files:
        model = _load_model(path, config)
        if model is None:
            config.refused.add(path.stem)
            continue
        if model.name in seen_models:
            config.problems.append(Problem(model.source, "line 1", _show(model.name),
                                           f"score_model is already declared in {seen_models[model.name]}"))
            continue
        seen_models[model.name] = model.source
        config.models.append(model)
    by_name = {model.name: model for model in config.models}
    for model in config.models:
        if model.rolls_up is None:
            continue
        target = by_name.get(model.rolls_up)
        if target is None and model.rolls_up in config.refused:
            continue  # its own declaration was refused, and said so
        if target is None or target.entity != "user" or target.period != model.period:
            config.problems.append(Problem(model.source, "rolls_up", _show(model.rolls_up),
                                           f"rolls_up must name a declared score model with entity user and the "
                                           f"same period ({model.period}); user models: "
                                           + (", ".join(sorted(m.name for m in config.models if m.entity == "user"))
                                              or "none")))
    return config


def _load_model(path: Path, config: Config) -> ScoreModel | None:
    name = _relative(path, config.project_dir)
    problems = config.problems
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "-"
        problems.append(Problem(name, where, "the file", f"is not valid YAML: {getattr(error, 'problem', error)}"))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(name, "-", "the file", "is not UTF-8 text"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(name, "line 1", _show(type(data).__name__),
                                "a score model file is a mapping with keys score_model, entity, signals"))
        return None

    lines = data.get("__lines__", {})
    start = len(problems)
    problems.extend(_schema_problems(data, name))  # keys, and what each key may hold

    def where(key: str) -> str:
        return f"line {lines.get(key, 1)}"

    model_name = data.get("score_model")
    if _valid_name(model_name) and model_name != path.stem:
        problems.append(Problem(name, where("score_model"), _show(model_name),
                                f"score_model must equal the file name, {path.stem!r}"))
    entity, entity_property = data.get("entity"), None
    if isinstance(entity, dict):
        entity, entity_property = "property", entity.get("property")
    period = data.get("period", "month")
    window_days = data.get("window_days", PERIODS.get(period, 30))
    scope = data.get("scope", {})
    scope_types = scope.get("event_types", []) if isinstance(scope, dict) else []
    cold_start = data.get("cold_start", "score")
    private = data.get("private", False)
    rolls_up = data.get("rolls_up")
    if _valid_name(rolls_up) and entity != "account":
        problems.append(Problem(name, where("rolls_up"), _show(rolls_up),
                                "rolls_up names a declared user-level score model, and only an entity: account "
                                "model may roll one up"))
    group_by = data.get("group_by")
    group_property, min_group_size = None, 1
    if isinstance(group_by, dict):
        group_property, min_group_size = group_by.get("property"), group_by.get("min_group_size", 1)
    description = data.get("description", "")

    inputs: list[Signal] = []
    raw_inputs = data.get("measures", [])
    for index, item in enumerate(raw_inputs if isinstance(raw_inputs, list) else []):
        measure = _load_signal(item, index, name, config, lines.get("measures", 1), scored=False)
        if measure is not None:
            inputs.append(measure)

    raw_signals = data.get("signals")
    signals: list[Signal] = []
    if isinstance(raw_signals, list):
        for index, item in enumerate(raw_signals):
            signal = _load_signal(item, index, name, config, lines.get("signals", 1))
            if signal is not None:
                signals.append(signal)
        _check_unique(signals, "signal", name, problems)
        _check_unique(inputs + signals, "measure", name, problems)
    _check_ratios(inputs + signals, name, problems)

    if len(problems) > start:
        return None
    return ScoreModel(model_name, entity, period, signals, name, description, entity_property=entity_property,
                      window_days=window_days, scope=list(scope_types), cold_start=cold_start, private=private,
                      inputs=inputs, rolls_up=rolls_up, group_property=group_property,
                      min_group_size=min_group_size, scope_line=lines.get("scope", 1))


def _plain(value):
    """A value read by the line-remembering loader, without its line bookkeeping (for messages)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("__lines__", "__line__")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _check_ratios(measures: list[Signal], file: str, problems: list) -> None:
    """A ratio divides measures of the same model that are not ratios themselves."""
    plain = {m.measure for m in measures if m.kind != "ratio"}
    for measure in measures:
        if measure.kind != "ratio":
            continue
        numerator, denominator = measure.params["numerator"], measure.params["denominator"]
        parts = denominator if isinstance(denominator, list) else [denominator]
        for key, names in (("numerator", [numerator]), ("denominator", parts)):
            for part in names:
                if part == "days_in_period" and key == "denominator":
                    continue
                if part not in plain:
                    problems.append(Problem(file, f"line {measure.line}", _show(_plain(part)),
                                            f"a ratio's {key} names another measure of this model that is not a "
                                            f"ratio (or, as denominator, days_in_period); measures: "
                                            f"{', '.join(sorted(plain))}"))


def _valid_name(value) -> bool:
    return isinstance(value, str) and NAME_PATTERN.fullmatch(value) is not None


def _load_signal(item, index: int, file: str, config: Config, list_line: int, scored: bool = True) -> Signal | None:
    """One entry of signals (scored) or measures, already checked against the schema (keys, names,
    event types, properties, member, change): the checks that need more than one key, then the Signal
    (None when the entry has a problem)."""
    problems = config.problems
    name_key = "signal" if scored else "measure"
    if not isinstance(item, dict) or item.get("kind") not in KINDS or not _valid_name(item.get(name_key)):
        return None  # the schema said why
    kind = item["kind"]
    required, optional = KINDS[kind]
    if any(key not in item for key in required) or any(
            key not in required | optional | SIGNAL_COMMON_REQUIRED | SIGNAL_COMMON_OPTIONAL
            | INPUT_COMMON_REQUIRED | INPUT_COMMON_OPTIONAL for key in item if key not in ("__lines__", "__line__")):
        return None  # the schema said why
    lines = item["__lines__"]
    line = item["__line__"]
    start = len(problems)

    def where(key: str) -> str:
        return f"line {lines.get(key, line)}"

    if "divide_by" in item and not _valid_divisor(item["divide_by"]):
        problems.append(Problem(file, where("divide_by"), _short(item["divide_by"]),
                                "divide_by must be a number from 0.0001 to 1000000000"))
    if "allow_list" in item:
        _check_allow_list(item, file, where("allow_list"), config)
    if "share" in item and (not isinstance(item["share"], bool) or (item["share"] and "allow_list" not in item)):
        problems.append(Problem(file, where("share"), _show(item["share"]),
                                "share must be true or false, and true needs an allow_list (the share of its values)"))
    if "scale" in item:
        scale = _plain(item["scale"])
        if kind == "scale_average":
            if not (isinstance(scale, list) and len(scale) == 2 and all(_is_number(v) for v in scale)
                    and scale[0] < scale[1] and all(abs(v) < 1e9 for v in scale)):
                problems.append(Problem(file, where("scale"), _show(scale),
                                        "scale is [lowest, highest] answer, numbers with lowest < highest"))
        elif not (_is_number(scale) and scale > 0 and scale < 1e9):
            problems.append(Problem(file, where("scale"), _show(scale), "scale must be a number > 0 (e.g. 100)"))
    if "when_undefined" in item and not (_is_number(item["when_undefined"]) and abs(item["when_undefined"]) < 1e9):
        problems.append(Problem(file, where("when_undefined"), _show(item["when_undefined"]),
                                "when_undefined must be a number (the value when the denominator is 0)"))
    if kind == "ratio":
        for key in ("numerator", "denominator"):
            value = _plain(item.get(key))
            values = value if key == "denominator" and isinstance(value, list) and value else [value]
            if not all(_valid_name(v) for v in values):
                problems.append(Problem(file, where(key), _show(value),
                                        f"{key} must name a measure of this model"
                                        + (" (or a list of them, summed)" if key == "denominator" else "")))

    if len(problems) > start:
        return None
    params = {key: _plain(value) for key, value in item.items() if key not in ("__lines__", "__line__")}
    name = item["signal"] if scored else item["measure"]
    return Signal(name, kind, item.get("measure", name), params, line, scored, dict(lines))


def _check_allow_list(item: dict, file: str, where: str, config: Config) -> None:
    seed = item["allow_list"]
    problems = config.problems
    if not _valid_name(seed):
        problems.append(Problem(file, where, _show(seed), "allow_list must name a seed, ^[a-z][a-z0-9_]{0,62}$"))
        return
    path = config.project_dir / "seeds" / f"{seed}.csv"
    if not path.exists():
        problems.append(Problem(file, where, _show(seed), f"allow_list names no seed: seeds/{seed}.csv does not exist"))
        return
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    needed = ["score_model", item.get("property")]
    if header != needed:
        problems.append(Problem(file, where, _show(seed),
                                f"the allow-list seed seeds/{seed}.csv must have the columns {','.join(map(str, needed))}"
                                f" (score model, then the property's values); it has {','.join(header)}"))


def _check_unique(signals: list[Signal], attribute: str, file: str, problems: list) -> None:
    seen: dict[str, int] = {}
    for signal in signals:
        value = getattr(signal, attribute)
        if value in seen:
            problems.append(Problem(file, f"line {signal.line}", _show(value),
                                    f"{attribute} names must be unique in a score model (also at line {seen[value]})"))
        else:
            seen[value] = signal.line


# ---------------------------------------------------------------------------------------------
# seeds


def _read_seed(path: Path, columns: list[str], config: Config) -> list[tuple[int, dict]] | None:
    name = _relative(path, config.project_dir)
    if not path.exists():
        config.problems.append(Problem(name, "-", "missing file", "the seed is required"))
        return None
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = [(reader.line_num, row) for row in reader]
    except (UnicodeDecodeError, csv.Error) as error:
        config.problems.append(Problem(name, "-", "the file", f"is not a readable UTF-8 CSV file: {error}"))
        return None
    if header != columns:
        config.problems.append(Problem(name, "line 1", _show(",".join(header or [])),
                                       f"the header must be exactly {','.join(columns)}"))
        return None
    result = []
    for line, row in rows:
        if not row:
            continue
        if len(row) != len(columns):
            config.problems.append(Problem(name, f"row {line}", _show(",".join(row)),
                                           f"a row needs {len(columns)} fields ({','.join(columns)}), it has {len(row)}"))
            continue
        result.append((line, dict(zip(columns, row))))
    return result


# --- the seeds' rules, declared once in seeds/_seeds.yml -------------------------------------
# dbt runs them as data tests; validate reads the same file and checks the CSV rows before a build.
# See the comment at the top of seeds/_seeds.yml for what is declared there and what stays here.

SEEDS_YML = Path("seeds") / "_seeds.yml"
DECIMAL_TYPE = re.compile(r"decimal\(\s*([0-9]+)\s*,\s*([0-9]+)\s*\)", re.IGNORECASE)


@dataclass
class SeedSpec:
    """One seed's declaration in seeds/_seeds.yml: what check_seed checks."""
    name: str
    columns: list[str]
    types: dict[str, str]  # column -> its column_type as written (text types are Jinja)
    not_null: list[str] = field(default_factory=list)
    unique: list[str] = field(default_factory=list)
    accepted: dict[str, list[str]] = field(default_factory=dict)
    combinations: list[tuple[list[str], str | None]] = field(default_factory=list)  # columns, message
    rules: dict = field(default_factory=dict)  # the arguments of engagement_seed_rules

    def sql_type(self, column: str) -> str:
        declared = self.types.get(column, "")
        if DECIMAL_TYPE.fullmatch(declared.strip()) or declared.strip().lower() == "integer":
            return declared.strip()
        return "varchar"  # the text types (rendered per target by dbt) and undeclared columns


def _tests(entries) -> list[tuple[str, dict, dict]]:
    """A yml data_tests list as (test, arguments, config)."""
    found = []
    for entry in entries or []:
        if isinstance(entry, str):
            found.append((entry, {}, {}))
        elif isinstance(entry, dict):
            for test, body in entry.items():
                body = body or {}
                found.append((test, body.get("arguments") or {}, body.get("config") or {}))
    return found


def seed_specs(project_dir: Path) -> dict[str, SeedSpec]:
    """Every seed declared in seeds/_seeds.yml, by name (empty when the file is missing or unreadable:
    the seeds' problems are then those of their CSV files alone)."""
    path = project_dir / SEEDS_YML
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    specs = {}
    for seed in document.get("seeds") or []:
        columns = seed.get("columns") or []
        spec = SeedSpec(seed["name"], [column["name"] for column in columns],
                        dict((seed.get("config") or {}).get("column_types") or {}))
        for column in columns:
            for test, arguments, _ in _tests(column.get("data_tests")):
                if test == "not_null":
                    spec.not_null.append(column["name"])
                elif test == "unique":
                    spec.unique.append(column["name"])
                elif test == "accepted_values":
                    spec.accepted[column["name"]] = [str(value) for value in arguments["values"]]
        for test, arguments, test_config in _tests(seed.get("data_tests")):
            if test == "engagement_unique_combination":
                spec.combinations.append((list(arguments["columns"]), (test_config.get("meta") or {}).get("message")))
            elif test == "engagement_seed_rules":
                spec.rules = arguments
        specs[spec.name] = spec
    return specs


def seed_columns(project_dir: Path, seed: str) -> list[str]:
    """A seed's columns, in the order of its CSV header, as seeds/_seeds.yml lists them."""
    spec = seed_specs(project_dir).get(seed)
    return spec.columns if spec else []


def _one_of(values: list[str]) -> str:
    return ", ".join(values[:-1]) + " or " + values[-1] if len(values) > 1 else "".join(values)


def _type_problem(spec: SeedSpec, column: str, text: str) -> str | None:
    declared = spec.sql_type(column)
    decimal = DECIMAL_TYPE.fullmatch(declared)
    if decimal:
        before, after = int(decimal.group(1)) - int(decimal.group(2)), int(decimal.group(2))
        pattern = rf"-?[0-9]{{1,{before}}}" + (rf"(\.[0-9]{{1,{after}}})?" if after else "")
        if not re.fullmatch(pattern, text):
            return (f"{column} must be a decimal number like -12.5 (at most {before} digits before the point and "
                    f"{after} after)")
    elif declared.lower() == "integer" and not re.fullmatch(r"-?[0-9]{1,9}", text):
        return f"{column} must be a whole number"
    return None


def _message(template: str, row: dict, blank: str | None = None) -> str:
    text = template.replace("{blank}", blank) if blank else template
    return re.sub(r"\{([a-z_][a-z0-9_]*)\}", lambda match: row.get(match.group(1), "").strip(), text)


def _shown(row: dict, columns: list[str]) -> str:
    return ", ".join(f"{column}={row[column].strip()!r}" for column in columns)


def check_seed(config: Config, seed: str, row_check=None) -> list[tuple[int, dict]] | None:
    """Checks seeds/<seed>.csv against its declaration in seeds/_seeds.yml, adding a Problem (file,
    row, value) for each broken rule. row_check(line, row) -> bool adds the checks only this side can
    make (declared score models); a row failing it, or a column rule, is left out of the rules that
    compare rows. Returns the rows that passed the column rules (None when the file is unreadable)."""
    spec = seed_specs(config.project_dir).get(seed)
    path = config.project_dir / "seeds" / f"{seed}.csv"
    file = _relative(path, config.project_dir)
    if spec is None:
        config.problems.append(Problem(str(SEEDS_YML), "-", repr(seed), "the seed is not declared in seeds/_seeds.yml"))
        return None
    rows = _read_seed(path, spec.columns, config)
    if rows is None:
        return None
    good = []
    for line, row in rows:
        start = len(config.problems)
        if row_check is not None and row_check(line, row) is False:
            continue
        if spec.rules.get("declared_signal") and not _declared_signal(config, spec, file, line, row):
            continue
        for column in spec.columns:
            text = row[column].strip()
            if text == "":
                if column in spec.not_null:
                    config.problems.append(Problem(file, f"row {line}", f"{column}=''", f"{column} is required"))
                continue
            if column in spec.accepted and text not in spec.accepted[column]:
                config.problems.append(Problem(file, f"row {line}", f"{column}={row[column]!r}",
                                               f"{column} must be one of {_one_of(spec.accepted[column])}"))
            problem = _type_problem(spec, column, text)
            if problem:
                config.problems.append(Problem(file, f"row {line}", f"{column}={row[column].strip()!r}", problem))
        if len(config.problems) == start:
            good.append((line, row))
    repeated = set()  # a repeated key's later rows: reported here, left out of the checks that follow
    for columns, message in [([column], None) for column in spec.unique] + spec.combinations:
        seen: dict[tuple, int] = {}
        for line, row in good:
            key = tuple(row[column].strip() for column in columns)
            if key in seen:
                config.problems.append(Problem(
                    file, f"row {line}", _shown(row, columns),
                    f"{message or ' and '.join(columns) + ' must be unique'} (also row {seen[key]})"))
                repeated.add(line)
            seen.setdefault(key, line)
    if spec.rules:
        _check_seed_rules(config, spec, file, good)
    return [(line, row) for line, row in good if line not in repeated]


def _declared_signal(config: Config, spec: SeedSpec, file: str, line: int, row: dict) -> bool:
    """engagement_seed_rules' declared_signal: the row's (score model, signal) is declared."""
    model_column, signal_column = spec.rules["declared_signal"]
    model, signal = row[model_column], row[signal_column]
    declared = {model.name: {signal.signal for signal in model.signals} for model in config.models}
    if model in declared and signal not in declared[model]:
        config.problems.append(Problem(file, f"row {line}", f"{signal_column}={signal!r}",
                                       f"signal is not declared in score_models/{model}.yml; declared: "
                                       f"{', '.join(sorted(declared[model]))}"))
        return False
    return True


def _check_seed_rules(config: Config, spec: SeedSpec, file: str, rows: list[tuple[int, dict]]) -> None:
    """The engagement_seed_rules of a seed: its SQL conditions run on an in-memory DuckDB over the rows
    (typed as dbt loads them), the ranges compared here."""
    import duckdb  # dbt-duckdb's engine, installed with the project

    rules = spec.rules
    connection = duckdb.connect(":memory:")
    try:
        columns = ", ".join(f'"{column}" {spec.sql_type(column)}' for column in spec.columns)
        connection.execute(f"create table seed (_row integer, {columns})")
        if rows:
            marks = ", ".join("?" for _ in range(len(spec.columns) + 1))
            connection.executemany(f"insert into seed values ({marks})", [
                [line, *[(row[column].strip() or None) if spec.sql_type(column) != "varchar" else
                         (None if row[column].strip() == "" else row[column]) for column in spec.columns]]
                for line, row in rows])
        by_line = dict(rows)
        for rule in rules.get("rows") or []:
            checks = ([(f'"{column}" is null', column, [column]) for column in rule["blank"]] if "blank" in rule
                      else [(rule["check"], None, rule.get("show") or [])])
            for check, blank, shown in checks:
                failing = connection.execute(
                    f"select _row from seed where ({rule.get('when') or 'true'}) and not coalesce(({check}), false) "
                    "order by _row").fetchall()
                for (line,) in failing:
                    row = by_line[line]
                    config.problems.append(Problem(file, f"row {line}", _shown(row, shown),
                                                   _message(rule["message"], row, blank)))
        for rule in rules.get("groups") or []:
            group = ", ".join(f'"{column}"' for column in rule["group_by"])
            failing = connection.execute(
                f"select list(_row order by _row) from seed where {rule.get('when') or 'true'} group by {group} "
                f"having not coalesce(({rule['check']}), false) order by min(_row)").fetchall()
            for (lines,) in failing:
                row = by_line[lines[0]]
                config.problems.append(Problem(file, f"rows {', '.join(map(str, lines))}",
                                               _shown(row, [c for c in rule["group_by"] if c != "score_model"]
                                                      or rule["group_by"]),
                                               _message(rule["message"], row)))
        for rule in rules.get("ranges") or []:
            _check_ranges(config, rule, rules["key"], file, connection, by_line)
    finally:
        connection.close()


def _check_ranges(config: Config, rule: dict, key: list[str], file: str, connection, by_line: dict) -> None:
    """[lower, upper) ranges per partition (a blank bound open): none overlap; with cover, none leaves
    a gap and the lowest and highest are open."""
    lower, upper, noun = rule["lower"], rule["upper"], rule["noun"]
    partition = ", ".join(f'"{column}"' for column in rule["partition_by"])
    found = connection.execute(
        f'select _row, {partition}, "{lower}", "{upper}" from seed where {rule.get("when") or "true"} '
        "order by _row").fetchall()
    width = len(rule["partition_by"])
    groups: dict[tuple, list[tuple[int, object, object]]] = {}
    for item in found:
        groups.setdefault(tuple(item[1:1 + width]), []).append((item[0], item[1 + width], item[2 + width]))
    for entries in groups.values():
        # the order of the SQL test: lower bound (blank first), upper bound (blank last), then the key
        ordered = sorted(entries, key=lambda entry: (entry[1] is not None, entry[1] or 0, entry[2] is None,
                                                     entry[2] or 0, tuple(by_line[entry[0]][column].strip()
                                                                          for column in key)))

        def text(line: int, column: str) -> str:
            return by_line[line][column].strip()

        if rule.get("cover"):
            first_line, first_low, _ = ordered[0]
            if first_low is not None:
                config.problems.append(Problem(file, f"row {first_line}", f"{lower}={text(first_line, lower)}",
                                               f"the lowest {noun} must leave {lower} blank, so every low value "
                                               f"has a {noun}"))
            last_line, _, last_high = ordered[-1]
            if last_high is not None:
                config.problems.append(Problem(file, f"row {last_line}", f"{upper}={text(last_line, upper)}",
                                               f"the highest {noun} must leave {upper} blank, so every high value "
                                               f"has a {noun}"))
            for (line_a, _, high_a), (line_b, low_b, _) in zip(ordered, ordered[1:]):
                if high_a is None or low_b is None or high_a != low_b:
                    gap_or_overlap = "overlap" if (high_a is None or low_b is None or low_b < high_a) else "gap"
                    config.problems.append(Problem(file, f"rows {line_a} and {line_b}",
                                                   f"{upper}={text(line_a, upper) or None}, "
                                                   f"{lower}={text(line_b, lower) or None}",
                                                   f"{noun}s must be contiguous: a {noun}'s {lower} equals the "
                                                   f"{upper} of the {noun} below ({gap_or_overlap})"))
            continue
        for index, (line_a, low_a, high_a) in enumerate(ordered):
            for line_b, low_b, high_b in ordered[index + 1:]:
                if (low_a is not None and high_b is not None and low_a >= high_b) or \
                        (low_b is not None and high_a is not None and low_b >= high_a):
                    continue  # [low, high) ranges that do not meet
                row = by_line[line_b]
                config.problems.append(Problem(file, f"rows {line_a} and {line_b}",
                                               _shown(row, [c for c in rule["partition_by"] if c != "score_model"]
                                                      or rule["partition_by"]),
                                               f"{noun}s overlap: a value may match two rows ({lower} is "
                                               f"inclusive, {upper} exclusive)"))


def _declared_model(config: Config, file: str, column: str = "score_model"):
    """A row_check for check_seed: the row names a declared score model (rows of refused ones are skipped)."""
    declared = {model.name for model in config.models}

    def check(line: int, row: dict) -> bool:
        if row[column] in config.refused:
            return False
        if row[column] not in declared:
            config.problems.append(Problem(file, f"row {line}", f"{column}={row[column]!r}",
                                           f"no such score model; declared: {', '.join(sorted(declared)) or 'none'}"))
            return False
        return True
    return check


def check_weights(config: Config) -> None:
    """seeds/engagement_weights.csv: the rules of seeds/_seeds.yml, and (here only) that every declared
    signal has weight rows."""
    file = "seeds/engagement_weights.csv"
    path = config.project_dir / file
    if check_seed(config, "engagement_weights", _declared_model(config, file)) is None:
        return
    # any row naming the signal counts (a broken one is reported already)
    rows = _read_seed(path, seed_columns(config.project_dir, "engagement_weights"), Config(project_dir=config.project_dir))
    mentioned = {(row["score_model"], row["signal"]) for _, row in rows or []}
    for model in config.models:
        for signal in model.signals:
            if (model.name, signal.signal) not in mentioned:
                config.problems.append(Problem(file, "-", f"signal={signal.signal!r}",
                                               f"declared in {model.source} (line {signal.line}) but has no weight "
                                               "rows, so it would always score 0"))


def check_bands(config: Config) -> None:
    """seeds/engagement_bands.csv: the rules of seeds/_seeds.yml, and (here only) that every declared
    score model has bands."""
    file = "seeds/engagement_bands.csv"
    rows = check_seed(config, "engagement_bands", _declared_model(config, file))
    if rows is None:
        return
    with_bands = {row["score_model"] for _, row in rows}
    for model in sorted(model.name for model in config.models):
        if model not in with_bands:
            config.problems.append(Problem(file, "-", f"score_model={model!r}", "the score model has no bands"))
    check_band_order(config, file, rows)


def check_band_order(config: Config, file: str, rows: list[tuple[int, dict]]) -> None:
    """band_order says which band is better (1 = best): the changes (band_change, band_down alerts) and
    the lowest band (sustained_low, the roll-ups) read it. So within a model a band of higher scores
    has a lower order (the singular test assert_band_order_follows_scores says the same for dbt builds;
    that each order is the model's own is a rule of _seeds.yml); an order against the scores made the
    alerts point the wrong way, with no error."""
    def lower_bound(row: dict) -> float:
        text = (row.get("min_score") or "").strip()
        return float(text) if text else float("-inf")

    by_model: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for line, row in rows:
        by_model[row["score_model"]].append((line, row))
    for model, bands in sorted(by_model.items()):
        try:
            ranked = sorted(bands, key=lambda item: (-lower_bound(item[1]), int(item[1]["band_order"])))
        except (KeyError, TypeError, ValueError):
            continue  # a value the seed's own rules refuse
        # a repeated order is the seed's own rule (unique per score model, _seeds.yml), run by dbt too
        for (line_above, above), (line, row) in zip(ranked, ranked[1:]):
            if int(row["band_order"]) < int(above["band_order"]):
                config.problems.append(Problem(
                    file, f"row {line}", f"band_order={row['band_order']!r}",
                    f"band {row['band']!r} of {model!r} scores below band {above['band']!r} (row {line_above}) "
                    f"but has a better order ({row['band_order']} < {above['band_order']}); 1 = the best band, "
                    "the one of the highest scores"))


def check_alert_rules(config: Config) -> None:
    """seeds/engagement_alert_rules.csv: the rules of seeds/_seeds.yml (known alert types, one row per
    pair, each type with its own settings and the others blank, thresholds in range). The seed is
    required; a header-only file raises no alerts."""
    path = config.project_dir / "seeds" / "engagement_alert_rules.csv"
    if not path.exists():
        config.problems.append(Problem(_relative(path, config.project_dir), "-", "missing file",
                                       "the seed is required; a header-only file raises no alerts"))
        return
    check_seed(config, "engagement_alert_rules", _declared_model(config, "seeds/engagement_alert_rules.csv"))


def normalize_event_type(text: str) -> str:
    """The staging model's normalization, for checking the alias seed (same rule, written in Python)."""
    return re.sub(r"^_+|_+$", "", re.sub(r"[\s.\-]+", "_", text.strip().lower()))


def check_aliases(config: Config) -> None:
    """seeds/event_type_aliases.csv: the rules of seeds/_seeds.yml, then (here only: dbt has no test for
    it) the aliases and types compared once normalized as staging normalizes them."""
    path = config.project_dir / "seeds" / "event_type_aliases.csv"
    file = _relative(path, config.project_dir)
    rows = check_seed(config, "event_type_aliases")
    if rows is None:
        return
    targets: dict[str, tuple[int, str]] = {}
    canonical = {normalize_event_type(row["event_type"]) for _, row in rows}
    for line, row in rows:
        alias, target = normalize_event_type(row["alias"]), normalize_event_type(row["event_type"])
        if alias == "":
            config.problems.append(Problem(file, f"row {line}", f"alias={row['alias']!r}",
                                           "alias is empty once normalized"))
            continue
        if target == "":
            config.problems.append(Problem(file, f"row {line}", f"event_type={row['event_type']!r}",
                                           "event_type is empty once normalized"))
            continue
        if alias in targets and targets[alias][1] != target:
            config.problems.append(Problem(file, f"row {line}", f"alias={row['alias']!r}",
                                           f"the alias maps to {targets[alias][1]!r} at row {targets[alias][0]}; "
                                           f"an alias maps to one canonical type"))
        elif alias in targets:
            # staging joins the aliases once normalized: a second row would match each event twice
            config.problems.append(Problem(file, f"row {line}", f"alias={row['alias']!r}",
                                           f"the alias repeats row {targets[alias][0]} once normalized "
                                           f"({alias!r}); keep one of the two rows"))
        elif alias in canonical and alias != target:
            config.problems.append(Problem(file, f"row {line}", f"alias={row['alias']!r}",
                                           "the alias is itself a canonical event type; it cannot map to another"))
        targets.setdefault(alias, (line, target))


def check_allow_list_rows(config: Config) -> None:
    for model in config.models:
        for signal in model.signals:
            seed = signal.params.get("allow_list")
            if not seed:
                continue
            path = config.project_dir / "seeds" / f"{seed}.csv"
            rows = _read_seed(path, ["score_model", signal.params["property"]], config)
            file = _relative(path, config.project_dir)
            seen: dict[tuple[str, str], int] = {}
            for line, row in rows or []:
                value = row[signal.params["property"]].strip().lower()
                if value == "":
                    config.problems.append(Problem(file, f"row {line}", "''", "allow-list values must not be blank"))
                key = (row["score_model"], value)
                if key in seen:
                    config.problems.append(Problem(file, f"row {line}", _show(value),
                                                   f"duplicate allow-list value (also row {seen[key]})"))
                seen.setdefault(key, line)


def check_configuration(project_dir: Path) -> Config:
    """Every data check: declarations and seeds. Returns the config with its problems."""
    config = load_config(project_dir)
    check_weights(config)
    check_bands(config)
    check_alert_rules(config)
    check_aliases(config)
    check_allow_list_rows(config)
    import engagement_semantics  # a module of its own; imported here, as it imports this one

    engagement_semantics.check_semantics(config)
    return config
