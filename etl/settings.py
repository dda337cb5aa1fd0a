"""Settings: TOML files in `config/`, secrets from the environment, validated once at start-up.

Each top-level table lives in one file (see FILES: `database`, `paths`, `http`, `classify` in
settings.toml; `sources` in sources.toml; `schedule` and `alerts` in schedule.toml; `digest`
and `archive` in digest.toml; `mail`, `delivery` and `subscribers` in mail.toml), so a
validation error can name the file, the dotted key, the bad value and what is allowed. The loaded
`Settings` is frozen and passed down; no module keeps a global copy.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from etl.crontab import parse_cron
from etl.errors import ConfigError

FILES = {
    "database": "settings.toml",
    "paths": "settings.toml",
    "http": "settings.toml",
    "classify": "settings.toml",
    "sources": "sources.toml",
    "schedule": "schedule.toml",
    "alerts": "schedule.toml",
    "digest": "digest.toml",
    "archive": "digest.toml",
    "writer": "digest.toml",
    "mail": "mail.toml",
    "delivery": "mail.toml",
    "subscribers": "mail.toml",
}
NCBI_HOST = "eutils.ncbi.nlm.nih.gov"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Model):
    url: str = "sqlite:///var/mscwatch.db"
    batch_size: int = Field(500, ge=1, le=10_000)


class PathSettings(_Model):
    var: Path = Path("var")


class HttpSettings(_Model):
    timeout: float = Field(30.0, gt=0)
    attempts: int = Field(5, ge=1, le=20)
    backoff: float = Field(2.0, ge=0)
    backoff_max: float = Field(60.0, ge=0)
    user_agent: str = "mscwatch/0.1 (MSC oncology literature watch)"


class ClassifySettings(_Model):
    taxonomy: str = "taxonomy.yaml"
    use_model: bool = True


class PubMedSettings(_Model):
    enabled: bool = True
    base_url: str = f"https://{NCBI_HOST}/entrez/eutils/"
    tool: str = Field("mscwatch", pattern=r"^\S+$")
    email: str = Field("mscwatch-operators@example.org", pattern=r"^[^@\s]+@[^@\s]+$")
    query: str = Field(min_length=1)
    start_date: date = date(2025, 1, 1)
    overlap_days: int = Field(10, ge=0, le=365)
    batch_size: int = Field(400, ge=1, le=10_000)
    search_cap: int = Field(9999, ge=2, le=9999)
    refetch_modified: bool = True
    requests_per_second: float | None = Field(None, gt=0)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @property
    def is_ncbi(self) -> bool:
        return urlsplit(self.base_url).hostname == NCBI_HOST


class CtGovSettings(_Model):
    enabled: bool = True
    base_url: str = "https://clinicaltrials.gov/api/v2/"
    query_term: str = ""
    query_cond: str = ""
    query_intr: str = ""
    start_date: date = date(2020, 1, 1)
    overlap_days: int = Field(3, ge=0, le=365)
    page_size: int = Field(1000, ge=1, le=1000)
    requests_per_second: float = Field(1.0, gt=0, le=10)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return PubMedSettings._url(value)


class EuropePmcSettings(_Model):
    enabled: bool = True
    base_url: str = "https://www.ebi.ac.uk/europepmc/webservices/rest/"
    query: str = Field(min_length=1)
    start_date: date = date(2025, 1, 1)
    overlap_days: int = Field(7, ge=0, le=365)
    page_size: int = Field(1000, ge=1, le=1000)
    requests_per_second: float = Field(2.0, gt=0, le=20)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return PubMedSettings._url(value)


class IsrctnSettings(_Model):
    """The ISRCTN registry's API, asked for one trial by number (never crawled; without the
    table it is not asked)."""

    base_url: str = "https://www.isrctn.com/api/"
    requests_per_second: float = Field(1.0, gt=0, le=10)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return PubMedSettings._url(value)


class FeedEntry(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return value


class FeedSettings(_Model):
    enabled: bool = True
    feeds: list[FeedEntry] = Field(default_factory=list)
    requests_per_second: float = Field(2.0, gt=0, le=20)
    # A larger body is refused (that feed fails, with this limit named) before it is parsed.
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024)

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, feeds: list[FeedEntry]) -> list[FeedEntry]:
        names = [feed.name for feed in feeds]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"feed names must be unique; used twice: {', '.join(twice)}")
        return feeds


class SourcesSettings(_Model):
    pubmed: PubMedSettings | None = None
    ctgov: CtGovSettings | None = None
    europepmc: EuropePmcSettings | None = None
    feed: FeedSettings | None = None
    isrctn: IsrctnSettings | None = None


# Sources asked for one record by id only (a citation checked, a work added by hand): they have
# settings but no crawl, no crawl job and no place in `source_names`.
LOOKUP_ONLY = frozenset({"isrctn"})

JOBS = ("digest:build", "digest:send", "archive:build", "bounces:process", "health:check")
"""Every job id besides one `crawl:<source>` per source."""


class ScheduleSettings(_Model):
    timezone: str = "Asia/Shanghai"
    # Minutes after its time that a run missed (daemon down or busy) may still start.
    misfire_grace_minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    # Approve the draft of the period that ended when digest:send fires, if nobody did.
    auto_send: bool = False
    # Jobs that may run at the same time in one daemon (each job itself runs once at a time).
    workers: int = Field(4, ge=1, le=32)
    jobs: dict[str, str] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone name such as Asia/Shanghai or UTC") from None
        return value


class AlertSettings(_Model):
    # Operators who get an email when a job turns broken, and a note when it recovers.
    to: list[str] = Field(default_factory=list)
    # Failed runs in a row before a job counts as broken and the alert goes out (a send
    # failure always alerts at once: readers are waiting).
    after_failures: int = Field(2, ge=1, le=100)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+", address):
                raise ValueError(f"{address!r} is not an email address")
        return value


class Localized(_Model):
    """A text in both editions' languages."""

    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class HeaderSettings(_Model):
    name: Localized = Localized(zh="间充质干细胞肿瘤研究周报", en="MSC Oncology Watch")
    tagline: Localized = Localized(
        zh="追踪间充质干细胞抗癌研究的每一篇新文献与每一项临床试验",
        en="Every new paper and trial on mesenchymal stem cells in cancer, every week",
    )
    address: Localized = Localized(zh="中国，浙江，杭州", en="Hangzhou, Zhejiang, China")
    contacts: list[Localized] = Field(default_factory=list)
    logo_url: str = ""

    @field_validator("logo_url")
    @classmethod
    def _logo(cls, value: str) -> str:
        return _absolute_url(value) if value else value


