"""``python -m pprl.cli``: run the ``pprl`` command line."""

import sys

from . import main

sys.exit(main())
