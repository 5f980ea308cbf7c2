"""``python -m mrkenv``: the same as the ``mrkenv`` command."""

import sys

from .cli import main

sys.exit(main())
