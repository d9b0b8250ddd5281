//! Passwords (placeholder, being written).
