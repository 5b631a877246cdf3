"""`python -m helpers.bridge build` (make lib)."""

import sys

from helpers.bridge.golib import main

sys.exit(main())
