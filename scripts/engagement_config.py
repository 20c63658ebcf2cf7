"""Loading and validating the scoring configuration: score-model declarations and seeds.

Every check reports a Problem that names the file, the line or row, the value and what would
be accepted, and all problems are reported at once. Nothing here builds SQL.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
PROPERTY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
NUMBER_PATTERN = re.compile(r"-?[0-9]{1,14}(\.[0-9]{1,4})?")

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

WEIGHTS_COLUMNS = ["score_model", "signal", "rule", "min_value", "max_value", "unit", "points", "cap", "label"]
BANDS_COLUMNS = ["score_model", "band", "min_score", "max_score", "band_order"]
ALERT_RULES_COLUMNS = ["score_model", "alert_type", "min_points", "min_percent", "periods", "days"]
# Each alert type's settings: the ones it needs (any one of them, for sudden_drop), the others blank.
ALERT_SETTINGS = {"sudden_drop": ("min_points", "min_percent"), "band_down": (), "sustained_low": ("periods",),
                  "gone_quiet": ("days",)}
ALIASES_COLUMNS = ["alias", "event_type"]
RULES = {"tier", "per_unit", "linear"}


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
    _check_keys(data, TOP_LEVEL_REQUIRED, TOP_LEVEL_OPTIONAL, name, lines, "score model", problems)

    model_name = data.get("score_model")
    if "score_model" in data and not _valid_name(model_name):
        problems.append(Problem(name, f"line {lines.get('score_model', 1)}", _show(model_name),
                                "score_model must match ^[a-z][a-z0-9_]{0,62}$"))
    elif "score_model" in data and model_name != path.stem:
        problems.append(Problem(name, f"line {lines.get('score_model', 1)}", _show(model_name),
                                f"score_model must equal the file name, {path.stem!r}"))
    def where(key: str) -> str:
        return f"line {lines.get(key, 1)}"

    entity, entity_property = data.get("entity"), None
    if isinstance(entity, dict) and set(k for k in entity if not k.startswith("__")) == {"property"}:
        entity_property = entity.get("property")
        if not _valid_property(entity_property):
            problems.append(Problem(name, where("entity"), _show(entity_property),
                                    "entity: {property: NAME} needs a JSON property name matching "
                                    "^[A-Za-z_][A-Za-z0-9_]{0,62}$"))
        entity = "property"
    elif "entity" in data and entity not in ENTITIES:
        problems.append(Problem(name, where("entity"), _show(_plain(entity)),
                                f"entity must be one of {sorted(ENTITIES)} or {{property: NAME}}"))
    period = data.get("period", "month")
    if period not in PERIODS:
        problems.append(Problem(name, where("period"), _show(period), f"period must be one of {sorted(PERIODS)}"))
    window_days = data.get("window_days", PERIODS.get(period, 30))
    if not (isinstance(window_days, int) and not isinstance(window_days, bool) and 1 <= window_days <= 366):
        problems.append(Problem(name, where("window_days"), _show(window_days),
                                "window_days must be a whole number of days from 1 to 366"))
    scope = data.get("scope", {"event_types": []})
    scope_types = scope.get("event_types") if isinstance(scope, dict) else None
    if (not isinstance(scope, dict) or set(k for k in scope if not k.startswith("__")) != {"event_types"}
            or not isinstance(scope_types, list) or not all(_valid_name(t) for t in scope_types)):
        problems.append(Problem(name, where("scope"), _show(_plain(scope)),
                                "scope must be {event_types: [canonical event types]} (names matching "
                                "^[a-z][a-z0-9_]{0,62}$)"))
        scope_types = []
    cold_start = data.get("cold_start", "score")
    if cold_start not in COLD_START:
        problems.append(Problem(name, where("cold_start"), _show(cold_start),
                                f"cold_start must be one of {sorted(COLD_START)}"))
    private = data.get("private", False)
    if not isinstance(private, bool):
        problems.append(Problem(name, where("private"), _show(private), "private must be true or false"))
    rolls_up = data.get("rolls_up")
    if rolls_up is not None and (not _valid_name(rolls_up) or entity != "account"):
        problems.append(Problem(name, where("rolls_up"), _show(rolls_up),
                                "rolls_up names a declared user-level score model, and only an entity: account "
                                "model may roll one up"))
    group_by = data.get("group_by")
    group_property, min_group_size = None, 1
    if group_by is not None:
        keys = set(k for k in group_by if not k.startswith("__")) if isinstance(group_by, dict) else None
        if not keys or not keys <= {"property", "min_group_size"} or "property" not in keys \
                or not _valid_property(group_by.get("property")):
            problems.append(Problem(name, where("group_by"), _show(_plain(group_by)),
                                    "group_by must be {property: NAME, min_group_size: N} (N optional, default 1)"))
        else:
            group_property = group_by["property"]
            min_group_size = group_by.get("min_group_size", 1)
            if not (isinstance(min_group_size, int) and not isinstance(min_group_size, bool)
                    and 1 <= min_group_size <= 1000000):
                problems.append(Problem(name, where("group_by"), _show(min_group_size),
                                        "min_group_size must be a whole number from 1 to 1000000"))
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(Problem(name, where("description"), _show(description), "description must be text"))

    inputs: list[Signal] = []
    raw_inputs = data.get("measures", [])
    if not isinstance(raw_inputs, list):
        problems.append(Problem(name, where("measures"), _show(_plain(raw_inputs)),
                                "measures must be a list of mappings (inputs of other measures, earning no points)"))
    else:
        for index, item in enumerate(raw_inputs):
            measure = _load_signal(item, index, name, config, lines.get("measures", 1), scored=False)
            if measure is not None:
                inputs.append(measure)

    raw_signals = data.get("signals")
    signals: list[Signal] = []
    if "signals" in data and (not isinstance(raw_signals, list) or not raw_signals):
        problems.append(Problem(name, where("signals"), _show(_plain(raw_signals)),
                                "signals must be a non-empty list of mappings"))
    elif isinstance(raw_signals, list):
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
                      min_group_size=min_group_size)


def _plain(value):
    """A value read by the line-remembering loader, without its line bookkeeping (for messages)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("__lines__", "__line__")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _valid_property(value) -> bool:
    return isinstance(value, str) and PROPERTY_PATTERN.fullmatch(value) is not None


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


