"""Language codes in PubMed's system (MARC / ISO 639-2/B: "eng", "chi", "ger"), whatever a source
wrote: feeds give ISO 639-1 with a region ("en-US", "zh-cn"), some give ISO 639-2/T ("zho",
"deu"). One code system lets records of one paper from two sources agree."""

from __future__ import annotations

# ISO 639-1 -> the code PubMed uses (ISO 639-2/B where it differs from /T).
_TWO_LETTER = {
    "af": "afr", "sq": "alb", "am": "amh", "ar": "ara", "hy": "arm", "az": "aze", "bn": "ben",
    "bs": "bos", "bg": "bul", "ca": "cat", "zh": "chi", "cs": "cze", "da": "dan", "nl": "dut",
    "en": "eng", "eo": "epo", "et": "est", "fi": "fin", "fr": "fre", "ka": "geo", "de": "ger",
    "gd": "gla", "el": "gre", "he": "heb", "iw": "heb", "hi": "hin", "hr": "hrv", "hu": "hun",
    "is": "ice", "id": "ind", "in": "ind", "it": "ita", "ja": "jpn", "rw": "kin", "ko": "kor",
    "la": "lat", "lv": "lav", "lt": "lit", "mk": "mac", "ml": "mal", "mi": "mao", "ms": "may",
    "no": "nor", "nb": "nor", "nn": "nor", "fa": "per", "pl": "pol", "pt": "por", "ps": "pus",
    "ro": "rum", "ru": "rus", "sa": "san", "sk": "slo", "sl": "slv", "es": "spa", "sr": "srp",
    "sv": "swe", "th": "tha", "tr": "tur", "uk": "ukr", "ur": "urd", "vi": "vie", "cy": "wel",
    "eu": "baq", "my": "bur", "bo": "tib",
}  # fmt: skip
# ISO 639-2/T spellings -> /B, as PubMed writes them.
_TERMINOLOGIC = {
    "sqi": "alb", "hye": "arm", "zho": "chi", "ces": "cze", "nld": "dut", "fra": "fre",
    "kat": "geo", "deu": "ger", "ell": "gre", "isl": "ice", "mkd": "mac", "mri": "mao",
    "msa": "may", "fas": "per", "ron": "rum", "slk": "slo", "cym": "wel", "eus": "baq",
    "mya": "bur", "bod": "tib",
}  # fmt: skip


def pubmed_language(value: str | None) -> str | None:
    """ "en", "en-US", "EN_gb", "eng" or "zho" -> "eng"/"chi"; None for nothing usable. A
    three-letter code not in the tables is kept as written (lower case)."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0].strip()
    if len(code) == 2:
        return _TWO_LETTER.get(code)
    if len(code) == 3 and code.isalpha():
        return _TERMINOLOGIC.get(code, code)
    return None
