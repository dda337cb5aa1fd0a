"""The evidence map's own words in both editions: its columns, filters, charts and the few values
that are not taxonomy labels. Label names (cancer types, strategies, MSC sources, stages) come
from config/taxonomy.yaml and outcome, safety and country names from config/terms-zh.toml, so
this holds only what neither file names. The first four columns are the seed article's table
(治疗策略 · 代表研究 · 癌种 · 研发阶段), and the digest's trial table reads its heads here."""

from __future__ import annotations

# column id -> (Chinese, English)
COLUMNS = {
    "strategy": ("治疗策略", "Strategy"),
    "study": ("代表研究", "Study"),
    "cancer": ("癌种", "Cancer"),
    "phase": ("研发阶段", "Stage"),
    "source": ("细胞来源与制剂", "MSC source and product"),
    "status": ("状态", "Status"),
    "patients": ("患者数", "Patients"),
    "country": ("国家", "Country"),
    "sponsor": ("申办方", "Sponsor"),
    "outcome": ("主要终点与结果", "Primary outcome and result"),
    "safety": ("安全性信号", "Safety signals"),
    "updated": ("最近更新", "Latest update"),
    "kind": ("类型", "Kind"),
    "year": ("年份", "Year"),
}
ARTICLE_TABLE = ("strategy", "study", "cancer", "phase")

KINDS = {"trial": ("临床试验", "Trial"), "paper": ("临床论文", "Clinical paper")}
PRODUCTS = {"cells": ("细胞", "cells"), "exosomes": ("外泌体/细胞外囊泡", "exosomes/EVs")}
# A study with no registered trial has the status of its papers.
PAPER_STATUS = {"published": ("已发表", "published"), "retracted": ("已撤稿", "retracted")}
# The safety table of config/terms-zh.toml names its findings in Chinese only (its English side
# is the patterns that find them); these are the English edition's names.
SAFETY_EN = {
    "no_dlt": "no dose-limiting toxicity",
    "no_serious_ae": "no serious adverse events",
    "no_severe_crs": "no severe cytokine release syndrome",
    "no_ectopic": "no ectopic tissue formation",
    "no_tumour_promotion": "no tumour promotion",
    "no_toxicity": "no toxicity",
    "well_tolerated": "well tolerated",
    "tumour_promotion": "tumour promotion",
}

CHARTS = {
    "per-year-by-phase": ("各年份研究数（按研发阶段）", "Studies per year, by stage"),
    "by-cancer": ("各癌种研究数", "Studies by cancer type"),
    "by-source": ("各细胞来源研究数", "Studies by MSC source"),
    "trials-by-status": ("临床试验状态分布", "Trials by status"),
}

UI = {
    "zh": {
        "title": "间充质干细胞抗癌临床研究证据图",
        "intro": "本表汇总间充质干细胞（MSC）用于癌症患者的临床研究：已注册的临床试验与报告临床"
        "结果的论文，同一研究的注册记录与论文合并为一行；体外与动物实验不计在内。数据随每次"
        "抓取更新。",
        "filters": "筛选",
        "any": "全部",
        "apply": "筛选",
        "reset": "清除筛选",
        "sort": "排序",
        "asc": "升序",
        "desc": "降序",
        "csv": "下载 CSV（当前筛选结果）",
        "count": "共 {n} 项研究",
        "none": "没有符合条件的研究。",
        "charts": "图表",
        "numbers": "图中数据",
        "total": "合计",
        "studies": "研究数",
        "trials": "试验数",
        "unknown": "未注明",
        "other": "其他",
        "planned": "（计划）",
        "source": "原始记录",
        "vs": "对照组",
        "papers": "另有 {n} 篇相关论文",
        "other_lang": "English",
        "table_note": "表格可左右滑动查看全部列。",
    },
    "en": {
        "title": "Evidence map: clinical studies of MSCs in cancer",
        "intro": "Every clinical study of mesenchymal stem/stromal cells (MSCs) in people with "
        "cancer: registered trials and papers reporting clinical results, a trial's registration "
        "and its papers merged into one row; laboratory and animal studies are left out. Updated "
        "with every crawl.",
        "filters": "Filters",
        "any": "All",
        "apply": "Filter",
        "reset": "Clear filters",
        "sort": "Sort by",
        "asc": "ascending",
        "desc": "descending",
        "csv": "Download CSV (the filtered rows)",
        "count": "{n} studies",
        "none": "No study matches these filters.",
        "charts": "Charts",
        "numbers": "The numbers",
        "total": "Total",
        "studies": "Studies",
        "trials": "Trials",
        "unknown": "not stated",
        "other": "Other",
        "planned": " (planned)",
        "source": "source",
        "vs": "vs",
        "papers": "{n} more papers",
        "other_lang": "中文",
        "table_note": "Scroll the table sideways to see every column.",
    },
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def column(lang: str, name: str) -> str:
    return pick(COLUMNS[name], lang)


def article_heads(lang: str) -> tuple[str, ...]:
    """The seed article's table heads: 治疗策略 · 代表研究 · 癌种 · 研发阶段."""
    return tuple(column(lang, name) for name in ARTICLE_TABLE)
