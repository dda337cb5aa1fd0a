"""Offline stand-in for PubMed E-utilities and the CT.gov API v2: corpora of records and studies,
a loopback server, and faults.

The crawler, the demo and the crawl and fault tests start it in-process so the real HTTP code runs
without the network.
"""

from etl.replay.corpus import Corpus, CorpusError, Record
from etl.replay.ctgov import StudyCorpus
from etl.replay.faults import KINDS as FAULT_KINDS
from etl.replay.faults import FaultPlan
from etl.replay.server import RecordedRequest, ReplayServer
from etl.replay.synthetic import synthetic_article

__all__ = [
    "FAULT_KINDS",
    "Corpus",
    "CorpusError",
    "FaultPlan",
    "Record",
    "RecordedRequest",
    "ReplayServer",
    "StudyCorpus",
    "synthetic_article",
]