def _check_keys(data: dict, required: set, optional: set, file: str, lines: dict, what: str, problems: list) -> None:
    allowed = required | optional
    for key in data:
        if key in ("__lines__", "__line__"):
            continue
        if key not in allowed:
            problems.append(Problem(file, f"line {lines.get(key, data.get('__line__', 1))}", _show(key),
                                    f"unknown key in a {what}; accepted keys: {', '.join(sorted(allowed))}"))
    for key in sorted(required - set(data)):
        problems.append(Problem(file, f"line {data.get('__line__', 1)}", "nothing",
                                f"a {what} needs the key {key!r}"))


def _load_signal(item, index: int, file: str, config: Config, list_line: int, scored: bool = True) -> Signal | None:
    problems = config.problems
    section = "signals" if scored else "measures"
    if not isinstance(item, dict):
        problems.append(Problem(file, f"{section}[{index}] near line {list_line}", _show(_plain(item)),
                                f"each entry of {section} is a mapping with keys "
                                f"{'signal' if scored else 'measure'}, kind, ..."))
        return None
    common_required = SIGNAL_COMMON_REQUIRED if scored else INPUT_COMMON_REQUIRED
    common_optional = SIGNAL_COMMON_OPTIONAL if scored else INPUT_COMMON_OPTIONAL
    lines = item["__lines__"]
    line = item["__line__"]
    start = len(problems)
    kind = item.get("kind")
    if "kind" in item and kind not in KINDS:
        problems.append(Problem(file, f"line {lines.get('kind', line)}", _show(kind),
                                f"unknown measure kind; accepted: {', '.join(KINDS)}"))
        required, optional = common_required, common_optional | set().union(*(
            r | o for r, o in KINDS.values()))
    elif kind in KINDS:
        required = common_required | KINDS[kind][0]
        optional = common_optional | KINDS[kind][1]
    else:
        required, optional = common_required, common_optional
    noun = "signal" if scored else "measure"
    what = f"{noun} of kind {kind!r}" if kind in KINDS else noun
    _check_keys(item, required, optional, file, lines, what, problems)

    def where(key: str) -> str:
        return f"line {lines.get(key, line)}"

    for key in ("signal", "measure"):
        if key in item and not _valid_name(item[key]):
            problems.append(Problem(file, where(key), _show(item[key]), f"{key} must match ^[a-z][a-z0-9_]{{0,62}}$"))
    for key in ("event_type", "close_event_type"):
        if key in item and not _valid_name(item[key]):
            problems.append(Problem(file, where(key), _show(item[key]),
                                    f"{key} must be a canonical event type matching ^[a-z][a-z0-9_]{{0,62}}$"))
    for key in ("property", "key_property"):
        if key in item and not (isinstance(item[key], str) and PROPERTY_PATTERN.fullmatch(item[key])):
            problems.append(Problem(file, where(key), _show(item[key]),
                                    f"{key} must be a JSON property name matching ^[A-Za-z_][A-Za-z0-9_]{{0,62}}$"))
    if "divide_by" in item and not _valid_divisor(item["divide_by"]):
        problems.append(Problem(file, where("divide_by"), _short(item["divide_by"]),
                                "divide_by must be a number from 0.0001 to 1000000000"))
    if "description" in item and not isinstance(item["description"], str):
        problems.append(Problem(file, where("description"), _show(item["description"]), "description must be text"))
    if "allow_list" in item:
        _check_allow_list(item, file, where("allow_list"), config)
    if "share" in item and (not isinstance(item["share"], bool) or (item["share"] and "allow_list" not in item)):
        problems.append(Problem(file, where("share"), _show(item["share"]),
                                "share must be true or false, and true needs an allow_list (the share of its values)"))
    if "member" in item:
        member = _plain(item["member"])
        if not (member in MEMBERS or (isinstance(member, dict) and set(member) == {"property"}
                                      and _valid_property(member["property"]))):
            problems.append(Problem(file, where("member"), _show(member),
                                    "member must be user, account or {property: NAME}"))
    if "change" in item and item["change"] not in ("gained", "lost"):
        problems.append(Problem(file, where("change"), _show(item["change"]),
                                "change must be gained (active this period, not the one before) or lost "
                                "(active the period before, not this one)"))
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


