"""`python -m lakehouse_assets.cli`: the `lakehouse` command without its entry point."""

import sys

from lakehouse_assets.cli import main

sys.exit(main())
