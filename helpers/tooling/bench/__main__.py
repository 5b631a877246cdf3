"""`python -m helpers.tooling.bench` (make bench)."""

import sys

from helpers.tooling.bench import main

sys.exit(main())