def _number(text: str, file: str, line: int, column: str, config: Config, required: bool) -> Decimal | None:
    text = text.strip()
    if text == "":
        if required:
            config.problems.append(Problem(file, f"row {line}", f"{column}=''", f"{column} is required"))
        return None
    if not NUMBER_PATTERN.fullmatch(text):
        config.problems.append(Problem(file, f"row {line}", f"{column}={text!r}",
                                       f"{column} must be a decimal number like -12.5 (at most 14 digits before "
                                       "the point and 4 after)"))
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes this
        return None


def check_weights(config: Config) -> None:
    path = config.project_dir / "seeds" / "engagement_weights.csv"
    file = _relative(path, config.project_dir)
    rows = _read_seed(path, WEIGHTS_COLUMNS, config)
    if rows is None:
        return
    declared = {model.name: {signal.signal for signal in model.signals} for model in config.models}
    by_signal: dict[tuple[str, str], list[tuple[int, dict, dict]]] = {}
    mentioned = {(row["score_model"], row["signal"]) for _, row in rows}
    for line, row in rows:
        model, signal, rule = row["score_model"], row["signal"], row["rule"]
        if model in config.refused:
            continue
        start = len(config.problems)
        if model not in declared:
            config.problems.append(Problem(file, f"row {line}", f"score_model={model!r}",
                                           f"no such score model; declared: {', '.join(sorted(declared)) or 'none'}"))
        elif signal not in declared[model]:
            config.problems.append(Problem(file, f"row {line}", f"signal={signal!r}",
                                           f"signal is not declared in score_models/{model}.yml; declared: "
                                           f"{', '.join(sorted(declared[model]))}"))
        if rule not in RULES:
            config.problems.append(Problem(file, f"row {line}", f"rule={rule!r}", "rule must be tier, per_unit or linear"))
        numbers = {column: _number(row[column], file, line, column, config, column == "points")
                   for column in ("min_value", "max_value", "unit", "points", "cap")}
        if len(config.problems) > start:
            continue
        if rule in ("per_unit", "linear"):
            if numbers["min_value"] is not None or numbers["max_value"] is not None:
                config.problems.append(Problem(file, f"row {line}", "min_value/max_value",
                                               f"a {rule} row leaves min_value and max_value blank"))
            if numbers["unit"] is None or numbers["unit"] <= 0:
                config.problems.append(Problem(file, f"row {line}", f"unit={row['unit']!r}",
                                               f"a {rule} row needs unit > 0"))
            if numbers["points"] > 0 and numbers["cap"] is None:
                config.problems.append(Problem(file, f"row {line}", "cap=''",
                                               f"a {rule} row with positive points needs a cap, else the maximum "
                                               "score is unbounded"))
            if numbers["cap"] is not None and numbers["cap"] * numbers["points"] < 0:
                config.problems.append(Problem(file, f"row {line}", f"cap={row['cap']!r}",
                                               "cap must have the same sign as points"))
        else:
            if numbers["unit"] is not None or numbers["cap"] is not None:
                config.problems.append(Problem(file, f"row {line}", "unit/cap", "a tier row leaves unit and cap blank"))
            low, high = numbers["min_value"], numbers["max_value"]
            if low is None and high is None:
                config.problems.append(Problem(file, f"row {line}", "min_value='', max_value=''",
                                               "a tier row needs min_value or max_value"))
            elif low is not None and high is not None and low >= high:
                config.problems.append(Problem(file, f"row {line}", f"min_value={low}, max_value={high}",
                                               "a tier needs min_value < max_value (min inclusive, max exclusive)"))
        by_signal.setdefault((model, signal), []).append((line, row, numbers))

    for (model, signal), entries in by_signal.items():
        rules = {row["rule"] for _, row, _ in entries}
        lines = ", ".join(str(line) for line, _, _ in entries)
        if len(rules) > 1:
            config.problems.append(Problem(file, f"rows {lines}", f"signal={signal!r}",
                                           "a signal has either tier rows or one per_unit or linear row, not "
                                           "several kinds"))
        elif rules <= {"per_unit", "linear"} and len(entries) > 1:
            config.problems.append(Problem(file, f"rows {lines}", f"signal={signal!r}",
                                           f"a {entries[0][1]['rule']} signal has exactly one row"))
        elif rules == {"tier"}:
            tiers = sorted(entries, key=lambda entry: (entry[2]["min_value"] is not None,
                                                       entry[2]["min_value"] or 0))
            for (line_a, _, a), (line_b, _, b) in zip(tiers, tiers[1:]):
                a_high = a["max_value"]
                if a_high is None or (b["min_value"] is None) or b["min_value"] < a_high:
                    config.problems.append(Problem(file, f"rows {line_a} and {line_b}", f"signal={signal!r}",
                                                   "tiers overlap: a value would match both rows "
                                                   "(min_value inclusive, max_value exclusive)"))
    for model in config.models:
        for signal in model.signals:
            if (model.name, signal.signal) not in mentioned:
                config.problems.append(Problem(file, "-", f"signal={signal.signal!r}",
                                               f"declared in {model.source} (line {signal.line}) but has no weight "
                                               "rows, so it would always score 0"))


