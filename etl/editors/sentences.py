"""What happened to a work, as one sentence an editor reads at a glance, in Chinese or English.

The events table keeps what the registry or PubMed said, raw: enum names (`RECRUITING`), phase
lists (`['PHASE1']`), arm objects, `None` for a field that was empty. An editor deciding a
week's queue should read "状态：招募中 → 已完成（2026-11-24）", not the data; these are plain
functions from an event's kind, date and data to that sentence, using the digest's own words
for statuses, phases and fields (etl/digest/i18n.py), so the queue and the issue agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from etl.db.states import EventKind
from etl.digest import i18n
from etl.digest.zh_names import ZhNames

# How each edition writes a correction notice's PubMed type.
NOTICES = {
    "ErratumIn": ("勘误", "erratum"),
    "ExpressionOfConcernIn": ("关注声明", "expression of concern"),
    "UpdateIn": ("更新版本", "updated version"),
    "CorrectedandRepublishedIn": ("更正后重新发表", "corrected and republished"),
    "RetractionIn": ("撤稿声明", "retraction notice"),
}


def event_sentence(
    lang: str,
    kind: str,
    occurred_on: str | None,
    data: Mapping[str, Any] | None,
    work_kind: str = "paper",
    zh_names: ZhNames | None = None,
) -> str:
    """One event as a sentence with its date: "入组人数 28 → 42（2026-11-24）". An empty
    value before a change is not shown as `None → …`: the sentence says the field was set."""
    body = _body(lang, kind, dict(data or {}), work_kind, zh_names)
    if not occurred_on:
        return body
    if body.endswith(_close(lang)):  # one bracket, not two: "（新增 B，2026-11-24）"
        return (
            body[: -len(_close(lang))]
            + ("，" if lang == "zh" else ", ")
            + occurred_on
            + _close(lang)
        )
    return f"{body}（{occurred_on}）" if lang == "zh" else f"{body} ({occurred_on})"


def value_text(lang: str, field: str, value: Any) -> str:
    """A trial field's value as the digest writes it: 招募中, I/II 期, 2027年3月, 42."""
    if value in (None, "", []):
        return ""
    if field == "status":
        return i18n.status_label(lang, str(value))
    if field == "phases":
        phases = value if isinstance(value, list) else [value]
        return i18n.phase_label(lang, [str(p) for p in phases]) or _words(lang, "no_phase")
    if field == "primary_completion_date":
        return i18n.format_date(lang, str(value))
    if field == "arms":
        return _arms(lang, value)
    if field == "has_results":
        return _words(lang, "posted") if value else ""
    return str(value)


def _body(
    lang: str, kind: str, data: dict[str, Any], work_kind: str, zh_names: ZhNames | None
) -> str:
    say = _SENTENCES.get(kind)
    if say is None:  # a kind added later: its name in words rather than the enum
        return kind.replace("_", " ")
    return say(lang, data, work_kind, zh_names)


def _new(lang: str, data: dict[str, Any], work_kind: str, _: ZhNames | None) -> str:
    return _words(lang, "new_trial" if work_kind == "trial" else "new_paper")


def _retracted(lang: str, data: dict[str, Any], _kind: str, _n: ZhNames | None) -> str:
    notices = [str(n) for n in data.get("notices") or [] if n]
    said = _words(lang, "retracted")
    if not notices:
        return said
    listed = ("、" if lang == "zh" else ", ").join(notices)
    return f"{said}{_open(lang)}{_words(lang, 'notice')} PMID {listed}{_close(lang)}"


def _corrected(lang: str, data: dict[str, Any], _kind: str, _n: ZhNames | None) -> str:
    pair = NOTICES.get(str(data.get("type") or ""))
    what = pair[0 if lang == "zh" else 1] if pair else _words(lang, "correction")
    said = f"{_words(lang, 'corrected')}{_colon(lang)}{what}"
    if data.get("pmid"):
        said += f"{_open(lang)}PMID {data['pmid']}{_close(lang)}"
    return said


def _deleted(lang: str, data: dict[str, Any], _kind: str, _n: ZhNames | None) -> str:
    return _words(lang, "deleted")


def _published(lang: str, data: dict[str, Any], _kind: str, _n: ZhNames | None) -> str:
    version = data.get("published_version") or {}
    ids = [
        f"{label} {version[key]}"
        for key, label in (("pmid", "PMID"), ("doi", "DOI"), ("pmcid", "PMCID"))
        if version.get(key)
    ]
    said = _words(lang, "published")
    return f"{said}{_open(lang)}{ids[0]}{_close(lang)}" if ids else said


