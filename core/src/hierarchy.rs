//! Manager hierarchy index (placeholder, being written).
