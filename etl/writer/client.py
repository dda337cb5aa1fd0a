"""One draft from the writer model: the request through the maintained `openai` client, timed,
and its outcome: a text that passed the fidelity check, or the reason there is none (a 429, a
timeout, an error status, a cut answer, a figure the record does not hold). Never raises for
what the service does: the caller keeps the template's text and goes on."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import openai

from etl.facts.extract import record_text
from etl.facts.fidelity import unsupported
from etl.settings import WriterSettings
from etl.writer.prompt import messages, record_key, source_sentences

logger = logging.getLogger("etl.writer")


@dataclass(frozen=True)
class Outcome:
    """What one request gave: `state` "draft" with its text, or "failed" with the reason."""

    state: str
    text: str
    reason: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float = 0.0
    sources: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state == "draft"


def source_text(data: Mapping[str, Any]) -> str:
    """Everything a figure in a draft may come from: the record's own text (the fidelity
    check's source, as for every derived text)."""
    return record_text(data)


class Writer:
    """A writer model for one configuration. `api_key` comes from LLM_API_KEY."""

    def __init__(
        self,
        config: WriterSettings,
        api_key: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.clock = clock
        self.client = openai.OpenAI(
            base_url=config.base_url,
            api_key=api_key,
            timeout=config.timeout,
            max_retries=config.max_retries,
        )

    def draft(self, data: Mapping[str, Any], lang: str, field_: str) -> Outcome:
        model = self.config.model
        sources = source_sentences(data)
        started = self.clock()
        try:
            answer = self.client.chat.completions.create(
                model=model,
                messages=messages(data, lang, field_),  # type: ignore[arg-type]
                temperature=self.config.temperature,
                max_tokens=self.config.max_tokens,
            )
        except openai.RateLimitError as exc:
            after = exc.response.headers.get("Retry-After")
            reason = "rate limited (429)" + (f", retry after {after} s" if after else "")
            return self._failed(data, lang, field_, reason, started, sources)
        except openai.APITimeoutError:
            reason = f"no answer within {self.config.timeout:g} s"
            return self._failed(data, lang, field_, reason, started, sources)
        except openai.APIStatusError as exc:
            reason = f"the service answered {exc.status_code}: {_message(exc)}"
            return self._failed(data, lang, field_, reason, started, sources)
        except openai.APIError as exc:  # connection refused or dropped, a body not JSON
            reason = f"the service could not be reached: {type(exc).__name__}"
            return self._failed(data, lang, field_, reason, started, sources)
        seconds = self.clock() - started
        usage = answer.usage
        prompt = usage.prompt_tokens if usage else None
        completion = usage.completion_tokens if usage else None
        choice = answer.choices[0] if answer.choices else None
        text = ((choice.message.content if choice else "") or "").strip()
        reason = ""
        if choice is None or not text:
            reason = "the answer was empty"
        elif choice.finish_reason == "length":
            reason = "the answer was cut at max_tokens"
        else:
            missing = unsupported(text, source_text(data))
            if missing:
                reason = "fidelity check: not in the record: " + ", ".join(missing)
        outcome = Outcome(
            "failed" if reason else "draft",
            text,
            reason,
            answer.model or model,
            prompt,
            completion,
            round(seconds, 3),
            sources,
        )
        _log(data, lang, field_, outcome)
        return outcome

    def _failed(
        self,
        data: Mapping[str, Any],
        lang: str,
        field_: str,
        reason: str,
        started: float,
        sources: list[str],
    ) -> Outcome:
        seconds = round(self.clock() - started, 3)
        outcome = Outcome("failed", "", reason, self.config.model, None, None, seconds, sources)
        _log(data, lang, field_, outcome)
        return outcome

    def close(self) -> None:
        self.client.close()


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        found = body.get("message") or (body.get("error") or {}).get("message")
        if found:
            return str(found)
    return exc.message


def _log(data: Mapping[str, Any], lang: str, field_: str, outcome: Outcome) -> None:
    """One line per item: which record, the model, the tokens and the time it took."""
    logger.info(
        "writer %s %s %s: %s model=%s prompt_tokens=%s completion_tokens=%s seconds=%.3f%s",
        record_key(data),
        lang,
        field_,
        outcome.state,
        outcome.model,
        outcome.prompt_tokens,
        outcome.completion_tokens,
        outcome.seconds,
        f" reason={outcome.reason}" if outcome.reason else "",
        extra={
            "record": record_key(data),
            "model": outcome.model,
            "prompt_tokens": outcome.prompt_tokens,
            "completion_tokens": outcome.completion_tokens,
            "seconds": outcome.seconds,
            "outcome": outcome.state,
        },
    )
