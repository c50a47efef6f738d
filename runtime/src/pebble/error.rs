//! The errors Pebble's API answers with.

/// A Pebble API error: HTTP status, optional kind, message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: u16,
    pub kind: Option<String>,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            kind: None,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 404,
            kind: Some("not-found".into()),
            message: message.into(),
        }
    }

    pub fn server(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 500,
            kind: None,
            message: message.into(),
        }
    }

    pub fn kind(mut self, kind: &str) -> ApiError {
        self.kind = Some(kind.into());
        self
    }
}

/// Why a wait ended without the change being ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError {
    Api(ApiError),
    Timeout(String),
}
