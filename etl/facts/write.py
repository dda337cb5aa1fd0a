"""Leads written from a study's facts: deterministic templates that follow the sentence plans of
the Chinese edition's style guide, in Chinese and in English.

Every lead is checked against the record's text (`etl.facts.fidelity`); one that states a figure
the record does not hold is not used, and the next simpler lead is tried (fewer figures, then no
count), so a lead says less rather than something wrong. The rejected drafts and their reasons are
kept for the editor pages. A fact the record does not state is left out, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from etl.facts import zh as typography
from etl.facts.fidelity import check
from etl.facts.model import Facts, Figure
from etl.facts.terms import Terms

_STATUS_ZH = {
    "NOT_YET_RECRUITING": "尚未招募",
    "RECRUITING": "招募中",
    "ENROLLING_BY_INVITATION": "邀请入组中",
    "ACTIVE_NOT_RECRUITING": "进行中（不再招募）",
    "COMPLETED": "已完成",
    "SUSPENDED": "已暂停",
    "TERMINATED": "已终止",
    "WITHDRAWN": "已撤回",
    "UNKNOWN": "状态不明",
}
_STATUS_EN = {k: k.replace("_", " ").lower() for k in _STATUS_ZH}
_UNITS_ZH = [
    (re.compile(r"\bmore than\s+", re.I), "超过 "),
    (re.compile(r"(\d)\s*months?\b", re.I), r"\1 个月"),
    (re.compile(r"(\d)\s*weeks?\b", re.I), r"\1 周"),
    (re.compile(r"(\d)\s*days?\b", re.I), r"\1 天"),
    (re.compile(r"(\d)\s*years?\b", re.I), r"\1 年"),
    (re.compile(r"\b(\d+)\s+of\s+(?:the\s+)?(\d+)\b"), r"\1/\2"),
    (re.compile(r"\((\d+(?:\.\d+)?%)\)"), r"（\1）"),
]
_CODE_LIKE = re.compile(r"(?=[\w/+-]*[A-Z0-9])[A-Za-z0-9][\w/+-]*(?: (?:CAR-T|cells?))?")
_DESIGN_EN = {
    "rct": "randomised controlled trial",
    "single_arm": "single-arm trial",
    "clinical_trial": "clinical trial",
    "retrospective": "retrospective study",
    "cohort": "cohort study",
    "case_report": "case report",
    "animal": "animal study",
    "in_vitro": "in vitro study",
    "review": "review",
    "meta_analysis": "meta-analysis",
    "notice": "retraction or correction notice",
    "cross_sectional": "cross-sectional study",
}
_TIMED = frozenset({"os", "pfs", "efs", "dfs", "survival", "engraftment"})


@dataclass(frozen=True)
class Lead:
    """The lead chosen, and the fuller drafts that failed the fidelity check, with why."""

    text: str
    rejected: tuple[tuple[str, str], ...] = ()


def zh_lead(facts: Facts, terms: Terms, source: str) -> Lead:
    """The Chinese lead: the fullest template whose figures all occur in `source`."""
    writer = _Zh(facts, terms)
    return choose([typography.tidy(c) for c in _ladder(facts, writer.sentence) if c], source)


def en_lead(facts: Facts, terms: Terms, source: str) -> Lead:
    """The English lead from the same facts."""
    writer = _En(facts, terms)
    return choose([c for c in _ladder(facts, writer.sentence) if c], source)


def choose(candidates: list[str], source: str) -> Lead:
    """The first candidate that passes the fidelity check against `source`."""
    rejected = []
    for candidate in dict.fromkeys(candidates):
        verdict = check(candidate, source)
        if verdict.ok:
            return Lead(candidate, tuple(rejected))
        rejected.append((candidate, verdict.reason))
    return Lead("", tuple(rejected))


def _ladder(facts: Facts, sentence: Callable[[Facts, tuple[Figure, ...], bool], str]) -> list[str]:
    """From fullest to simplest: two figures, one, none; then without the safety finding; then
    without the count."""
    figures = facts.outcomes
    plain = replace(facts, safety=(), dose=None, route=None)
    return [
        sentence(facts, figures[:2], True),
        sentence(facts, figures[:1], True),
        sentence(facts, (), True),
        sentence(plain, figures[:1], True),
        sentence(plain, (), True),
        sentence(plain, (), False),
    ]


class _Zh:
    def __init__(self, facts: Facts, terms: Terms) -> None:
        self.f, self.terms = facts, terms

    def sentence(self, facts: Facts, figures: tuple[Figure, ...], count: bool) -> str:
        self.f = f = facts
        n = f.patients if count else None
        who = self.who()
        disease = self.disease()
        product = self.product()
        phase = f"{f.phase} 期" if f.phase else ""
        figs = "，".join(x for x in (self.figure(g) for g in figures) if x)
        safety = "、".join(s for s in (self.terms.zh_safety(k) for k in f.safety[:2]) if s)
        people = f"{n} 例{disease}患者" if n else f"{disease}患者"
        design = f.design
        if design == "rct":
            text = f"{who}开展的{phase}随机对照试验纳入{people}"
            if figs:
                text += f"，{product or '试验'}组{figs}"
            return text + (f"；{safety}" if safety else "") + "。"
        if design in ("single_arm", "clinical_trial"):
            kind = "单臂临床试验" if design == "single_arm" else "临床试验"
            text = f"{who}的{phase}{kind}中，{people}接受{product}{self.dosing()}治疗"
            tail = "；".join(x for x in (safety, figs) if x)
            return text + (f"：{tail}" if tail else "") + "。"
        if design in ("retrospective", "cohort", "cross_sectional"):
            verb = {"retrospective": "回顾分析了", "cohort": "的队列研究纳入"}.get(
                design, "的横断面研究纳入"
            )
            text = f"{who}{verb}{people}" + (f"，评估{product}的作用" if product else "")
            return text + (f"：{figs}" if figs else "") + "。"
        if design == "case_report":
            age = f"{f.age} 岁" if f.age else ""
            sex = {"male": "男性", "female": "女性"}.get(f.sex or "", "")
            text = f"{who}报告一例{age}{sex}{disease}患者接受{product}{self.dosing()}治疗"
            tail = "，".join(x for x in (safety, figs) if x)
            return text + (f"，{tail}" if tail else "") + "。"
        if design == "animal":
            model = {"mice": "小鼠", "rats": "大鼠"}.get(f.animal_model or "", "动物")
            if figs:
                return f"{who}在{disease}{model}模型中发现，{product}处理后{figs}。"
            if product:
                return f"{who}在{disease}{model}模型中研究了{product}的作用。"
            return f"{who}在{disease}{model}模型中开展了研究。"
        if design == "in_vitro":
            cells = "、".join(f.cell_lines)
            target = f"{cells} 细胞" if cells else f"{disease}细胞"
            if figs:
                return f"{who}的体外实验显示，{product or '干预'}作用于{target}后{figs}。"
            return f"{who}在体外实验中研究了{product or '干预'}对{target}的作用。"
        if design == "review":
            studies = f"汇总 {f.studies} 项研究" if f.studies and count else ""
            if studies and n:
                studies += f"（{n} 例患者）"
            studies += "，" if studies else ""
            about = (
                f"{product}在{disease or '肿瘤'}治疗中" if product else f"{disease or '肿瘤'}治疗"
            )
            return f"{who}发表综述，{studies}梳理{about}的研究进展。"
        if design == "meta_analysis":
            studies = f"汇总了 {f.studies} 项研究" if f.studies and count else "汇总了已发表研究"
            text = f"{who}的荟萃分析{studies}"
            if n:
                text += f"（{n} 例患者）"
            return text + (f"，{figs}" if figs else "") + "。"
        if design == "notice":
            about = f"{product}在{disease}中" if product and disease else (product or disease)
            return "这是一则撤稿或更正声明" + (f"，涉及{about}的研究" if about else "") + "。"
        if design == "trial_registration":
            return self.registration(count)
        if design == "trial_results":
            return self.results(figures, count)
        if n:
            text = f"{who}的研究纳入{people}"
            return text + (f"：{figs}" if figs else "") + "。"
        if product:
            return f"{who}报道了{product}在{disease or '肿瘤'}中的研究。"
        if disease:
            return f"{who}报道了一项{disease}研究。"
        return ""

    def dosing(self) -> str:
        """Route and dose as the record states them, in brackets: "（静脉输注，1×10⁶ 个细胞/kg）"."""
        f = self.f
        route = self.terms.lookup("routes", f.route)
        dose = _zh_dose(f.dose) if f.dose else ""
        inside = "，".join(x for x in (route, dose) if x)
        return f"（{inside}）" if inside and self.product() else ""

    def registration(self, count: bool) -> str:
        """A new registration is "登记了一项…试验"; a trial under way or ended is "…的一项…试验"."""
        f = self.f
        where = "、".join(self.terms.countries.get(c, "") for c in f.countries[:2])
        where = where if where and "" not in where.split("、") else ""
        if where and self.sponsor().startswith(where):
            where = ""  # "英国爱丁堡大学" says the country already
        phase = f"{f.phase} 期" if f.phase else ""
        new = f.status in ("NOT_YET_RECRUITING", "RECRUITING") and f.enrollment_type != "ACTUAL"
        text = f"{self.sponsor()}{'登记了一项' if new else '的一项'}{phase}临床试验"
        text += f"（{where}）" if where else ""
        if f.patients and count:
            verb = "实际入组" if f.enrollment_type == "ACTUAL" else "计划入组"
            text += f"{'，' if new else ''}{verb} {f.patients} 例{self.disease()}患者"
        elif self.disease():
            text += f"{'，' if new else ''}面向{self.disease()}患者"
        if self.product():
            text += f"，评估{self.product()}"
        if f.status in _STATUS_ZH:
            text += f"；目前状态：{_STATUS_ZH[f.status]}"
        return text + "。"

    def results(self, figures: tuple[Figure, ...], count: bool) -> str:
        f = self.f
        phase = f"{f.phase} 期" if f.phase else ""
        text = f"{self.sponsor()}的{phase}临床试验"
        if f.patients and count:
            text += f"（入组 {f.patients} 例{self.disease()}患者）"
        text += "公布了主要终点结果"
        parts = []
        for figure in figures[:1]:
            label = f"“{figure.label}”" if len(figure.label) <= 40 else ""
            name = self.terms.zh_outcome(figure.measure) or f"主要终点{label}"
            first = self.group(figure.group, "第 1 组")
            second = self.group(figure.comparator_group, "第 2 组")
            values = f"{first} {self.registry_value(figure.value, figure.unit, figure.n)}"
            if figure.comparator:
                value = self.registry_value(figure.comparator, figure.unit, figure.comparator_n)
                values += f"，{second} {value}"
            extra = "，".join(x for x in (f"HR {figure.hr}" if figure.hr else "", figure.p) if x)
            parts.append(f"{name}为{values}" + (f"（{extra}）" if extra else ""))
        if parts:
            return text + "：" + "；".join(parts) + "。"
        return text + "。"

    def registry_value(self, value: str, unit: str | None, n: str | None = None) -> str:
        unit = (unit or "").lower()
        if "percent" in unit:
            return f"{value}%"
        if unit in ("participants", "patients"):
            return f"{n} 例中 {value} 例" if n else f"{value} 例"
        return value

    def group(self, title: str | None, fallback: str) -> str:
        """An arm in Chinese: the comparator table's name for a word in its title ("Placebo
        enema" is the placebo arm), a code-like title as written, else its position: an arm the
        record does not name as a comparator is never called the control."""
        if not title:
            return fallback
        lowered = title.lower()
        for key, zh in sorted(self.terms.comparators.items(), key=lambda kv: -len(kv[0])):
            if re.search(rf"\b{re.escape(key.lower())}\b", lowered):
                return f"{zh}组"
        if _CODE_LIKE.fullmatch(title):
            return f"{title} 组"
        return fallback

    def who(self) -> str:
        f = self.f
        zh = self.terms.institution_zh(f.institution)
        country = self.terms.countries.get(f.country or "")
        if zh:
            return zh
        if f.institution and country:
            return f"{country}{f.institution}团队"
        if f.institution:
            return f"{f.institution}团队"
        return f"{country}研究团队" if country else "研究人员"

    def sponsor(self) -> str:
        f = self.f
        zh = self.terms.institution_zh(f.sponsor)
        if zh:
            return zh
        return f"{f.sponsor}" if f.sponsor else "研究者"

    def disease(self) -> str:
        f = self.f
        setting = self.terms.lookup("stage_words", f.setting) or ""
        return f"{setting}{f.cancer_zh or ''}"

    def product(self) -> str:
        """The MSC product in Chinese; empty when the record names none (never guessed)."""
        f = self.f
        if not f.msc_source and not f.product:
            return ""
        base = next((t.zh for t in self.terms.source if t.key == f.msc_source), "间充质干细胞")
        if f.product == "exosomes":
            base += "来源外泌体"
        what = self.agent(f.engineered_with, table=f.strategy != "gene_engineering")
        if f.strategy == "gene_engineering":
            base = (f"表达{what}的" if what else "基因工程改造的") + base
        elif f.strategy == "drug_loading":
            base = (f"装载{what}的" if what else "装载药物的") + base
        elif f.strategy == "oncolytic_virus":
            base = "携带溶瘤病毒的" + base
        partner = self.agent(f.combined_with)
        return base + (f"联合{partner}" if partner else "")

    def agent(self, phrase: str | None, table: bool = True) -> str | None:
        """A drug, gene or product in Chinese: the table's name, else a code-like Latin name
        ("TRAIL", "miR-4731-5p", "CAR-T") as written; anything else is left out. What cells
        were engineered to express is a gene product, not the drug of the same target
        (`table` False, except for names the table spells differently, like interleukin-12)."""
        if not phrase:
            return None
        zh = self.terms.lookup("agents", phrase)
        if zh and (table or not re.search(r"[\u4e00-\u9fff]", zh)):
            return zh
        if not table:
            return phrase if _CODE_LIKE.fullmatch(phrase) else None
        lowered = phrase.lower()
        known = [k for k in self.terms.agents if re.search(rf"\b{re.escape(k.lower())}\b", lowered)]
        if known:
            return self.terms.agents[max(known, key=len)]
        return phrase if _CODE_LIKE.fullmatch(phrase) else None

    def figure(self, figure: Figure) -> str:
        name = self.terms.zh_outcome(figure.measure)
        if not name or self.f.kind == "trial":
            return ""
        value = _zh_value(figure.value)
        if value.endswith("%") and name.endswith("生存期"):
            name = name[:-1] + "率"  # a survival percentage is a rate, not a time
        extra = [f"HR {figure.hr}" if figure.hr else "", figure.p or ""]
        if figure.comparator and "(" in figure.value:
            tail = "，".join(x for x in extra if x)
            control = f"对照组为 {_zh_value(figure.comparator)}"
            return f"{name}为 {value}，{control}" + (f"（{tail}）" if tail else "")
        if figure.comparator:
            control = f"对照组 {_zh_value(figure.comparator)}"
            return f"{name}为 {value}（{'，'.join(x for x in [control, *extra] if x)}）"
        tail = "，".join(x for x in extra if x)
        tail = f"（{tail}）" if tail else ""
        if figure.direction and value.endswith("%") and figure.measure not in _TIMED:
            verb = "降低" if figure.direction == "down" else "提高"
            return f"{name}{verb} {value}{tail}"
        return f"{name}为 {value}{tail}"


class _En:
    def __init__(self, facts: Facts, terms: Terms) -> None:
        self.f, self.terms = facts, terms

    def sentence(self, facts: Facts, figures: tuple[Figure, ...], count: bool) -> str:
        self.f = f = facts
        who = f.institution or ""
        if f.country and f.country not in who:
            who = f"{who}, {f.country}" if who else f.country
        if f.kind == "trial":
            return self.trial(figures, count)
        design = _DESIGN_EN.get(f.design or "", "study")
        if f.design == "animal":
            design = {"mice": "mouse study", "rats": "rat study"}.get(
                f.animal_model or "", "animal study"
            )
        phase = f"phase {f.phase} " if f.phase else ""
        cancer = f" with {f.cancer_name}" if f.cancer_name else ""
        if f.design == "meta_analysis" and f.studies and count:
            subject = f" of {f.studies} studies"
        elif f.patients and count and f.design not in ("animal", "in_vitro"):
            subject = f" of {f.patients} patients{cancer}"
        elif f.cancer_name:
            subject = f" on {f.cancer_name}"
        else:
            subject = ""
        article = "An" if (phase or design)[:1].lower() in "aeiou" else "A"
        text = f"{article} {phase}{design}{subject}"
        if who:
            text += f" from {who}"
        dosing = ", ".join(x for x in (f.route, pretty_exponent(f.dose or "")) if x)
        if dosing and f.design in ("rct", "single_arm", "clinical_trial", "case_report"):
            text += f" ({dosing})"
        figs = "; ".join(self.figure(g) for g in figures)
        return text + (f": {figs}" if figs else "") + "."

    def trial(self, figures: tuple[Figure, ...], count: bool) -> str:
        f = self.f
        phase = f"phase {f.phase} " if f.phase else ""
        text = f"A {phase}trial" + (f" by {f.sponsor}" if f.sponsor else "")
        if f.countries:
            text += f" ({', '.join(f.countries[:2])})"
        if f.patients and count:
            verb = "enrolled" if f.enrollment_type == "ACTUAL" else "plans to enrol"
            text += f", {verb} {f.patients}"
        if f.status in _STATUS_EN:
            text += f", {_STATUS_EN[f.status]}"
        if f.arms:
            text += f"; arms: {f.arms}"
        for figure in figures[:1]:
            percent = "%" if "percent" in (figure.unit or "").lower() else ""
            values = f"{figure.group or 'arm 1'} {figure.value}{percent}"
            if figure.comparator:
                values += f" vs {figure.comparator_group or 'arm 2'} {figure.comparator}{percent}"
            extra = ", ".join(x for x in (f"HR {figure.hr}" if figure.hr else "", figure.p) if x)
            text += f"; primary outcome ({figure.label}): {values}" + (
                f" ({extra})" if extra else ""
            )
        return text + "."

    def figure(self, figure: Figure) -> str:
        text = f"{figure.label} {figure.value}"
        extra = [f"control {figure.comparator}" if figure.comparator else ""]
        extra += [f"HR {figure.hr}" if figure.hr else "", figure.p or ""]
        inside = ", ".join(x for x in extra if x)
        return text + (f" ({inside})" if inside else "")


_EXPONENT = re.compile(r"\^\s*(-?\d+)")
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def pretty_exponent(text: str) -> str:
    """10^6 as 10⁶: the way a dose is printed (the fidelity check reads both alike)."""
    return _EXPONENT.sub(lambda m: m.group(1).translate(_SUPERSCRIPTS), text)


def _zh_dose(dose: str) -> str:
    dose = pretty_exponent(re.sub(r"\s*([×x])\s*", "×", dose))
    return re.sub(r"\s*\b(?:cells|MSCs)\b", " 个细胞", dose)


def _zh_value(value: str) -> str:
    for pattern, replacement in _UNITS_ZH:
        value = pattern.sub(replacement, value)
    return value
