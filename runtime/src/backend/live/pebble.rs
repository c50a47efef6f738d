//! Pebble over its unix socket (being written).
