"""The DuckDB timestamp parse (engagement_parse_timestamp_utc) against the Python reference, on texts of
the two shapes nearly every loader and tracker writes (YYYY-MM-DDThh:mm:ssZ and YYYY-MM-DDThh:mm:ss.fffZ),
which DuckDB reads by a shortcut (strptime) instead of the general regex, and on near misses of those
shapes, which must not take it wrongly. Every text's result must be the reference's: the same instant, or
null for the same texts."""

from __future__ import annotations

import itertools
import random

import duckdb

from conftest import PROJECT_DIR, DbtProject, release_duckdb
from reference_scoring import parse_timestamp

YEARS = ["0000", "0001", "0999", "1900", "1999", "2000", "2024", "2025", "2100", "9999"]
MONTHS = ["00", "01", "02", "04", "12", "13"]
DAYS = ["00", "01", "28", "29", "30", "31", "32"]
HOURS, MINUTES, SECONDS = ["00", "23", "24"], ["00", "59", "60"], ["00", "59", "60"]


def canonical_texts() -> list[str]:
    """Every combination of edge values in both shapes: leap years (2000, 2024) and not (1900, 2100,
    2025), the months' last days, hour 24, minute and second 60, year 0000; milliseconds or none."""
    return [f"{y}-{mo}-{d}T{h}:{mi}:{s}{fraction}Z"
            for y, mo, d, h, mi, s, fraction in itertools.product(YEARS, MONTHS, DAYS, HOURS, MINUTES, SECONDS,
                                                                   ["", ".000", ".704"])]


def near_misses(seed: int = 7, count: int = 6000) -> list[str]:
    """Valid canonical texts with one character changed (a space, a sign, a letter, a lower-case t or z,
    another digit), cut or lengthened, or padded with whitespace the parse trims."""
    generator = random.Random(seed)
    texts = []
    for _ in range(count):
        text = (f"{generator.randint(1, 9999):04d}-{generator.randint(1, 12):02d}-{generator.randint(1, 28):02d}"
                f"T{generator.randint(0, 23):02d}:{generator.randint(0, 59):02d}:{generator.randint(0, 59):02d}"
                + generator.choice(["", f".{generator.randint(0, 999):03d}"]) + "Z")
        change = generator.choice(["replace", "cut", "extend", "pad", "lower"])
        if change == "replace":
            at = generator.randrange(len(text))
            text = text[:at] + generator.choice(" +-.:T Z0123456789aT\t") + text[at + 1:]
        elif change == "cut":
            at = generator.randrange(len(text))
            text = text[:at] + text[at + 1:]
        elif change == "extend":
            text = text[:-1] + generator.choice([".5Z", "+01:00", "0Z", "Z ", "ZZ", ".1234Z", ".12Z", "1Z"])
        elif change == "pad":
            text = generator.choice([" ", "\t", "\r\n"]) + text + generator.choice(["", " ", "\n"])
        else:
            text = text.lower() if generator.random() < 0.5 else text.replace("T", "t")
        texts.append(text)
    return texts


def test_the_loaders_shape_parses_exactly_as_the_reference(tmp_path, dbt_env):
    project = DbtProject(PROJECT_DIR, tmp_path)
    result = project.dbt("compile", "--inline",
                         "select text, {{ engagement_parse_timestamp_utc('text') }} as parsed from texts")
    release_duckdb()
    assert result.success, result.exception
    query = result.result.results[0].node.compiled_code
    # the shortcut is in the SQL under test, so these texts exercise it
    assert "try_strptime" in query
    texts = canonical_texts() + near_misses()
    with duckdb.connect() as connection:
        connection.execute("create table texts (text varchar)")
        connection.executemany("insert into texts values (?)", [(text,) for text in texts])
        # microseconds since 1970 as the reference counts them (UTC, proleptic Gregorian)
        rows = connection.execute(f"select text, epoch_us(parsed) from ({query}) as parsed_texts").fetchall()
    assert len(rows) == len(texts)
    wrong = [(text, got, parse_timestamp(text)) for text, got in rows if got != parse_timestamp(text)]
    assert not wrong, wrong[:10]
    # both outcomes are well represented, so that a shortcut that refuses or takes too much is seen
    parsed = sum(1 for _, got in rows if got is not None)
    assert parsed > 1000 and len(rows) - parsed > 1000, parsed
