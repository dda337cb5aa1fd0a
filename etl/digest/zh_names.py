"""Chinese names for what sources give in English or romanised Chinese: journals PubMed
romanises, why a trial stopped (countries and the leads' terms: etl.facts.terms). The tables
live in `config/zh_names.toml` so an operator can extend them; a name not in them stays as the
source gives it, quoted.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from etl.errors import ConfigError

FILE = "zh_names.toml"
SHIPPED = Path(__file__).resolve().parent.parent.parent / "config" / FILE
TABLES = ("journals", "stop_reasons")


@dataclass(frozen=True)
class ZhNames:
    journals: dict[str, str] = field(default_factory=dict)  # lower-cased keys
    stop_reasons: dict[str, str] = field(default_factory=dict)

    def journal(self, *names: str | None) -> str | None:
        """The Chinese name of a journal under any of its names (title, ISO abbreviation);
        PubMed's "Zhonghua xue ye xue za zhi = Zhonghua xueyexue zazhi" is tried whole and by
        its first part."""
        for name in names:
            if not name:
                continue
            for candidate in (name, name.split(" = ")[0], name.split(" : ")[0]):
                found = self.journals.get(_key(candidate))
                if found:
                    return found
        return None

    def stop_reason(self, text: str) -> str | None:
        """The Chinese for a registry's why-stopped text, by the longest table key it opens
        with ("Slow accrual: 9 of 60…" → 入组缓慢); None when no key fits."""
        lowered = _key(text)
        best = ""
        for key in self.stop_reasons:
            if lowered.startswith(key) and len(key) > len(best):
                rest = lowered[len(key) : len(key) + 1]
                if not rest or not rest.isalnum():
                    best = key
        return self.stop_reasons[best] if best else None


def _key(text: str) -> str:
    return " ".join(text.lower().replace(".", " ").split())


def load_zh_names(config_dir: Path | None) -> ZhNames:
    """The operator's table (config_dir/zh_names.toml), else the shipped one."""
    path = config_dir / FILE if config_dir is not None else SHIPPED
    if not path.exists():
        path = SHIPPED
    return _load(path, path.stat().st_mtime_ns if path.exists() else 0)


@lru_cache(maxsize=8)
def _load(path: Path, _stamp: int) -> ZhNames:
    if not path.exists():
        return ZhNames()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", "fix the syntax at that line") from None
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise ConfigError(
            f"{path}: unknown table [{unknown[0]}]", f"allowed tables: {', '.join(TABLES)}"
        )
    tables: dict[str, dict[str, str]] = {}
    for table in TABLES:
        entries = data.get(table, {})
        for key, value in entries.items():
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(
                    f"{path}: [{table}] {key!r} must be a non-empty string",
                    'write it as "English name" = "中文名"',
                )
        tables[table] = {_key(k): v.strip() for k, v in entries.items()}
    return ZhNames(**tables)