def check_bands(config: Config) -> None:
    path = config.project_dir / "seeds" / "engagement_bands.csv"
    file = _relative(path, config.project_dir)
    rows = _read_seed(path, BANDS_COLUMNS, config)
    if rows is None:
        return
    declared = {model.name for model in config.models}
    by_model: dict[str, list[tuple[int, dict, Decimal | None, Decimal | None]]] = {}
    for line, row in rows:
        if row["score_model"] in config.refused:
            continue
        start = len(config.problems)
        if row["score_model"] not in declared:
            config.problems.append(Problem(file, f"row {line}", f"score_model={row['score_model']!r}",
                                           f"no such score model; declared: {', '.join(sorted(declared)) or 'none'}"))
        if row["band"].strip() == "":
            config.problems.append(Problem(file, f"row {line}", "band=''", "band needs a name"))
        low = _number(row["min_score"], file, line, "min_score", config, False)
        high = _number(row["max_score"], file, line, "max_score", config, False)
        if not re.fullmatch(r"[0-9]{1,4}", row["band_order"].strip()):
            config.problems.append(Problem(file, f"row {line}", f"band_order={row['band_order']!r}",
                                           "band_order must be a whole number (1 = best)"))
        if len(config.problems) == start:
            by_model.setdefault(row["score_model"], []).append((line, row, low, high))
    for model in sorted(declared):
        bands = by_model.get(model, [])
        if not bands:
            config.problems.append(Problem(file, "-", f"score_model={model!r}", "the score model has no bands"))
            continue
        names: dict[str, int] = {}
        for line, row, _, _ in bands:
            if row["band"] in names:
                config.problems.append(Problem(file, f"row {line}", f"band={row['band']!r}",
                                               f"band names must be unique per score model (also row {names[row['band']]})"))
            names.setdefault(row["band"], line)
        ordered = sorted(bands, key=lambda band: (band[2] is not None, band[2] or 0))
        first_line, _, first_low, _ = ordered[0]
        if first_low is not None:
            config.problems.append(Problem(file, f"row {first_line}", f"min_score={first_low}",
                                           "the lowest band must leave min_score blank, so every low score has a band"))
        last_line, _, _, last_high = ordered[-1]
        if last_high is not None:
            config.problems.append(Problem(file, f"row {last_line}", f"max_score={last_high}",
                                           "the highest band must leave max_score blank, so every high score has a band"))
        for line, _, low, high in ordered:
            if low is not None and high is not None and low >= high:
                config.problems.append(Problem(file, f"row {line}", f"min_score={low}, max_score={high}",
                                               "min_score must be below max_score"))
        for (line_a, _, _, high_a), (line_b, _, low_b, _) in zip(ordered, ordered[1:]):
            if high_a is None or low_b is None or high_a != low_b:
                gap_or_overlap = "overlap" if (high_a is None or low_b is None or low_b < high_a) else "gap"
                config.problems.append(Problem(file, f"rows {line_a} and {line_b}",
                                               f"max_score={high_a}, min_score={low_b}",
                                               f"bands must be contiguous: a band's min_score equals the max_score "
                                               f"of the band below ({gap_or_overlap})"))


