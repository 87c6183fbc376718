"""`python -m sitekit`: the `sitekit` command, where no console script is on the PATH."""

import sys

from sitekit.cli import main

sys.exit(main())
