//! batchtrack-ref
