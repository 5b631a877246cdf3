"""A run: the training thread's lifecycle, the steerable base every agent shares, history and the run store."""
