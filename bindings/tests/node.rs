//! The bindings' suite in Node.
mod common;
