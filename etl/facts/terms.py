"""The term tables an operator extends: `config/terms-zh.toml` (cancer types, MSC sources,
strategies, outcomes, safety findings, agents, routes, countries) and `config/institutions-zh.toml`
(Chinese names of institutions). Read once per file version."""

from __future__ import annotations

import re
import time
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from etl.errors import ConfigError

TERMS_FILE = "terms-zh.toml"
INSTITUTIONS_FILE = "institutions-zh.toml"
SHIPPED = Path(__file__).resolve().parent.parent.parent / "config"


@dataclass(frozen=True)
class Term:
    key: str
    zh: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Terms:
    cancer: tuple[Term, ...]
    source: tuple[Term, ...]
    strategy: tuple[Term, ...]
    outcome: tuple[Term, ...]
    safety: tuple[Term, ...]
    stage_words: dict[str, str]
    agents: dict[str, str]
    routes: dict[str, str]
    comparators: dict[str, str]
    countries: dict[str, str]
    institutions: dict[str, str]  # lower-cased name -> Chinese

    def first(self, family: str, text: str) -> tuple[Term, re.Match[str]] | None:
        """The first row of `family` (in table order) whose pattern occurs in `text`."""
        for term in getattr(self, family):
            if found := term.pattern.search(text):
                return term, found
        return None

    def zh_outcome(self, key: str) -> str:
        return next((t.zh for t in self.outcome if t.key == key), "")

    def zh_safety(self, key: str) -> str:
        return next((t.zh for t in self.safety if t.key == key), "")

    def institution_zh(self, name: str | None) -> str | None:
        """The Chinese name of the listed institution named first inside `name` (the longest of
        those starting there: a hospital before its university), else None."""
        if not name:
            return None
        lowered = name.lower()
        found = [(lowered.find(k), -len(k), k) for k in self.institutions if k in lowered]
        return self.institutions[min(found)[2]] if found else None

    def lookup(self, table: str, phrase: str | None) -> str | None:
        """A phrase's Chinese name from a plain table (agents, routes, comparators, countries),
        whole phrase first, case-insensitive."""
        if not phrase:
            return None
        entries: dict[str, str] = getattr(self, table)
        lowered = phrase.lower().strip()
        for key, value in entries.items():
            if key.lower() == lowered:
                return value
        return None


_RECHECK_SECONDS = 2.0
_RECENT: dict[Path | None, tuple[float, Terms]] = {}


def load_terms(config_dir: Path | None = None) -> Terms:
    """The tables of `config_dir`, or the shipped ones for a file the folder lacks. Read again
    when a file changes (looked at every few seconds: rendering an issue asks once per item)."""
    now = time.monotonic()
    recent = _RECENT.get(config_dir)
    if recent and now - recent[0] < _RECHECK_SECONDS:
        return recent[1]
    terms = _current(config_dir)
    _RECENT[config_dir] = (now, terms)
    return terms


def _current(config_dir: Path | None) -> Terms:
    paths = []
    for name in (TERMS_FILE, INSTITUTIONS_FILE):
        path = (config_dir or SHIPPED) / name
        paths.append(path if path.is_file() else SHIPPED / name)
    stamps = tuple((str(p), p.stat().st_mtime_ns if p.is_file() else 0) for p in paths)
    return _load(stamps)


@lru_cache(maxsize=8)
def _load(stamps: tuple[tuple[str, int], ...]) -> Terms:
    terms_path, institutions_path = (Path(p) for p, _ in stamps)
    data = _read(terms_path)
    institutions = _read(institutions_path) if institutions_path.is_file() else {}
    return Terms(
        cancer=_rows(data, "cancer", terms_path),
        source=_rows(data, "source", terms_path),
        strategy=_rows(data, "strategy", terms_path),
        outcome=_rows(data, "outcome", terms_path),
        safety=_rows(data, "safety", terms_path),
        stage_words=_table(data, "stage_words", terms_path),
        agents=_table(data, "agents", terms_path),
        routes=_table(data, "routes", terms_path),
        comparators=_table(data, "comparators", terms_path),
        countries=_table(data, "countries", terms_path),
        institutions={k.lower(): v for k, v in _flat(institutions, institutions_path).items()},
    )


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the term table: {exc}", "see config/README.md"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", "fix the syntax at that line") from None


def _rows(data: dict, family: str, path: Path) -> tuple[Term, ...]:
    rows = []
    for n, row in enumerate(data.get(family) or [], 1):
        where = f"{path}: {family} row {n}"
        if not isinstance(row, dict) or not {"key", "zh", "en"} <= set(row):
            raise ConfigError(f"{where}: needs key, zh and en", "see the comments in the file")
        words = row["en"] if isinstance(row["en"], list) else [row["en"]]
        try:
            pattern = re.compile(
                r"(?<![\w-])(?:" + "|".join(f"(?:{w})" for w in words) + r")(?![\w])", re.I
            )
        except re.error as exc:
            raise ConfigError(
                f"{where} ({row['key']}): en: bad pattern: {exc}", "fix the regular expression"
            ) from None
        rows.append(Term(str(row["key"]), str(row["zh"]), pattern))
    return tuple(rows)


def _table(data: dict, name: str, path: Path) -> dict[str, str]:
    table = data.get(name) or {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}]: expected a table of strings", "see the file")
    return _flat(table, path)


def _flat(table: dict, path: Path) -> dict[str, str]:
    bad = [k for k, v in table.items() if not isinstance(v, str)]
    if bad:
        raise ConfigError(
            f"{path}: {bad[0]}: expected a string", "write the Chinese name in quotes"
        )
    return dict(table)