class DigestSettings(_Model):
    period_days: int = Field(7, ge=1, le=92)
    anchor: date = date(2026, 1, 5)
    late_days: int = Field(7, ge=0, le=92)
    empty: str = Field("skip", pattern=r"^(skip|notice)$")
    max_html_kb: int = Field(102, ge=20, le=1024)
    # The evidence map's chart an issue shows under its items (etl/digest/chart.py); "" = none.
    evidence_chart: str = Field(
        "per-year-by-phase", pattern=r"^(per-year-by-phase|by-cancer|by-source|trials-by-status)?$"
    )
    templates: str = ""
    header: HeaderSettings = HeaderSettings()
    disclaimer: Localized = Localized(
        zh="免责说明：本刊仅用于传播科普知识，分享研究进展，不构成任何临床诊断或治疗建议；"
        "所收录信息不能替代医生或药剂师的专业建议。",
        en="Disclaimer: this newsletter shares research news for information only. It is not "
        "medical advice and cannot replace the advice of a doctor or pharmacist.",
    )


class WriterSettings(_Model):
    """An optional writer model behind any OpenAI-compatible chat API (a hosted service, or a
    local vLLM, Ollama or llama.cpp server); the key comes from LLM_API_KEY."""

    enabled: bool = False
    base_url: str = ""
    model: str = ""
    timeout: float = Field(30.0, gt=0, le=600)
    max_retries: int = Field(0, ge=0, le=5)
    max_tokens: int = Field(400, ge=16, le=4000)
    temperature: float = Field(0.2, ge=0, le=2)
    langs: list[str] = Field(default_factory=lambda: ["zh"])

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return _absolute_url(value) if value else value

    @field_validator("langs")
    @classmethod
    def _langs(cls, value: list[str]) -> list[str]:
        for lang in value:
            if lang not in ("zh", "en"):
                raise ValueError(f"{lang!r} is not an edition (zh or en)")
        return value


class ArchiveSettings(_Model):
    base_url: str = "https://mscwatch.example.org/"
    folder: str = "archive"

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        value = _absolute_url(value)
        return value if value.endswith("/") else value + "/"


def _absolute_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


