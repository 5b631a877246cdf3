"""Sweeps: a grid of hyperparameters x seeds of registered trials, in a process pool or on Ray, and their figure."""
