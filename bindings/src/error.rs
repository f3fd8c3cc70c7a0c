//! Errors as JavaScript sees them: an `Error` named `TastebudError` whose `code` is one of
//! [`CODES`]: the core's stable [`tastebud::Error::code`]s and the codes only the boundary
//! raises. The TypeScript `ErrorCode` and `TastebudError` are generated from the same list, so
//! the types and the Rust cannot drift.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

/// Defines [`CODES`] and the TypeScript `ErrorCode` union from one list of codes, each with the
/// doc comment it gets in TypeScript.
macro_rules! error_codes {
    ($($code:literal: $doc:literal,)*) => {
        /// Every `code` a `TastebudError` carries, whether Rust or the package's JavaScript
        /// threw it.
        pub const CODES: &[&str] = &[$($code),*];

        #[wasm_bindgen(typescript_custom_section)]
        const ERROR_TYPES: &str = concat!(
            "/** The stable codes of `TastebudError`. */\nexport type ErrorCode =",
            $("\n  /** ", $doc, " */\n  | \"", $code, "\"",)*
            ";\n\n/** Every error tastebud throws: a JavaScript `Error` named `TastebudError` with \
             a stable `code`. */\nexport interface TastebudError extends Error {\n  \
             name: \"TastebudError\";\n  code: ErrorCode;\n}\n",
        );
    };
}

error_codes! {
    "invalid_item": "An item, candidate list or item id is malformed or cannot be read (over 100,000 candidates or 16 MiB of text in one call included).",
    "invalid_event": "An event is malformed or cannot be read.",
    "invalid_options": "Options (ranking, profile configuration, create, observe, open) are malformed, out of range, or cannot be read; or a catalog from another personalizer.",
    "bad_model": "The model is not a tastebud model this build reads, or could not be fetched.",
    "corrupt_profile": "Profile bytes are truncated, corrupt, not a profile, or cannot be read.",
    "freed": "The personalizer or catalog was freed (`free()` or `using`), or the method was called on something that is not one.",
    "busy": "A call on a personalizer, or on the catalog it is ranking, while its `rankCatalogAsync` is pending (`tastebud/gpu`); nothing was changed: call again once the promise settles.",
    "unsupported": "`open`, `observe` or `live` outside a page (no IndexedDB or localStorage, no DOM).",
    "internal": "A bug in tastebud; nothing was changed.",
}

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
    pub(crate) fn item(msg: String) -> Self {
        Error(tastebud::Error::InvalidItem(msg))
    }
}
