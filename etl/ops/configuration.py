"""What `mscwatch config check` and `config show` report: the effective settings, secrets
masked, and the problems that loading alone cannot see (a missing file the settings point at,
a secret a command will need)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from etl.classify.taxonomy import load_taxonomy
from etl.errors import ConfigError
from etl.facts.terms import TERMS_FILE, load_terms
from etl.mail.transport import parse_smtp_url
from etl.settings import FILES, Settings

ENVIRONMENT = {
    "database_url": "DATABASE_URL",
    "smtp_url": "SMTP_URL",
    "ncbi_api_key": "NCBI_API_KEY",
    "secret_key": "SECRET_KEY",
    "llm_api_key": "LLM_API_KEY",
}


@dataclass(frozen=True)
class Finding:
    level: str  # error | warning | note
    where: str
    text: str


def effective(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every setting by the file it belongs in, then the environment's values masked."""
    data = settings.model_dump(mode="json", exclude={"secrets", "config_dir"})
    by_file: dict[str, dict[str, Any]] = {}
    for table, values in data.items():
        if values is None:
            continue
        file = FILES.get(table, "settings.toml")
        by_file.setdefault(file, {})[table] = _drop_none(values)
    by_file["environment"] = {"environment": masked_secrets(settings)}
    return by_file


def masked_secrets(settings: Settings) -> dict[str, str]:
    """Whether each secret is set, and of the URLs what is safe to show."""
    secrets = settings.secrets
    shown = {}
    for field, variable in ENVIRONMENT.items():
        value = getattr(secrets, field)
        if not value:
            shown[variable] = "(not set)"
        elif field == "database_url":
            shown[variable] = _masked_database(value)
        elif field == "smtp_url":
            shown[variable] = _masked_smtp(value)
        else:
            shown[variable] = f"(set, {len(value)} characters)"
    return shown


def check(settings: Settings) -> list[Finding]:
    """What would stop a command later, found now; loading the settings has checked every key
    and crontab line already."""
    found: list[Finding] = []
    folder = settings.config_dir
    try:
        load_taxonomy(settings.taxonomy_path)
    except ConfigError as exc:
        found.append(Finding("error", str(settings.taxonomy_path), exc.message))
    try:
        load_terms(folder)
    except ConfigError as exc:
        where, _, said = exc.message.partition(": ")
        found.append(Finding("error", where or str(folder / TERMS_FILE), said or exc.message))
    if settings.templates_dir is not None and not settings.templates_dir.is_dir():
        found.append(
            Finding(
                "error",
                f"{folder / 'digest.toml'}: digest.templates",
                f"{settings.templates_dir} is not a folder",
            )
        )
    try:
        make_url(settings.database_url)
    except ArgumentError as exc:
        where = (
            "DATABASE_URL"
            if settings.secrets.database_url
            else f"{folder / 'settings.toml'}: database.url"
        )
        found.append(Finding("error", where, f"not a database URL: {exc}"))
    if settings.secrets.smtp_url:
        try:
            parse_smtp_url(settings.secrets.smtp_url)
        except ConfigError as exc:
            found.append(Finding("error", "SMTP_URL", exc.message))
    else:
        found.append(
            Finding("note", "SMTP_URL", f"not set: mail goes to the folder {settings.outbox_dir}")
        )
    if not settings.secrets.secret_key:
        found.append(
            Finding(
                "warning",
                "SECRET_KEY",
                "not set: `mscwatch serve` refuses to start and mailed links cannot be signed",
            )
        )
    writer = settings.writer
    if writer.enabled and not (writer.base_url and writer.model):
        found.append(
            Finding(
                "error",
                f"{folder / 'digest.toml'}: writer",
                "enabled, but base_url and model are both needed",
            )
        )
    if writer.enabled and not settings.secrets.llm_api_key:
        found.append(
            Finding(
                "warning",
                "LLM_API_KEY",
                "not set: the writer is enabled but has no key, so leads stay the templates'",
            )
        )
    if settings.sources.pubmed is not None and not settings.secrets.ncbi_api_key:
        found.append(Finding("note", "NCBI_API_KEY", "not set: PubMed is asked 3 times a second"))
    mailbox = settings.mail.bounce_mailbox
    if mailbox and not Path(mailbox).exists():
        found.append(
            Finding(
                "warning",
                f"{folder / 'mail.toml'}: mail.bounce_mailbox",
                f"{mailbox} does not exist (yet)",
            )
        )
    if settings.scheduled_jobs() and not settings.alerts.to:
        found.append(
            Finding(
                "note",
                f"{folder / 'schedule.toml'}: alerts.to",
                "empty: broken jobs show in `mscwatch status` only, nobody is mailed",
            )
        )
    skipped = sorted(set(settings.schedule.jobs) - set(settings.scheduled_jobs()))
    for job in skipped:
        found.append(
            Finding(
                "note",
                f"{folder / 'schedule.toml'}: schedule.jobs.{job!r}",
                "not run: its source is not enabled",
            )
        )
    return found


def _drop_none(value: Any) -> Any:
    """TOML has no null: a setting left unset is shown by its absence."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _masked_database(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(set, not a valid URL)"


def _masked_smtp(url: str) -> str:
    try:
        return parse_smtp_url(url).masked
    except ConfigError:
        return "(set, not a valid SMTP URL)"
