//! Which model a personalizer runs: the default one embedded in the `.wasm`, or bytes the page
//! has (the package's JavaScript fetches a URL or reads a `Response` into bytes first).

use tastebud::Model;

use crate::error::{Error, Result};

/// The model trained on Online Retail by `make model`.
#[cfg(feature = "default-model")]
const DEFAULT_MODEL: Option<&[u8]> = Some(include_bytes!("../../model/model.safetensors"));
#[cfg(not(feature = "default-model"))]
const DEFAULT_MODEL: Option<&[u8]> = None;

/// The model in `bytes`, or the default one.
pub fn load(bytes: Option<&[u8]>) -> Result<Model> {
    let bytes = bytes.or(DEFAULT_MODEL).ok_or_else(|| {
        Error(tastebud::Error::BadModel(
            "this build embeds no default model; pass one".into(),
        ))
    })?;
    Ok(Model::from_bytes(bytes)?)
}
