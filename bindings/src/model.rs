//! Which model a personalizer runs: the default one embedded in the `.wasm`, or bytes the page
//! has (the package's JavaScript fetches a URL or reads a `Response` into bytes first).

use std::cell::OnceCell;

use tastebud::Model;

use crate::error::{Error, Result};

/// The model trained on Online Retail by `make model`.
#[cfg(feature = "default-model")]
const DEFAULT_MODEL: Option<&[u8]> = Some(include_bytes!("../../model/model.safetensors"));
#[cfg(not(feature = "default-model"))]
const DEFAULT_MODEL: Option<&[u8]> = None;

thread_local! {
    /// The default model, read once per instance of the module: every personalizer shares its
    /// weights (a clone of a `Model` copies none), where reading and checking the 1 MB again
    /// took 2 ms of every `create` and `import`.
    static DEFAULT: OnceCell<Model> = const { OnceCell::new() };
}

/// The model in `bytes`, or the default one.
pub fn load(bytes: Option<&[u8]>) -> Result<Model> {
    if let Some(bytes) = bytes {
        return Ok(Model::from_bytes(bytes)?);
    }
    DEFAULT.with(|default| {
        if let Some(model) = default.get() {
            return Ok(model.clone());
        }
        let bytes = DEFAULT_MODEL.ok_or_else(|| {
            Error(tastebud::Error::BadModel(
                "this build embeds no default model; pass one".into(),
            ))
        })?;
        let model = Model::from_bytes(bytes)?;
        Ok(default.get_or_init(|| model).clone())
    })
}
