//! Limits of the HTTP boundary. A leaf module: the router applies them and the extractor reports them, and neither
//! imports the other.

/// The largest request body accepted, in bytes. AWS caps requests at 1 MB; a definition may be 1 MiB of characters,
/// which JSON escaping can make several times longer, so the cap here is generous. Larger bodies get HTTP 413.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;
