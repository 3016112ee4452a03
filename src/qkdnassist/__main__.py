"""``python -m qkdnassist``: the command line (see :mod:`qkdnassist.app.cli`)."""

import sys

from .app.cli import main

sys.exit(main())
