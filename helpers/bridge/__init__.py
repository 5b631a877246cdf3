"""The Go bridge: build the Go library (build), load and call it (library, checks),
find its tools (toolchain), the NumPy yardstick (reference), and what crossing
the boundary costs (boundary). Lessons use the one name ``golib``."""
