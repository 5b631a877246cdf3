"""Each lesson's experiment helpers (one call per experiment, so cells stay short) and the exercise checks."""