class MailSettings(_Model):
    from_address: str = Field("digest@mscwatch.example.org", pattern=r"^[^@\s]+@[^@\s]+$")
    # One name, or one per edition ({ zh = "…", en = "…" }): readers see their language's.
    from_name: str | Localized = Localized(zh="间充质干细胞肿瘤研究周报", en="MSC Oncology Watch")
    reply_to: str = Field("editors@mscwatch.example.org", pattern=r"^([^@\s]+@[^@\s]+)?$")
    list_id: str = "MSC Oncology Watch <weekly.mscwatch.example.org>"
    unsubscribe_mailto: str = Field(
        "unsubscribe@mscwatch.example.org", pattern=r"^([^@\s]+@[^@\s]+)?$"
    )
    return_path: str = Field("", pattern=r"^([^@\s]+@[^@\s]+)?$")
    outbox: str = "outbox"
    # A maildir (or folder of .eml files) that receives the return_path's mail, for the
    # scheduled bounces:process job; empty = bounces are processed by hand.
    bounce_mailbox: str = ""

    def sender_name(self, lang: str) -> str:
        """The From display name readers of `lang` see."""
        return self.from_name if isinstance(self.from_name, str) else self.from_name(lang)

    @property
    def domain(self) -> str:
        """The From address's domain: Message-IDs are made under it."""
        return self.from_address.rsplit("@", 1)[-1]

    @property
    def envelope_from(self) -> str:
        """The SMTP envelope sender, where bounce reports go."""
        return self.return_path or self.from_address

    def unsubscribe_mailto_url(self, token: str) -> str:
        """The mailto target of List-Unsubscribe, its subject carrying the reader's signed
        token so a request by mail acts for the right reader; "" for the https link only."""
        if not self.unsubscribe_mailto:
            return ""
        return f"mailto:{self.unsubscribe_mailto}?subject=unsubscribe-{token}"


class DeliverySettings(_Model):
    rate: float = Field(0.0, ge=0)  # messages per second; 0 = as fast as the relay accepts
    batch_size: int = Field(100, ge=1, le=5000)
    timeout: float = Field(30.0, gt=0)
    max_attempts: int = Field(5, ge=1, le=50)
    retry_after: float = Field(300.0, ge=0)
    retry_max: float = Field(21600.0, ge=0)
    linger: float = Field(120.0, ge=0)
    bounce_limit: int = Field(2, ge=1, le=100)
    failure_streak: int = Field(20, ge=1)


class SubscriberSettings(_Model):
    confirm_days: float = Field(7.0, gt=0)
    preferences_days: float = Field(365.0, gt=0)
    confirmations: int = Field(2, ge=1, le=10)
    resend_minutes: float = Field(10.0, ge=0)
    form_limit: int = Field(5, ge=1)
    form_window_minutes: float = Field(60.0, gt=0)


class Secrets(_Model):
    """Values only ever read from the environment."""

    database_url: str | None = None
    smtp_url: str | None = None
    ncbi_api_key: str | None = None
    secret_key: str | None = None
    llm_api_key: str | None = None


class Settings(_Model):
    database: DatabaseSettings = DatabaseSettings()
    paths: PathSettings = PathSettings()
    http: HttpSettings = HttpSettings()
    classify: ClassifySettings = ClassifySettings()
    sources: SourcesSettings = SourcesSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    alerts: AlertSettings = AlertSettings()
    digest: DigestSettings = DigestSettings()
    archive: ArchiveSettings = ArchiveSettings()
    writer: WriterSettings = WriterSettings()
    mail: MailSettings = MailSettings()
    delivery: DeliverySettings = DeliverySettings()
    subscribers: SubscriberSettings = SubscriberSettings()
    secrets: Secrets = Secrets()
    config_dir: Path = Path("config")

    @property
    def database_url(self) -> str:
        return self.secrets.database_url or self.database.url

    def pubmed_rate(self) -> float:
        """Requests/s for PubMed: NCBI's limit unless configured lower (or not NCBI at all)."""
        pubmed = self.sources.pubmed
        limit = 10.0 if self.secrets.ncbi_api_key else 3.0
        if pubmed is None or pubmed.requests_per_second is None:
            return limit
        return pubmed.requests_per_second

    @property
    def taxonomy_path(self) -> Path:
        return self.config_dir / self.classify.taxonomy

    @property
    def models_dir(self) -> Path:
        return self.paths.var / "models"

    @property
    def archive_dir(self) -> Path:
        return self.paths.var / self.archive.folder

    @property
    def outbox_dir(self) -> Path:
        return self.paths.var / self.mail.outbox

    @property
    def templates_dir(self) -> Path | None:
        """The operator's own templates, searched before the shipped ones."""
        return self.config_dir / self.digest.templates if self.digest.templates else None

    def source_names(self) -> list[str]:
        """The enabled sources that crawl (a lookup-only source such as ISRCTN has no crawl)."""
        return [
            name
            for name, value in self.sources
            if value is not None and name not in LOOKUP_ONLY and value.enabled
        ]

    def scheduled_jobs(self) -> dict[str, str]:
        """The jobs the daemon runs and their crontab expressions: every configured job but
        the crawls of sources that are not enabled."""
        enabled = {f"crawl:{name}" for name in self.source_names()}
        return {
            job: cron
            for job, cron in self.schedule.jobs.items()
            if not job.startswith("crawl:") or job in enabled
        }


