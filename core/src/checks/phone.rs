//! Phone numbers (placeholder, being written).