def _change(lang: str, data: dict[str, Any], _kind: str, names: ZhNames | None) -> str:
    """Old → new of one trial field; an empty old value reads as the field being set, an
    empty new one as it being cleared."""
    field = str(data.get("field") or "")
    label = i18n.field_label(lang, field)
    if field == "has_results":
        return _words(lang, "results")
    if field == "why_stopped":
        return f"{_words(lang, 'stopped')}{_colon(lang)}{_reason(lang, data.get('new'), names)}"
    if field == "arms":
        return _arms_change(lang, data.get("old"), data.get("new"))
    old, new = value_text(lang, field, data.get("old")), value_text(lang, field, data.get("new"))
    if field == "enrollment":  # "入组人数 28 → 42", as the editors write it
        label = label if lang == "zh" else label.capitalize()
        if old and new:
            return f"{label} {old} → {new}"
        return f"{label}{_colon(lang)}{new or _words(lang, 'cleared')}"
    label = label if lang == "zh" else label.capitalize()
    if old and new:
        return f"{label}{_colon(lang)}{old} → {new}"
    if new:
        return f"{label}{_colon(lang)}{new}{_open(lang)}{_words(lang, 'first_given')}{_close(lang)}"
    return f"{label}{_colon(lang)}{_words(lang, 'cleared')}"


def _reason(lang: str, text: Any, names: ZhNames | None) -> str:
    """Why a trial stopped: the Chinese of the registry's reason where config/zh_names.toml
    has it, else the registry's words in 「」 (never bare English in a Chinese sentence)."""
    said = str(text or "").strip()
    if not said:
        return _words(lang, "no_reason")
    if lang != "zh":
        return f"“{said}”"
    chinese = names.stop_reason(said) if names else None
    return chinese or f"「{said}」"


def _arms(lang: str, arms: Any) -> str:
    labels = _arm_labels(arms)
    if lang == "zh":
        return f"{len(labels)} 组（{'、'.join(labels)}）" if labels else "0 组"
    return f"{len(labels)} arm{'s' if len(labels) != 1 else ''} ({', '.join(labels)})"


def _arms_change(lang: str, old: Any, new: Any) -> str:
    """Arms by their labels: how many before and after, which came and which went."""
    before, after = _arm_labels(old), _arm_labels(new)
    label = i18n.field_label(lang, "arms")
    added = [a for a in after if a not in before]
    removed = [a for a in before if a not in after]
    if lang == "zh":
        said = f"{label}：{len(before)} 组 → {len(after)} 组"
        parts = [
            f"新增 {'、'.join(added)}" if added else "",
            f"移除 {'、'.join(removed)}" if removed else "",
        ]
        if not added and not removed:
            parts = ["组别描述有改动"]
        return said + "（" + "；".join(p for p in parts if p) + "）"
    said = f"Arms: {len(before)} → {len(after)}"
    parts = [
        f"added {', '.join(added)}" if added else "",
        f"removed {', '.join(removed)}" if removed else "",
    ]
    if not added and not removed:
        parts = ["descriptions changed"]
    return said + " (" + "; ".join(p for p in parts if p) + ")"


def _arm_labels(arms: Any) -> list[str]:
    if not isinstance(arms, list):
        return []
    found = []
    for arm in arms:
        if isinstance(arm, Mapping):
            found.append(str(arm.get("label") or arm.get("type") or "?").strip())
        elif arm:
            found.append(str(arm).strip())
    return found


def _words(lang: str, key: str) -> str:
    return WORDS[key][0 if lang == "zh" else 1]


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def _open(lang: str) -> str:
    return "（" if lang == "zh" else " ("


def _close(lang: str) -> str:
    return "）" if lang == "zh" else ")"


WORDS = {
    "new_paper": ("新论文", "New paper"),
    "new_trial": ("新注册试验", "Newly registered trial"),
    "retracted": ("论文被撤稿", "Retracted"),
    "notice": ("撤稿声明", "notice"),
    "corrected": ("发表更正", "Correction published"),
    "correction": ("更正", "correction"),
    "deleted": ("PubMed 已删除该记录", "Deleted from PubMed"),
    "published": ("预印本已正式发表", "Preprint now published"),
    "results": ("结果已在注册平台公布", "Results posted on the registry"),
    "posted": ("已公布", "posted"),
    "stopped": ("试验提前终止，原因", "Stopped early, because"),
    "no_reason": ("未说明", "no reason given"),
    "first_given": ("首次填写", "first given"),
    "cleared": ("已删去", "removed"),
    "no_phase": ("不适用", "not applicable"),
}

_SENTENCES: dict[str, Callable[[str, dict[str, Any], str, ZhNames | None], str]] = {
    EventKind.NEW: _new,
    EventKind.RETRACTED: _retracted,
    EventKind.CORRECTED: _corrected,
    EventKind.DELETED: _deleted,
    EventKind.PREPRINT_PUBLISHED: _published,
    EventKind.STATUS_CHANGED: _change,
    EventKind.PHASE_CHANGED: _change,
    EventKind.ENROLLMENT_CHANGED: _change,
    EventKind.COMPLETION_DATE_CHANGED: _change,
    EventKind.RESULTS_POSTED: _change,
    EventKind.STOPPED: _change,
    EventKind.ARMS_CHANGED: _change,
}
