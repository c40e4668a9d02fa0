//! Tests for loading source text and locating pointers in it.
