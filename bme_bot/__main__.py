"""`python -m bme_bot` runs the `bme-bot` command."""

from bme_bot.cli import main

raise SystemExit(main())
