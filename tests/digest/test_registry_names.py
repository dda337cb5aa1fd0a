"""Every registry scheme the id helpers know has a name in both editions and, where the registry
has a stable address by id, a link: a trial of any registry is cited as the digest cites a
ClinicalTrials.gov one, never as "REGISTRY 注册号" or without a link."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from etl.digest import i18n
from etl.digest.view import TRIAL_SCHEMES, trial_identifier
from etl.facts.words import REGISTRY_NAMES, registry_name
from etl.normalize.identifiers import REGISTRY_SCHEMES, normalize_registry_id

# One id of each scheme as registries print them (a new scheme must add one here).
EXAMPLES = {
    "nct": "NCT05432187",
    "chictr": "ChiCTR2000029308",
    "isrctn": "ISRCTN48213570",
    "euct": "2023-501234-12-00",
    "eudract": "EudraCT 2014-001234-56",
    "actrn": "ACTRN12620000123456",
    "jprn": "JPRN-jRCTs041190009",
    "drks": "DRKS00012345",
    "ctri": "CTRI/2020/05/025123",
    "kct": "KCT0001234",
    "irct": "IRCT20180216038783N1",
    "tctr": "TCTR20200101001",
    "pactr": "PACTR202001123456789",
    "rebec": "RBR-7bqxm2",
    "ntr": "NL8633",
    "itmctr": "ITMCTR2100004567",
}
HALF_WIDTH = re.compile(r"[(),:;]")


def test_every_scheme_has_an_example_a_name_and_a_link_table_entry() -> None:
    assert set(EXAMPLES) == set(REGISTRY_SCHEMES)
    assert set(REGISTRY_NAMES) == set(REGISTRY_SCHEMES) == set(i18n.REGISTRIES)
    assert set(TRIAL_SCHEMES) == set(REGISTRY_SCHEMES)


@pytest.mark.parametrize("scheme", REGISTRY_SCHEMES)
def test_each_registry_is_named_in_both_editions_and_linked(scheme: str) -> None:
    parsed = normalize_registry_id(EXAMPLES[scheme])
    assert parsed is not None and parsed[0] == scheme
    trial_id = parsed[1]
    zh, en = registry_name("zh", scheme), registry_name("en", scheme)
    assert zh and en and scheme in REGISTRY_NAMES  # not the fallback for an unknown scheme
    assert not HALF_WIDTH.search(zh), f"{scheme}: {zh!r} has half-width punctuation"
    url = i18n.registry_url(scheme, trial_id)
    assert url is not None, f"{scheme}: no record address"
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc and trial_id in url

    segments = i18n.trial_citation("zh", "标题", scheme, trial_id)
    space = " " if zh[-1].isascii() else ""
    assert i18n.plain(segments) == f"临床试验：《标题》（{zh}{space}注册号：{trial_id}）"
    assert [s.href for s in segments if s.text == trial_id] == [url]
    english = i18n.plain(i18n.trial_citation("en", "Title", scheme, trial_id))
    assert english == f"Trial: “Title” ({en}: {trial_id})"


def test_a_trial_from_another_registry_is_cited_by_its_registrys_name() -> None:
    record = {"kind": "trial", "source": "ictrp", "source_id": "ChiCTR2000029308",
              "identifiers": {"registry_ids": ["ChiCTR2000029308"]}}  # fmt: skip
    scheme, trial_id = trial_identifier(record)
    line = i18n.plain(i18n.trial_citation("zh", "脐带间充质干细胞治疗", scheme, trial_id))
    assert line == (
        "临床试验：《脐带间充质干细胞治疗》（中国临床试验注册中心注册号：ChiCTR2000029308）"
    )
    assert i18n.registry_name("en", "chictr") == "Chinese Clinical Trial Registry"
