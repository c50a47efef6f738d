//! Property test: no argv or stdin makes `run` panic.
