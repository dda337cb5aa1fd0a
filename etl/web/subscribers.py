"""The subscriber pages: the sign-up form, and the confirm, preferences and unsubscribe pages the
links in our emails open. Chinese or English: the form follows `?lang=`, a link's page follows
the language the reader chose.

A page reached by GET never changes anything (mail scanners open links before people do); its
button POSTs. Every form carries a CSRF token, except the unsubscribe POST: mailbox providers
send it without cookies (RFC 8058 one-click), and the signed token in its address is what
authorizes it.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf

from etl import clock
from etl.mail.tokens import make_token
from etl.subscribers.addresses import (
    LANGUAGES,
    TOPIC_HEADINGS,
    normalize_address,
    parse_language,
    parse_topics,
)
from etl.subscribers.service import Outcome, Subscribers
from etl.web.services import services

pages = Blueprint("subscribers", __name__)

LANGUAGE_NAMES = (("zh", "中文"), ("en", "English"))
LEFT = ("unsubscribed", "bounced", "complained")
# Pages opened from a link carry the reader's token in their address: keep them out of caches,
# search engines and other sites' Referer headers.
TOKEN_HEADERS = {"X-Robots-Tag": "noindex", "Referrer-Policy": "same-origin"}

WORDS = {
    "zh": {
        "archive": "往期回顾",
        "subscribe_title": "订阅《{name}》",
        "subscribe_intro": (
            "填写邮箱地址即可订阅。提交后我们会先发一封确认邮件,点击其中的链接才算订阅成功。"
        ),
        "email": "邮箱地址",
        "language": "邮件语言",
        "topics": "关注的内容",
        "topics_hint": "不勾选则接收全部内容。",
        "consent": (
            "提交即表示您同意我们在每期出版时向这个邮箱发送《{name}》;每封邮件都附有退订链接,"
            "可随时退订。"
        ),
        "submit": "订阅",
        "email_empty": "请填写邮箱地址。",
        "email_no_at": "邮箱地址中缺少 @,请检查后重新填写。",
        "email_wide_at": "请把全角的“＠”换成半角的 @。",
        "email_ascii": "邮箱地址只能包含英文字母、数字和常用符号,暂不支持中文等字符。",
        "email_bad": "邮箱地址格式不正确,请检查后重新填写。",
        "language_bad": "请选择中文或 English。",
        "topics_bad": "请从列表中选择关注的内容。",
        "sent_title": "请查收确认邮件",
        "sent_body": (
            "如果这个邮箱还没有订阅,几分钟内会收到一封确认邮件。请点击邮件中的链接完成订阅,链接 "
            "{days} 天内有效。"
        ),
        "sent_help": (
            "没有收到?请先看看垃圾邮件文件夹;如果 {minutes} 分钟后仍未收到,可以再提交一次。"
        ),
        "limited_title": "请稍后再试",
        "limited_body": "短时间内从您的网络提交的订阅次数过多,请 {minutes} 分钟后再试。",
        "confirm_title": "确认订阅",
        "confirm_body": "请点击下面的按钮,确认用 {email} 订阅《{name}》。",
        "confirm_button": "确认订阅",
        "welcome_title": "订阅成功",
        "welcome_body": "感谢您的订阅。新一期出版后,《{name}》会发送到 {email}。",
        "already_title": "您已确认过订阅",
        "already_body": "{email} 已在订阅名单中,无需再次确认。",
        "manage_body": "邮件语言和关注的内容可以随时修改:",
        "manage": "订阅偏好",
        "invalid_title": "链接无效或已过期",
        "invalid_confirm": (
            "这个链接无效或已经过期,我们没有做任何更改。如需订阅,请重新填写订阅表单,"
            "我们会发送新的确认邮件。"
        ),
        "invalid_preferences": (
            "这个链接无效或已经过期,我们没有做任何更改。请使用最近一期邮件底部的“订阅偏好”链接。"
        ),
        "invalid_unsubscribe": (
            "这个链接无效,我们没有做任何更改。请使用最近一期邮件底部的退订链接;如仍有问题,"
            "请直接回复任意一期邮件告诉我们。"
        ),
        "subscribe_again": "重新订阅",
        "refused_title": "无法用这个链接确认订阅",
        "refused_body": (
            "{email} 此前已退订或停止接收邮件,这个旧的确认链接不能恢复订阅。如需重新订阅,"
            "请重新填写订阅表单,我们会发送新的确认邮件。"
        ),
        "not_found_title": "找不到这个订阅",
        "not_found_body": (
            "我们的名单中已没有这个邮箱地址,可能已按您的要求删除。如需订阅,请重新填写订阅表单。"
        ),
        "preferences_title": "订阅偏好",
        "preferences_for": "邮箱:{email}",
        "save": "保存设置",
        "saved": "设置已保存。",
        "pending_note": "您还没有确认订阅,请先点击确认邮件中的链接。",
        "left_note": "您目前没有订阅,不会收到我们的邮件。",
        "feeds_body": "也可以用 RSS 阅读器按栏目、癌种或治疗策略追踪：",
        "feeds": "订阅源",
        "leave_body": "不想再收到邮件?",
        "leave": "退订",
        "unsubscribe_title": "退订",
        "unsubscribe_body": "点击下面的按钮后,{email} 将不再收到《{name}》。",
        "unsubscribe_button": "确认退订",
        "rather_body": "想换一种语言,或只接收部分内容?",
        "unsubscribed_title": "您已退订",
        "unsubscribed_body": "{email} 不会再收到《{name}》。感谢您一直以来的阅读。",
        "unsubscribed_again": "如果改变主意,随时欢迎您重新订阅。",
        "not_listed_title": "不在订阅名单中",
        "not_listed_body": "这个邮箱地址不在我们的订阅名单中,不会收到我们的邮件。",
        "expired_title": "页面已过期",
        "expired_body": (
            "页面打开太久,或浏览器没有保存 Cookie,这次提交没有生效,我们没有做任何更改。"
            "请重新打开页面再提交一次。"
        ),
        "reopen": "重新打开页面",
    },
    "en": {
        "archive": "Archive",
        "subscribe_title": "Subscribe to {name}",
        "subscribe_intro": (
            "Enter your email address to subscribe. We will first send you an email: the link in "
            "it completes your subscription."
        ),
        "email": "Email address",
        "language": "Language of the emails",
        "topics": "Topics",
        "topics_hint": "Tick none to receive everything.",
        "consent": (
            "By subscribing you agree that we send {name} to this address each time an issue comes "
            "out. Every email has a link to unsubscribe at any time."
        ),
        "submit": "Subscribe",
        "email_empty": "Please enter your email address.",
        "email_no_at": "An email address needs an @ sign.",
        "email_wide_at": "Please type a plain @ instead of ＠.",
        "email_ascii": "Please use an address made of Latin letters, digits and the usual signs.",
        "email_bad": "This address does not look right: {reason}",
        "language_bad": "Please choose 中文 or English.",
        "topics_bad": "Please choose topics from the list.",
        "sent_title": "Please check your inbox",
        "sent_body": (
            "If this address is not subscribed yet, a confirmation email is on its way. Open the "
            "link in it to complete your subscription; the link works for {days} days."
        ),
        "sent_help": (
            "Nothing arrived? Look in your spam folder first; if it is still missing after "
            "{minutes} minutes, you can submit the form again."
        ),
        "limited_title": "Please try again later",
        "limited_body": (
            "Too many sign-ups have come from your network in a short time. Please try again in "
            "{minutes} minutes."
        ),
        "confirm_title": "Confirm your subscription",
        "confirm_body": "Press the button below to confirm that {email} should receive {name}.",
        "confirm_button": "Confirm my subscription",
        "welcome_title": "You are subscribed",
        "welcome_body": (
            "Thank you for subscribing! The next issue of {name} will be sent to {email}."
        ),
        "already_title": "Already confirmed",
        "already_body": "{email} is already on our list; there is nothing more to do.",
        "manage_body": "You can change the language and the topics at any time:",
        "manage": "Your preferences",
        "invalid_title": "This link is not valid or has expired",
        "invalid_confirm": (
            "Nothing has been changed. To subscribe, please fill in the form again and we will "
            "send you a new confirmation email."
        ),
        "invalid_preferences": (
            "Nothing has been changed. Please use the preferences link at the bottom of our latest "
            "email."
        ),
        "invalid_unsubscribe": (
            "Nothing has been changed. Please use the unsubscribe link at the bottom of our latest "
            "email, or reply to any issue and tell us."
        ),
        "subscribe_again": "Subscribe again",
        "refused_title": "This link cannot confirm a subscription",
        "refused_body": (
            "{email} has unsubscribed or stopped receiving our emails, so this older confirmation "
            "link cannot bring it back. To subscribe again, please fill in the form and we will "
            "send you a new confirmation email."
        ),
        "not_found_title": "Subscription not found",
        "not_found_body": (
            "This address is no longer on our list; it may have been removed at your request. To "
            "subscribe, please fill in the form again."
        ),
        "preferences_title": "Your preferences",
        "preferences_for": "Email: {email}",
        "save": "Save",
        "saved": "Your preferences have been saved.",
        "pending_note": (
            "Your subscription is not confirmed yet: please open the link in the confirmation "
            "email first."
        ),
        "left_note": "You are not subscribed at the moment and will not receive our emails.",
        "feeds_body": "Or follow a section, cancer type or strategy in a feed reader:",
        "feeds": "Feeds",
        "leave_body": "No longer want these emails?",
        "leave": "Unsubscribe",
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_body": "Press the button below and {email} will no longer receive {name}.",
        "unsubscribe_button": "Unsubscribe",
        "rather_body": "Would another language or fewer topics suit you better?",
        "unsubscribed_title": "You are unsubscribed",
        "unsubscribed_body": "{email} will no longer receive {name}. Thank you for reading.",
        "unsubscribed_again": "If you change your mind, you are welcome to subscribe again.",
        "not_listed_title": "Not on our list",
        "not_listed_body": "This address is not on our list and will not receive our emails.",
        "expired_title": "This page has expired",
        "expired_body": (
            "The page was open for too long, or your browser did not keep its cookie, so nothing "
            "was changed. Please open the page again and resubmit."
        ),
        "reopen": "Open the page again",
    },
}


# -- the sign-up form ------------------------------------------------------------------------


@pages.get("/subscribe")
def subscribe_page() -> Response:
    lang = _asked_language()
    return _form(lang, 200, "", lang, [], {})


@pages.post("/subscribe")
def subscribe() -> Response:
    lang = _asked_language()
    service = _service()
    email = request.form.get("email", "")
    language = request.form.get("language") or None
    topics = request.form.getlist("topics")
    errors = _address_error(lang, email) | _choice_errors(lang, language, topics)
    if errors:
        return _form(lang, 400, email, language, topics, errors)
    try:
        outcome = service.subscribe_form(
            email,
            language,
            topics,
            request.remote_addr or "",
            request.headers.get("User-Agent", ""),
            clock.now(),
        )
    except ValueError as exc:  # the service's rules are the last word
        return _form(lang, 400, email, language, topics, {"email": _address_problem(lang, exc)})
    config = service.settings.subscribers
    words = WORDS[lang]
    if outcome.action == "rate limited":
        seconds = math.ceil(config.form_window_minutes * 60)
        return _page(
            "message",
            lang,
            429,
            title=words["limited_title"],
            paragraphs=[words["limited_body"].format(minutes=math.ceil(seconds / 60))],
            headers={"Retry-After": str(seconds)},
        )
    minutes = max(1, math.ceil(config.resend_minutes))
    # New, pending, active or left: one answer, and the email (if any) goes out after it on
    # the service's mail thread, so neither the page nor its timing tells who reads us.
    return _page(
        "message",
        lang,
        200,
        title=words["sent_title"],
        paragraphs=[
            words["sent_body"].format(days=_days(config.confirm_days)),
            words["sent_help"].format(minutes=minutes),
        ],
    )


def _form(
    lang: str,
    status: int,
    email: str,
    language: str | None,
    topics: list[str],
    errors: dict[str, str],
) -> Response:
    other = "en" if lang == "zh" else "zh"
    words = WORDS[lang]
    name = _service().settings.digest.header.name(lang)
    return _page(
        "subscribe",
        lang,
        status,
        other=(dict(LANGUAGE_NAMES)[other], _subscribe_url(other), other),
        title=words["subscribe_title"].format(name=name),
        intro=words["subscribe_intro"],
        consent=words["consent"].format(name=name),
        action=_subscribe_url(lang),
        csrf=generate_csrf(),
        email=email,
        language=language,
        chosen=topics,
        errors=errors,
    )


# -- confirm -----------------------------------------------------------------------------------


@pages.get("/confirm/<token>")
def confirm_page(token: str) -> Response:
    email, found = _service().lookup(token, "confirm")
    if email is None:
        return _invalid("confirm")
    if found is None:
        return _not_found()
    if found["state"] == "active":
        return _welcome(found, already=True)
    if not _service().confirmable(found, token):
        return _refused(found)
    lang = _language_of(found)
    words = WORDS[lang]
    return _token_page(
        "message",
        lang,
        200,
        title=words["confirm_title"],
        paragraphs=[words["confirm_body"].format(email=email, name=_name(lang))],
        button=_button(url_for(".confirm", token=token), words["confirm_button"], csrf=True),
    )


@pages.post("/confirm/<token>")
def confirm(token: str) -> Response:
    outcome = _service().confirm(token, clock.now())
    if outcome.action in ("confirmed", "already active"):
        return _welcome(_subscriber(outcome), already=outcome.action == "already active")
    if outcome.action == "refused":
        return _refused(_subscriber(outcome))
    if outcome.action == "not found":
        return _not_found()
    return _invalid("confirm")


def _welcome(found: dict[str, Any], already: bool) -> Response:
    lang = _language_of(found)
    words = WORDS[lang]
    email = found["email"]
    first = (
        words["already_body"].format(email=email)
        if already
        else words["welcome_body"].format(email=email, name=_name(lang))
    )
    return _token_page(
        "message",
        lang,
        200,
        title=words["already_title" if already else "welcome_title"],
        paragraphs=[first],
        links=[(words["manage_body"], words["manage"], _link("preferences", email))],
    )


def _refused(found: dict[str, Any]) -> Response:
    lang = _language_of(found)
    words = WORDS[lang]
    return _token_page(
        "message",
        lang,
        400,
        title=words["refused_title"],
        paragraphs=[words["refused_body"].format(email=found["email"])],
        links=[("", words["subscribe_again"], _subscribe_url(lang))],
    )


def _not_found() -> Response:
    lang = _guessed_language()
    words = WORDS[lang]
    return _token_page(
        "message",
        lang,
        404,
        title=words["not_found_title"],
        paragraphs=[words["not_found_body"]],
        links=[("", words["subscribe_again"], _subscribe_url(lang))],
    )


# -- preferences -------------------------------------------------------------------------------


@pages.get("/preferences/<token>")
def preferences_page(token: str) -> Response:
    found = _service().preferences(token)
    if found is None:
        return _missing(token)
    return _preferences(token, found, 200)


@pages.post("/preferences/<token>")
def preferences(token: str) -> Response:
    service = _service()
    language = request.form.get("language") or None
    topics = request.form.getlist("topics")
    try:
        outcome = service.save_preferences(token, language, topics, clock.now())
    except ValueError:  # the token was good: the choices were not
        found = service.preferences(token)
        if found is None:
            return _missing(token)
        lang = _language_of(found)
        errors = _choice_errors(lang, language, topics)
        return _preferences(token, found, 400, language=language, topics=topics, errors=errors)
    if outcome.action == "updated":
        return _preferences(token, _subscriber(outcome), 200, saved=True)
    if outcome.action == "not found":
        return _not_found()
    return _invalid("preferences")


def _preferences(
    token: str,
    found: dict[str, Any],
    status: int,
    *,
    language: str | None = None,
    topics: list[str] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    lang = _language_of(found)
    words = WORDS[lang]
    email = found["email"]
    notes = []
    feeds = request.script_root + ("/feeds/" if lang == "zh" else "/en/feeds/")
    links = [
        (words["feeds_body"], words["feeds"], feeds),
        (words["leave_body"], words["leave"], _link("unsubscribe", email)),
    ]
    if found["state"] == "pending":
        notes.append(words["pending_note"])
    elif found["state"] in LEFT:
        notes.append(words["left_note"])
        links = [(words["unsubscribed_again"], words["subscribe_again"], _subscribe_url(lang))]
    return _token_page(
        "preferences",
        lang,
        status,
        title=words["preferences_title"],
        address=words["preferences_for"].format(email=email),
        notes=notes,
        saved=saved and not errors,
        action=url_for(".preferences", token=token),
        csrf=generate_csrf(),
        language=language or lang,
        chosen=list(found["topics"] if topics is None else topics),
        errors=errors or {},
        links=links,
    )


# -- unsubscribe -------------------------------------------------------------------------------


@pages.get("/unsubscribe/<token>")
def unsubscribe_page(token: str) -> Response:
    email, found = _service().lookup(token, "unsubscribe")
    if email is None:
        return _invalid("unsubscribe")
    if found is None or found["state"] in LEFT:
        return _unsubscribed(email, found)
    lang = _language_of(found)
    words = WORDS[lang]
    return _token_page(
        "message",
        lang,
        200,
        title=words["unsubscribe_title"],
        paragraphs=[words["unsubscribe_body"].format(email=email, name=_name(lang))],
        button=_button(url_for(".unsubscribe", token=token), words["unsubscribe_button"]),
        links=[(words["rather_body"], words["manage"], _link("preferences", email))],
    )


@pages.post("/unsubscribe/<token>")
def unsubscribe(token: str) -> Response:
    """The button on the page above, and RFC 8058 one-click POSTs from mailbox providers
    (exempt from CSRF in create_app). Idempotent, and always a page, never a redirect."""
    one_click = request.form.get("List-Unsubscribe", "").strip() == "One-Click"
    outcome = _service().unsubscribe(token, clock.now(), "one-click" if one_click else "web")
    if outcome.action == "invalid":
        return _invalid("unsubscribe")
    return _unsubscribed(outcome.email, outcome.subscriber)


def _unsubscribed(email: str, found: dict[str, Any] | None) -> Response:
    """Unsubscribed now or before: the same page. An address no longer on the list (erased at
    its owner's request) is also where the reader wanted to be: 200, not an error."""
    lang = _language_of(found) if found else _guessed_language()
    words = WORDS[lang]
    if found is None:
        title, first = words["not_listed_title"], words["not_listed_body"]
    else:
        title = words["unsubscribed_title"]
        first = words["unsubscribed_body"].format(email=email, name=_name(lang))
    return _token_page(
        "message",
        lang,
        200,
        title=title,
        paragraphs=[first],
        links=[(words["unsubscribed_again"], words["subscribe_again"], _subscribe_url(lang))],
    )


# -- shared --------------------------------------------------------------------------------------


@pages.app_errorhandler(CSRFError)
def form_expired(error: CSRFError) -> Response:
    """A form posted without its CSRF token, or with a stale one: nothing was done."""
    lang = _guessed_language()
    words = WORDS[lang]
    again = "/" + request.path.lstrip("/")  # this site's page, whatever the address held
    if request.query_string:
        again += "?" + request.query_string.decode("latin-1")
    return _page(
        "message",
        lang,
        400,
        title=words["expired_title"],
        paragraphs=[words["expired_body"]],
        links=[("", words["reopen"], again)],
    )


def _invalid(purpose: str) -> Response:
    lang = _guessed_language()
    words = WORDS[lang]
    links = [("", words["subscribe_again"], _subscribe_url(lang))] if purpose == "confirm" else []
    return _token_page(
        "message",
        lang,
        400,
        title=words["invalid_title"],
        paragraphs=[words[f"invalid_{purpose}"]],
        links=links,
    )


def _missing(token: str) -> Response:
    """A preferences token that led nowhere: forged or expired (400), or its address is gone
    (404)."""
    email = _service().address_of(token, "preferences")
    return _invalid("preferences") if email is None else _not_found()


def _address_error(lang: str, email: str) -> dict[str, str]:
    try:
        normalize_address(email)
    except ValueError as exc:
        return {"email": _address_problem(lang, exc, email)}
    return {}


def _address_problem(lang: str, exc: ValueError, typed: str = "") -> str:
    words = WORDS[lang]
    reason = str(exc)
    if not typed.strip():
        return words["email_empty"]
    if "＠" in typed:
        return words["email_wide_at"]
    if "@-sign." in reason and "must have" in reason:
        return words["email_no_at"]
    if not typed.isascii():
        return words["email_ascii"]
    return words["email_bad"].format(reason=reason)


def _choice_errors(lang: str, language: str | None, topics: list[str]) -> dict[str, str]:
    errors = {}
    try:
        parse_language(language)
    except ValueError:
        errors["language"] = WORDS[lang]["language_bad"]
    try:
        parse_topics(topics, _service().known_topics)
    except ValueError:
        errors["topics"] = WORDS[lang]["topics_bad"]
    return errors


def _page(
    template: str,
    lang: str,
    status: int,
    *,
    headers: dict[str, str] | None = None,
    noindex: bool = False,
    **values: Any,
) -> Response:
    service = _service()
    header = service.settings.digest.header
    root = request.script_root
    values.setdefault("other", None)
    values.setdefault("paragraphs", [])
    values.setdefault("links", [])
    values.setdefault("button", None)
    body = service.templates.get_template(f"web/{template}.html.j2").render(
        lang=lang,
        t=WORDS[lang],
        site=header.name(lang),
        tagline=header.tagline(lang),
        archive=f"{root}/" if lang == "zh" else f"{root}/en/",
        languages=LANGUAGE_NAMES,
        topics=[
            (TOPIC_HEADINGS[heading](lang), [(key, label(lang)) for key, label in labels.items()])
            for heading, labels in service.topic_groups
        ],
        noindex=noindex,
        **values,
    )
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    if noindex:
        response.headers.update(TOKEN_HEADERS)
    response.headers.update(headers or {})
    return response


def _token_page(template: str, lang: str, status: int, **values: Any) -> Response:
    return _page(template, lang, status, noindex=True, **values)


def _button(action: str, label: str, csrf: bool = False) -> dict[str, str]:
    return {"action": action, "label": label, "csrf": generate_csrf() if csrf else ""}


def _link(purpose: str, email: str) -> str:
    token = make_token(_service().settings, purpose, email)
    return url_for(f".{purpose}_page", token=token)


def _subscribe_url(lang: str) -> str:
    return url_for(".subscribe_page") if lang == "zh" else url_for(".subscribe_page", lang=lang)


def _service() -> Subscribers:
    return services().subscribers


def _subscriber(outcome: Outcome) -> dict[str, Any]:
    if outcome.subscriber is None:
        raise RuntimeError(f"{outcome.action!r} for {outcome.email} came without its reader")
    return outcome.subscriber


def _language_of(found: dict[str, Any]) -> str:
    return found["language"] if found["language"] in LANGUAGES else "zh"


def _name(lang: str) -> str:
    return _service().settings.digest.header.name(lang)


def _days(days: float) -> str:
    return f"{days:g}"


def _asked_language() -> str:
    """The form's language: `?lang=en` or Chinese."""
    asked = request.args.get("lang", "")
    return asked if asked in LANGUAGES else "zh"


def _guessed_language() -> str:
    """For a page about a link we could not read: `?lang=`, else the browser's choice, else
    Chinese."""
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or "zh"