def check_alert_rules(config: Config) -> None:
    """seeds/engagement_alert_rules.csv: known models and alert types, one row per pair, each type with
    its own settings and the others blank, thresholds in range. The seed is optional: without it no
    model raises alerts."""
    path = config.project_dir / "seeds" / "engagement_alert_rules.csv"
    if not path.exists():
        config.problems.append(Problem(_relative(path, config.project_dir), "-", "missing file",
                                       "the seed is required; a header-only file raises no alerts"))
        return
    file = _relative(path, config.project_dir)
    rows = _read_seed(path, ALERT_RULES_COLUMNS, config)
    if rows is None:
        return
    declared = {model.name for model in config.models}
    seen: dict[tuple[str, str], int] = {}
    settings = ("min_points", "min_percent", "periods", "days")
    for line, row in rows:
        model, alert_type = row["score_model"], row["alert_type"]
        if model in config.refused:
            continue
        where = f"row {line}"
        if model not in declared:
            config.problems.append(Problem(file, where, f"score_model={model!r}",
                                           f"no such score model; declared: {', '.join(sorted(declared)) or 'none'}"))
        if alert_type not in ALERT_SETTINGS:
            config.problems.append(Problem(file, where, f"alert_type={alert_type!r}",
                                           f"alert_type must be one of {', '.join(ALERT_SETTINGS)}"))
            continue
        if (model, alert_type) in seen:
            config.problems.append(Problem(file, where, f"score_model={model!r}, alert_type={alert_type!r}",
                                           f"one row per score model and alert type (also row {seen[(model, alert_type)]})"))
        seen.setdefault((model, alert_type), line)
        wanted = ALERT_SETTINGS[alert_type]
        for column in settings:
            text = row[column].strip()
            if column not in wanted:
                if text:
                    config.problems.append(Problem(file, where, f"{column}={text!r}",
                                                   f"a {alert_type} rule leaves {column} blank"))
                continue
            if not text:
                continue
            if column in ("periods", "days"):
                if not re.fullmatch(r"[0-9]{1,5}", text) or int(text) < 1:
                    config.problems.append(Problem(file, where, f"{column}={text!r}",
                                                   f"{column} must be a whole number from 1 to 99999"))
            else:
                number = _number(text, file, line, column, config, False)
                if number is not None and (number <= 0 or (column == "min_percent" and number > 100)):
                    limit = "above 0 and at most 100" if column == "min_percent" else "above 0"
                    config.problems.append(Problem(file, where, f"{column}={text!r}", f"{column} must be {limit}"))
        if wanted and not any(row[column].strip() for column in wanted):
            config.problems.append(Problem(file, where, f"{' and '.join(wanted)} blank",
                                           f"a {alert_type} rule needs {' or '.join(wanted)}"))


def normalize_event_type(text: str) -> str:
    """The staging model's normalization, for checking the alias seed (same rule, written in Python)."""
    return re.sub(r"^_+|_+$", "", re.sub(r"[\s.\-]+", "_", text.strip().lower()))


def check_aliases(config: Config) -> None:
    path = config.project_dir / "seeds" / "event_type_aliases.csv"
    file = _relative(path, config.project_dir)
    rows = _read_seed(path, ALIASES_COLUMNS, config)
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
