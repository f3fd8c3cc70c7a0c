//! Moving bytes across the boundary: text the package's JavaScript has already read from the
//! page's values (JSON, packed candidates) into this module's memory, and results back. The
//! JavaScript layer reads every page value before a call comes in, so nothing here can throw
//! while the instance is borrowed; parsing is the core's ([`tastebud::wire`]).

use js_sys::{JsString, Uint8Array, JSON};
use tastebud::wire::MAX_CALL_BYTES;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Error, Result};

#[wasm_bindgen]
extern "C" {
    /// The platform's `TextEncoder` (browsers, Node, Deno, workers all have it).
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, input: &JsString, dest: &Uint8Array) -> EncodedInto;

    /// What `encodeInto` did.
    type EncodedInto;
    #[wasm_bindgen(method, getter)]
    fn read(this: &EncodedInto) -> u32;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodedInto) -> usize;
}

/// `text` as UTF-8, by `TextEncoder.encodeInto` straight into this module's memory:
/// wasm-bindgen's own string passing loops over the characters in JavaScript, and `encode`
/// would leave a copy of every candidate list for the garbage collector. Text over
/// [`MAX_CALL_BYTES`] is refused (the JavaScript layer refuses it before calling, so that
/// memory does not grow; this is the backstop). `what` names it in the error.
pub fn utf8(text: &JsString, what: &str, error: fn(String) -> Error) -> Result<Vec<u8>> {
    let units = text.length();
    let over = || {
        error(format!(
            "{what}: over {MAX_CALL_BYTES} bytes of text in one call"
        ))
    };
    if units as usize > MAX_CALL_BYTES {
        return Err(over());
    }
    // UTF-8 takes at most three bytes per UTF-16 unit.
    let mut bytes = Vec::<u8>::with_capacity((units as usize * 3).min(MAX_CALL_BYTES));
    // SAFETY: the view covers exactly the vector's allocation, and nothing allocates (so the
    // memory cannot grow and detach it) until `encodeInto` has returned; `set_len` then keeps
    // only the bytes it wrote.
    let read = unsafe {
        let view = Uint8Array::view_mut_raw(bytes.as_mut_ptr(), bytes.capacity());
        let done = TextEncoder::new().encode_into(text, &view);
        bytes.set_len(done.written().min(bytes.capacity()));
        done.read()
    };
    if read < units {
        return Err(over());
    }
    Ok(bytes)
}

/// A result back to JavaScript: plain objects, arrays, strings and numbers, through JSON, which
/// the engine parses faster than objects built field by field.
pub fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue> {
    let internal = |e: String| Error(tastebud::Error::Internal(e));
    let json = serde_json::to_string(value).map_err(|e| internal(e.to_string()))?;
    JSON::parse(&json).map_err(|e| {
        internal(
            e.dyn_ref::<js_sys::Error>()
                .map_or_else(|| format!("{e:?}"), |e| String::from(e.message())),
        )
    })
}
