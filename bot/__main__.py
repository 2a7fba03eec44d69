"""`python -m bot`: see bot/cli.py."""

import sys

from bot.cli import main

# Guarded: worker processes (bot/workers.py) import the main module under another name, and
# must not run the command line again.
if __name__ == "__main__":
    sys.exit(main())
