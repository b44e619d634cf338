//! What the serving thread shares with the application: identity and probes.

use crate::health::registry::Registry;

pub(crate) struct Service {
    pub name: String,
    pub version: String,
    /// Path prefix of every endpoint, e.g. `/hams` (no trailing slash).
    pub prefix: String,
    pub registry: Registry,
}
