//! Tests of the wire protocols against AWS's documented requests and responses.
