//! Errors as JavaScript sees them: an `Error` named `TastebudError` whose `code` is the core's
//! stable [`tastebud::Error::code`], so pages can branch on it.

use wasm_bindgen::{JsCast, JsValue};

/// A core error on its way to JavaScript (a newtype: the orphan rule keeps `JsValue`
/// conversions out of the core).
#[derive(Debug)]
pub struct Error(pub tastebud::Error);

/// The bindings' result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<tastebud::Error> for Error {
    fn from(e: tastebud::Error) -> Self {
        Error(e)
    }
}

impl From<Error> for JsValue {
    fn from(Error(e): Error) -> Self {
        let error = js_sys::Error::new(&e.to_string());
        error.set_name("TastebudError");
        // Setting a property on a fresh `Error` cannot fail.
        let _ = js_sys::Reflect::set(&error, &"code".into(), &e.code().into());
        error.unchecked_into()
    }
}

/// Shorthands for the errors the boundary itself finds, before the core sees the input.
impl Error {
    pub(crate) fn event(msg: String) -> Self {
        Error(tastebud::Error::InvalidEvent(msg))
    }

    pub(crate) fn item(msg: String) -> Self {
        Error(tastebud::Error::InvalidItem(msg))
    }

    pub(crate) fn options(msg: String) -> Self {
        Error(tastebud::Error::InvalidOptions(msg))
    }

    pub(crate) fn model(msg: String) -> Self {
        Error(tastebud::Error::BadModel(msg))
    }

    pub(crate) fn profile(msg: String) -> Self {
        Error(tastebud::Error::CorruptProfile(msg))
    }
}
