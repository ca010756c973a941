"""Entry point: ``python -m gate.action`` (what action.yml runs)."""

import sys

from gate.action.main import main

sys.exit(main())
