"""The baseline: a minimal hand-written python-telegram-bot bot with a ConversationHandler.

The same 16 questions as the benchmark's conversation through the shipped flow, asked in a
fixed order with inline keyboards; answers kept in `context.user_data` (memory); no YAML, no
engine, no store, no routing. Each button tap does what bme-bot does for one: answer the
callback query, edit the question message (the choice shown, buttons removed) and send the
next question; after the last one, a ~1.4 KB advice text with a "Start again" button.

    python -m bench.baseline_bot            # env as bme-bot: TELEGRAM_BOT_TOKEN,
                                            # TELEGRAM_API_BASE_URL, WEBHOOK_URL, ...

Polling uses `Application.run_polling()`. Webhook mode uses a small aiohttp server that checks
the secret header, puts the update on the application's queue and answers 200 at once, as
PTB's own `run_webhook` does (that needs tornado, which is not installed here).

BASELINE_KIND picks the variant:
- `plain` (default): one update at a time, answers in memory. PTB advises no concurrency for
  a ConversationHandler; this is the hand-written bot of the issue.
- `pickle`: the same, durable: `PicklePersistence(update_interval=1)` writes the conversation
  states and user_data to a file every second (a crash loses at most about a second).
- `perchat`: the stronger opponent. Different chats at once, each chat in order: a custom
  `BaseUpdateProcessor` (`PerChatProcessor`) holds one lock per chat, so the
  ConversationHandler has set a chat's state before that chat's next update is matched.
- `concurrent`: `concurrent_updates(True)` with no per-chat order, which breaks the
  ConversationHandler (taps matched against an old state); kept to show why.
BASELINE_CONCURRENT=1 is the old name of `concurrent`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import signal
import warnings
from collections.abc import Awaitable
from typing import Any

from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    PicklePersistence,
)
from telegram.warnings import PTBUserWarning

YES_NO = [("yes", "Yes"), ("no", "No")]
QUESTIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "consent",
        "This bot gives education, not a diagnosis. It asks short questions about one painful "
        "place and suggests how soon to get care. Nothing you type is stored.",
        [("agree", "I understand, continue"), ("decline", "No thanks")],
    ),
    (
        "age_group",
        "How old is the person with the pain?",
        [("child", "Under 18"), ("adult", "18 to 54"), ("older_adult", "55 or older")],
    ),
    (
        "site",
        "Where is the pain? If it is in several places, choose the worst one.",
        [
            ("hip", "Hip or groin"),
            ("knee", "Knee"),
            ("ankle", "Ankle"),
            ("foot", "Foot"),
            ("other", "Somewhere else"),
        ],
    ),
    ("fever", "Do you have a fever (38 °C or more), or feel hot, shivery or unwell?", YES_NO),
    (
        "weight_bearing",
        "Can you take 4 steps on that leg, right now?",
        [
            ("normal", "Yes, walking normally"),
            ("limp", "Yes, but with a limp"),
            ("unable", "No, I cannot take 4 steps"),
        ],
    ),
    ("red_hot_swollen", "Is the painful area red AND hot AND swollen?", YES_NO),
    (
        "onset",
        "How did the pain start?",
        [
            ("sudden_injury", "Suddenly, with an injury"),
            ("sudden_no_injury", "Suddenly, without an injury"),
            ("gradual", "Gradually, over days or weeks"),
        ],
    ),
    (
        "immunosuppressed",
        "Is your immune system weakened, or is there an artificial joint?",
        YES_NO,
    ),
    ("sickle_cell", "Do you have sickle cell disease?", YES_NO),
    (
        "weight_loss_or_cancer",
        "Unexplained weight loss or night sweats, or ever had cancer?",
        YES_NO,
    ),
    ("night_pain", "Does the pain come when you are resting, or wake you from sleep?", YES_NO),
    ("training_increase", "Did you recently do more running, jumping or walking?", YES_NO),
    ("steroids_or_alcohol", "Have you taken steroid tablets, or do you drink a lot?", YES_NO),
    ("known_bme_mri", "Has an MRI already shown bone marrow edema there?", YES_NO),
    (
        "trend",
        "Over the last week, is the pain getting better, the same, or worse?",
        [
            ("improving", "Getting better"),
            ("stable", "About the same"),
            ("worsening", "Getting worse"),
            ("resolved", "Gone"),
        ],
    ),
    (
        "duration",
        "How long have you had this pain?",
        [
            ("under_1_week", "Less than a week"),
            ("1_to_6_weeks", "1 to 6 weeks"),
            ("over_6_weeks", "More than 6 weeks"),
        ],
    ),
]
ADVICE = (
    "<b>Book an appointment within a few days</b>\n\n"
    + "Your answers show no emergency sign, but this pain is worth showing to a clinician. " * 12
    + "\n\nIn an emergency, call 112."
)
RESTART = InlineKeyboardMarkup([[InlineKeyboardButton("Start again", callback_data="m|restart")]])


def keyboard(index: int) -> InlineKeyboardMarkup:
    qid, _, options = QUESTIONS[index]
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=f"q|{qid}|{index}|{oid}")]
            for oid, label in options
        ]
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data.clear()  # type: ignore[union-attr]
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        QUESTIONS[0][1],
        reply_markup=keyboard(0),
        parse_mode=ParseMode.HTML,
    )
    return 0


def make_answer(index: int):  # type: ignore[no-untyped-def]
    qid, text, options = QUESTIONS[index]
    labels = dict(options)

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None and query.data is not None and update.effective_chat is not None
        option = query.data.rsplit("|", 1)[1]
        if option not in labels:
            await query.answer("This question has moved on.")
            return index
        context.user_data[qid] = option  # type: ignore[index]
        await query.answer()
        await query.edit_message_text(
            f"{html.escape(text)}\n\n<i>{html.escape(labels[option])}</i>",
            parse_mode=ParseMode.HTML,
        )
        chat = update.effective_chat.id
        if index + 1 < len(QUESTIONS):
            await context.bot.send_message(
                chat,
                QUESTIONS[index + 1][1],
                reply_markup=keyboard(index + 1),
                parse_mode=ParseMode.HTML,
            )
            return index + 1
        await context.bot.send_message(
            chat, ADVICE, reply_markup=RESTART, parse_mode=ParseMode.HTML
        )
        return ConversationHandler.END

    return answer


class PerChatProcessor(BaseUpdateProcessor):
    """Updates of different chats at once (up to `max_concurrent_updates`), each chat's in
    arrival order: PTB starts one task per update in order, and asyncio's locks are FIFO."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] = self._users.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[chat.id] -= 1
            if not self._users[chat.id]:  # bounded: no lock kept for an idle chat
                del self._users[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def kind() -> str:
    if os.environ.get("BASELINE_CONCURRENT", "0") == "1":
        return "concurrent"
    return os.environ.get("BASELINE_KIND", "plain")


def build() -> Application:  # type: ignore[type-arg]
    builder = ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
    base = os.environ.get("TELEGRAM_API_BASE_URL")
    if base:
        builder = builder.base_url(base)
    variant = kind()
    if variant == "concurrent":
        builder = builder.concurrent_updates(True)
    elif variant == "perchat":
        builder = builder.concurrent_updates(PerChatProcessor(256))
    elif variant == "pickle":
        path = os.path.join(os.environ.get("BME_DATA_DIR", "."), "baseline.pickle")
        builder = builder.persistence(PicklePersistence(path, update_interval=1))
    if os.environ.get("WEBHOOK_URL"):
        builder = builder.updater(None)
    application = builder.build()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)  # per_message=False with callbacks
        conversation = ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={i: [CallbackQueryHandler(make_answer(i))] for i in range(len(QUESTIONS))},
            fallbacks=[CommandHandler("start", start)],
            name="triage",
            persistent=variant == "pickle",
        )
    application.add_handler(conversation)
    return application


async def serve_webhook(application: Application) -> None:  # type: ignore[type-arg]
    secret = os.environ["WEBHOOK_SECRET"]
    url = os.environ["WEBHOOK_URL"]

    async def hook(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
            return web.Response(status=403)
        update = Update.de_json(await request.json(), application.bot)
        await application.update_queue.put(update)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/" + url.split("/", 3)[-1] if url.count("/") >= 3 else "/", hook)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with application:
        await application.start()
        await runner.setup()
        site = web.TCPSite(
            runner,
            os.environ.get("WEBHOOK_LISTEN", "127.0.0.1"),
            int(os.environ.get("WEBHOOK_PORT", "8080")),
        )
        await site.start()
        await application.bot.set_webhook(url, secret_token=secret)
        await stop.wait()
        await runner.cleanup()
        await application.stop()


def main() -> None:
    logging.basicConfig(format="%(asctime)s %(name)s %(levelname)s %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    application = build()
    if os.environ.get("WEBHOOK_URL"):
        asyncio.run(serve_webhook(application))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
