"""Whether an address can be mailed as written: the check every address we send to passes
(a reader's, and a test copy's), so the digest and the subscriber pages refuse the same ones."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def normalize_address(text: str) -> str:
    """The address as we store it (lower case), or ValueError saying what is wrong with it.
    Internationalized (SMTPUTF8) addresses are refused: not every relay carries them."""
    if "=?" in text:
        # Legal characters, but mail software decodes "=?charset?q?…?=" in a To: header as an
        # RFC 2047 encoded word: the message would go to another address than the one stored.
        raise ValueError(
            "The email address must not contain '=?': it reads as an encoded header word."
        )
    try:
        checked = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return checked.normalized.lower()
