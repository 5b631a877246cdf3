"""Kit tooling on top of everything: bench, doctor, the headless demo, notebook tools, student copies."""
