"""The fake Bot API moved to `bme_bot.testing.fake_bot_api` (one fake for tests and bench).

Kept as a name so that `from fake_bot_api import Call, FakeBotApi` in older tests still works;
new tests import from `bme_bot.testing.fake_bot_api`."""

from bme_bot.testing.fake_bot_api import Call, FakeBotApi, plain

__all__ = ["Call", "FakeBotApi", "plain"]
