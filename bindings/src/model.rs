//! Where a model comes from: the default one embedded in the `.wasm`, bytes the page has, or a
//! URL or `Response` fetched with the platform's own `fetch`.

use js_sys::{Function, Promise, Reflect};
use tastebud::Model;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Response, Url};

use crate::error::{Error, Result};
use crate::input::{self, describe};

/// The model trained on Online Retail by `make model`.
#[cfg(feature = "default-model")]
const DEFAULT_MODEL: Option<&[u8]> = Some(include_bytes!("../../model/model.safetensors"));
#[cfg(not(feature = "default-model"))]
const DEFAULT_MODEL: Option<&[u8]> = None;

/// The model `source` names when it is at hand: the default for `undefined`, or bytes; `None`
/// for a URL (string or `URL`) or a `Response`, which [`fetched`] reads.
pub fn at_hand(source: &JsValue) -> Result<Option<Model>> {
    if source.is_undefined() || source.is_null() {
        let bytes = DEFAULT_MODEL
            .ok_or_else(|| Error::model("this build embeds no default model; pass one".into()))?;
        return Ok(Some(Model::from_bytes(bytes)?));
    }
    if source.is_instance_of::<Response>() || source.is_string() || source.is_instance_of::<Url>() {
        return Ok(None);
    }
    let bytes = input::bytes(source, "model", Error::model)
        .map_err(|_| Error::model("model must be bytes, a URL or a Response".into()))?;
    Ok(Some(Model::from_bytes(&bytes)?))
}

/// The model at the URL or in the `Response` `source`.
pub async fn fetched(source: JsValue) -> Result<Model> {
    let bytes = if let Some(response) = source.dyn_ref::<Response>() {
        read(response, &response.url()).await?
    } else {
        let url = source
            .as_string()
            .or_else(|| source.dyn_ref::<Url>().map(Url::href))
            .ok_or_else(|| Error::model("model must be bytes, a URL or a Response".into()))?;
        let response = fetch(&url).await?;
        read(&response, &url).await?
    };
    Ok(Model::from_bytes(&bytes)?)
}

/// Fetches `url` with the global `fetch` of whatever runtime this is (window, worker, Node).
async fn fetch(url: &str) -> Result<Response> {
    let failed = |e: JsValue| {
        Error::model(format!(
            "could not fetch the model at {url}: {}",
            describe(&e)
        ))
    };
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| Error::model("this runtime has no fetch; pass the model's bytes".into()))?;
    let promise: Promise = fetch
        .call1(&global, &url.into())
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    JsFuture::from(promise)
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)
}

async fn read(response: &Response, url: &str) -> Result<Vec<u8>> {
    if !response.ok() {
        return Err(Error::model(format!(
            "fetching the model at {url} answered {} {}",
            response.status(),
            response.status_text()
        )));
    }
    let failed = |e: JsValue| {
        Error::model(format!(
            "could not read the model at {url}: {}",
            describe(&e)
        ))
    };
    let buffer = JsFuture::from(response.array_buffer().map_err(failed)?)
        .await
        .map_err(failed)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
