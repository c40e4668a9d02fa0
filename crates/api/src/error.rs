//! The body of an error response: `{"__type": "<ErrorCode>", "message": "…"}`.
//!
//! AWS sends a qualified code (`com.amazonaws.swf.service.model#StateMachineDoesNotExist`); SDKs keep what follows
//! the `#`, so a bare code is equally understood. The HTTP status is not part of this type.

use serde::{Deserialize, Serialize};

/// An error as the wire carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "__type")]
    pub code: String,
    pub message: String,
}