def default_config_dir() -> Path:
    """`MSCWATCH_CONFIG_DIR`, else ./config, else the config folder shipped beside the package."""
    explicit = os.environ.get("MSCWATCH_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    local = Path("config")
    if local.is_dir():
        return local
    return Path(__file__).resolve().parent.parent / "config"


def load_settings(
    config_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read and validate every file in `config_dir`; raise ConfigError naming the bad key."""
    config_dir = config_dir or default_config_dir()
    env = os.environ if env is None else env
    if not config_dir.is_dir():
        raise ConfigError(
            f"configuration folder {config_dir} does not exist",
            "run from the project folder, or set MSCWATCH_CONFIG_DIR",
        )
    merged: dict[str, Any] = {}
    for name in sorted(set(FILES.values())):
        path = config_dir / name
        if path.exists():
            _merge(merged, _read_toml(path))
    for key, value in (overrides or {}).items():
        _set_dotted(merged, key, value)
    merged["secrets"] = {
        "database_url": env.get("DATABASE_URL") or None,
        "smtp_url": env.get("SMTP_URL") or None,
        "ncbi_api_key": env.get("NCBI_API_KEY") or None,
        "secret_key": env.get("SECRET_KEY") or None,
        "llm_api_key": env.get("LLM_API_KEY") or None,
    }
    merged["config_dir"] = config_dir
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise _config_error(exc, config_dir) from None
    _check_limits(settings, config_dir)
    _check_jobs(settings, config_dir)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", "fix the syntax at that line") from None
    unknown = sorted(set(data) - set(FILES))
    if unknown:
        raise ConfigError(
            f"{path}: unknown table [{unknown[0]}]",
            f"allowed top-level tables: {', '.join(sorted(FILES))}",
        )
    return data


def _merge(into: dict[str, Any], data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


def _set_dotted(into: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        into = into.setdefault(part, {})
    into[leaf] = value


def _config_error(exc: ValidationError, config_dir: Path) -> ConfigError:
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        where = config_dir / FILES.get(loc[0], "settings.toml") if loc else config_dir
        got = error.get("input")
        shown = "" if isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"{where}: {'.'.join(loc)}: {error['msg']}{shown}")
    return ConfigError(lines[0], "\n".join(lines[1:]) or "see the comments in that file")


def _check_limits(settings: Settings, config_dir: Path) -> None:
    pubmed = settings.sources.pubmed
    if pubmed is None or pubmed.requests_per_second is None or not pubmed.is_ncbi:
        return
    cap = 10.0 if settings.secrets.ncbi_api_key else 3.0
    if pubmed.requests_per_second > cap:
        raise ConfigError(
            f"{config_dir / 'sources.toml'}: sources.pubmed.requests_per_second is "
            f"{pubmed.requests_per_second}, above NCBI's limit of {cap:g}",
            "set NCBI_API_KEY to allow 10 requests/s, or lower the value",
        )


def _check_jobs(settings: Settings, config_dir: Path) -> None:
    """Every scheduled job is one the daemon knows (a crawl job of a disabled source is kept
    and simply not run, so switching a source off is one edit)."""
    crawlers = (name for name in SourcesSettings.model_fields if name not in LOOKUP_ONLY)
    known = [*(f"crawl:{name}" for name in crawlers), *JOBS]
    for job in settings.schedule.jobs:
        where = f"{config_dir / 'schedule.toml'}: schedule.jobs.{job!r}"
        if job not in known:
            raise ConfigError(
                f"{where}: no such job",
                f"jobs are: {', '.join(known)}",
            )
        try:
            parse_cron(settings.schedule.jobs[job], settings.schedule.timezone)
        except ValueError as exc:
            raise ConfigError(
                f"{where}: {exc}",
                "five fields: minute hour day month day-of-week, with day names for days "
                '(e.g. "0 6 * * mon-fri"); numbers mean what they mean to crontab',
            ) from None
        if job == "bounces:process" and not settings.mail.bounce_mailbox:
            raise ConfigError(
                f"{where}: no mailbox to read",
                "set bounce_mailbox in [mail] of mail.toml, or remove the job",
            )
