"""The conversation on screen as a golden transcript, checked by replaying it through the
same code as `bme-bot console --transcript` before it is handed out."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bme_bot.core.engine import Engine
from bme_bot.studio.chat import StudioChat
from bme_bot.transcripts import load_transcript, run_transcript, transcript_text


def transcript_yaml(chat: StudioChat, name: str) -> str:
    return transcript_text(name, chat.start_record, chat.transcript_steps())


def verify(engine: Engine, text: str) -> str | None:
    """None when the transcript replays as recorded, else the first divergence (one line)."""
    handle, name = tempfile.mkstemp(prefix="studio-", suffix=".yaml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        result = run_transcript(engine, load_transcript(Path(name)))
    finally:
        os.unlink(name)
    if result.divergence is None:
        return None
    return result.divergence.replace(name, "transcript").replace("\n", " ")[:300]
