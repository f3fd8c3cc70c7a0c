//! The core's error type. Every variant has a stable [`Error::code`] that the bindings pass to
//! JavaScript, so pages can branch on it.

/// What went wrong in the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An item is malformed (empty id, bad price…).
    #[error("invalid item: {0}")]
    InvalidItem(String),
    /// An event is malformed (unknown type, missing query…).
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// Ranking or profile options are out of range.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// Model bytes are not a tastebud model of a version this build reads.
    #[error("bad model: {0}")]
    BadModel(String),
    /// Profile bytes are truncated, corrupt, or not a tastebud profile.
    #[error("corrupt profile: {0}")]
    CorruptProfile(String),
    /// A tensor computation failed (a bug, or a model whose shapes do not fit its config).
    #[error("model computation failed: {0}")]
    Tensor(String),
    /// A bug in tastebud; nothing was changed.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Candle's error as text: it only arises in training, and a variant holding candle's own
/// type would link all of candle's error formatting into the page's `.wasm`.
impl From<candle_core::Error> for Error {
    fn from(e: candle_core::Error) -> Self {
        Error::Tensor(e.to_string())
    }
}

impl Error {
    /// A short, stable identifier of the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidItem(_) => "invalid_item",
            Error::InvalidEvent(_) => "invalid_event",
            Error::InvalidOptions(_) => "invalid_options",
            Error::BadModel(_) => "bad_model",
            Error::CorruptProfile(_) => "corrupt_profile",
            Error::Tensor(_) | Error::Internal(_) => "internal",
        }
    }
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
