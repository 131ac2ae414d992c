"""One error root, `BmeBotError`, so an entry point can refuse any known failure in one line.

The leaves, each with the `kind` the CLI prints before the message:

| leaf                                  | raised when                                   |
| ------------------------------------- | --------------------------------------------- |
| `ConfigError` (also a ValueError)     | a setting is missing or malformed             |
| `bme_bot.loading.errors.LoadError`    | a flow or content file is refused (file:line) |
| `bme_bot.storage.base.StoreError`     | the store cannot be opened, reached or used   |
| `ServiceUnavailable`                  | a step could not be saved: "try again later"  |

Every message names what arrived (the variable and its value, the file and line, the store)
and never a secret. This module imports nothing of bme-bot, so every layer may use it.
"""

from __future__ import annotations

from typing import ClassVar


class BmeBotError(Exception):
    """Anything bme-bot refuses on purpose; the CLI prints it as one line and exits 2."""

    kind: ClassVar[str] = "error"

    def one_line(self) -> str:
        """The message as one line: the first line, and how many more there were."""
        lines = [line for line in str(self).splitlines() if line.strip()] or [type(self).__name__]
        more = len(lines) - 1
        return lines[0] + (f" (and {more} more)" if more else "")


class ConfigError(BmeBotError, ValueError):
    """A setting is missing or malformed; the message names the variable, never its secret."""

    kind = "configuration error"


class ServiceUnavailable(BmeBotError):
    """The store could not be used; nothing was saved. Reply 'try again' or answer 5xx."""

    kind = "unavailable"


def describe(error: BmeBotError) -> str:
    """`<kind>: <message in one line>`, what an entry point prints after `bme-bot: `."""
    return f"{error.kind}: {error.one_line()}"
