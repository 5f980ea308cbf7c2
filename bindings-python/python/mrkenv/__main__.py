"""``python -m mrkenv``: the same as the ``mrkenv`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
