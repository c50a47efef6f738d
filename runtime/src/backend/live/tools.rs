//! Hook tools run from PATH (being written).
