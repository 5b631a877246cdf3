"""Kit tooling: bench, doctor, the headless demo, notebook tools, exercise checks, timing."""
