"""Crontab lines read the way crontab reads them, in the configured timezone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from etl.crontab import next_fire, parse_cron, previous_fire, weekday_names
from etl.errors import ConfigError
from tests.conftest import CONFIG, make_settings

# A Wednesday, 11:00 in Shanghai.
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("1", "mon"),  # crontab's Monday (APScheduler's own numbering would say Tuesday)
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "fri,sat,sun"),
        ("*/2", "sun,tue,thu,sat"),
        ("1-5/2", "mon,wed,fri"),
        ("0,6", "sun,sat"),
        ("mon-fri", "mon-fri"),
        ("*", "*"),
    ],
)
def test_weekday_numbers_mean_what_they_mean_to_crontab(field: str, names: str) -> None:
    assert weekday_names(field) == names


def test_a_monday_job_fires_on_monday_in_the_configured_timezone() -> None:
    for expression in ("0 8 * * 1", "0 8 * * mon"):
        fire = next_fire(expression, ZONE, NOW)
        assert fire.strftime("%a %H:%M %Z") == "Mon 08:00 CST"
        assert fire.date().isoformat() == "2026-11-30"


def test_previous_fire_is_the_last_time_at_or_before_now() -> None:
    assert previous_fire("0 6 * * *", ZONE, NOW).isoformat() == "2026-11-25T06:00:00+08:00"
    assert previous_fire("0 8 1 * *", ZONE, NOW).isoformat() == "2026-11-01T08:00:00+08:00"
    assert previous_fire("0 11 * * *", ZONE, NOW) == NOW  # "at or before"


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("0 6 * *", "has 4 fields, not 5"),
        ("61 * * * *", "higher than the maximum"),
        ("0 8 * * 9", "day of week '9' is not 0-7"),
        ("0 8 * * funday", "funday"),
        ("0 8 * * 5-2", "is empty"),
    ],
)
def test_a_bad_line_says_what_is_wrong(expression: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_cron(expression, ZONE)


def test_a_bad_line_stops_loading_naming_the_file_and_the_job() -> None:
    with pytest.raises(ConfigError) as error:
        make_settings(**{"schedule.jobs": {"digest:build": "0 8 * * 1", "crawl:ctgov": "30 6"}})
    assert error.value.message.startswith(
        f"{CONFIG / 'schedule.toml'}: schedule.jobs.'crawl:ctgov': "
    )
    assert "has 2 fields" in error.value.message and "day names" in error.value.hint


def test_unknown_jobs_and_zones_are_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="'crawl:medline': no such job") as error:
        make_settings(**{"schedule.jobs": {"crawl:medline": "0 1 * * *"}})
    assert "crawl:pubmed" in error.value.hint
    with pytest.raises(ConfigError, match=r"schedule\.timezone.*IANA"):
        make_settings(**{"schedule.timezone": "China/Beijing"})
    with pytest.raises(ConfigError, match="no mailbox to read"):
        make_settings(**{"schedule.jobs": {"bounces:process": "0 * * * *"}})


def test_crawls_of_disabled_sources_stay_configured_but_are_not_scheduled() -> None:
    settings = make_settings(**{"sources.ctgov.enabled": False})
    assert "crawl:ctgov" in settings.schedule.jobs
    assert "crawl:ctgov" not in settings.scheduled_jobs()
    assert "crawl:pubmed" in settings.scheduled_jobs()


def test_start_up_catches_up_a_run_missed_within_the_grace_only() -> None:
    from datetime import timedelta

    from etl.scheduler.daemon import catch_up

    schedule = {
        "crawl:pubmed": "0 6 * * *",
        "crawl:ctgov": "30 10 * * *",
        "digest:build": "0 8 * * mon",
    }
    hour = timedelta(hours=1)
    ran_before = {job: NOW - timedelta(days=2) for job in schedule}
    # 11:00 in Shanghai: ctgov's 10:30 passed half an hour ago, pubmed's 06:00 five hours ago.
    assert catch_up(schedule, ZONE, ran_before, NOW, hour) == ["crawl:ctgov"]
    assert catch_up(schedule, ZONE, {}, NOW, 6 * hour) == ["crawl:pubmed", "crawl:ctgov"]
    ran_since = {**ran_before, "crawl:ctgov": NOW - timedelta(minutes=20)}
    assert catch_up(schedule, ZONE, ran_since, NOW, hour) == []
