# One gate, run the same way locally and in CI.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CODE   := bme_bot tests $(wildcard bench)

.PHONY: run test gate setup format bench clean messages

# Set up (once) and run the bot: Telegram when TELEGRAM_BOT_TOKEN is set, else the console.
run: $(STAMP)
	$(BIN)/bme-bot run

# Set up (once) and run the whole gate.
test: $(STAMP) gate

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

gate: $(STAMP)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/ruff check $(CODE)
	$(BIN)/mypy
	$(BIN)/pytest -q
	$(BIN)/bme-bot check

format: $(STAMP)
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

# Interface strings: extract the English msgids into the .pot, then merge it into each .po
# (new strings come empty or fuzzy: translate them; `bme-bot check` fails until then).
MESSAGES := bme_bot/locales
messages: $(STAMP)
	$(BIN)/pybabel extract --project=bme-bot --width=100 -o $(MESSAGES)/bme_bot.pot \
		bme_bot/core bme_bot/adapters bme_bot/checkins bme_bot/service.py
	$(BIN)/pybabel update --width=100 -D bme_bot -i $(MESSAGES)/bme_bot.pot -d $(MESSAGES)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
