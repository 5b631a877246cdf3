"""The base: knobs (every hyperparameter's meaning, range and default), durable writes, timing.

Imports nothing of the kit."""
