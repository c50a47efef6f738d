//! Building charms into components (filled in by the build work).
