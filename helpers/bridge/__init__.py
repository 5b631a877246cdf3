"""The Go bridge: build the Go library (build), load and call it (library, checks), find its tools (toolchain),
the NumPy yardstick (reference), the tabular runner's calls (tabular). Lessons use the one name ``golib``."""
