"""Live steering: hyperparameters, the training lifecycle, run history and the run
store, figures and dashboards."""
