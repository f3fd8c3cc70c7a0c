//! tastebud for JavaScript: the [`Personalizer`] class of the npm package, a thin layer over
//! [`tastebud::Personalizer`]. It reads what pages pass in ([`input`]), turns core errors into
//! coded JavaScript `Error`s ([`error`]) and fetches models; everything else is the core's.
//!
//! No export panics on any input: a panic would poison the instance for the page's lifetime.

mod error;
mod input;
mod model;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

pub use error::{Error, Result};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

#[wasm_bindgen]
extern "C" {
    /// `CreateOptions` in TypeScript (optional arguments need a named type).
    #[wasm_bindgen(typescript_type = "CreateOptions")]
    pub type CreateOptionsArg;
    /// `ImportOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "ImportOptions")]
    pub type ImportOptionsArg;
    /// `RankOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "RankOptions")]
    pub type RankOptionsArg;
}

/// A shopper's profile with the model that ranks for them, all on the device.
#[wasm_bindgen]
pub struct Personalizer {
    inner: tastebud::Personalizer,
    /// Tracking paused by the shopper: events are dropped until resumed.
    paused: bool,
}

impl Personalizer {
    /// A promise of a personalizer on the model `model` names and the `saved` profile, its
    /// configuration replaced by `config` when one is given, or an empty profile configured
    /// by `config`. A model at hand (the default, or bytes) is loaded at once rather than in a
    /// task on wasm-bindgen-futures' queue, whose code would be compiled on first use: most
    /// pages' cold start. Only a URL or a `Response` waits for the fetch.
    fn start(model: JsValue, saved: Option<Vec<u8>>, config: JsValue) -> Result<Promise> {
        console_error_panic_hook::set_once();
        let profile = match saved {
            None => tastebud::Profile::new(input::profile_config(config)?)?,
            Some(bytes) => {
                let mut profile = tastebud::Profile::from_bytes(&bytes)?;
                if !config.is_undefined() {
                    profile.set_config(input::profile_config(config)?)?;
                }
                profile
            }
        };
        let personalizer = |model| {
            JsValue::from(Personalizer {
                inner: tastebud::Personalizer::new(model, profile),
                paused: false,
            })
        };
        Ok(match model::at_hand(&model)? {
            Some(model) => Promise::resolve(&personalizer(model)),
            None => wasm_bindgen_futures::future_to_promise(async move {
                Ok(personalizer(model::fetched(model).await?))
            }),
        })
    }

    /// What `rank` returns for candidates read from JavaScript.
    fn rank_items(
        &mut self,
        candidates: Vec<tastebud::Item>,
        options: Option<RankOptionsArg>,
    ) -> Result<JsValue> {
        let options = input::rank_options(options.map_or(JsValue::UNDEFINED, Into::into))?;
        input::to_js(&self.inner.rank(&candidates, &options, now())?)
    }
}

/// `result` as a promise: the promise itself, or one rejected with the error, so that bad
/// arguments reject as a failed fetch does rather than throw.
fn promised(result: Result<Promise>) -> Promise {
    result.unwrap_or_else(|e| Promise::reject(&e.into()))
}

#[wasm_bindgen]
impl Personalizer {
    /// A personalizer with the embedded default model, or the model in `options.model`
    /// (bytes, a URL, or a `Response`), starting from the saved profile `options.profile`
    /// (bytes from `export()`) or an empty one configured by `options.config`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Personalizer>")]
    pub fn create(options: Option<CreateOptionsArg>) -> Promise {
        promised((|| {
            let options = input::CreateOptions::read(options.map(Into::into))?;
            let saved = if options.profile.is_undefined() {
                None
            } else {
                Some(input::bytes(&options.profile, "profile", Error::profile)?)
            };
            Personalizer::start(options.model, saved, options.config)
        })())
    }

    /// A personalizer restored from bytes written by `export()`, with the default model or
    /// the one in `options.model`.
    #[wasm_bindgen(js_name = import, unchecked_return_type = "Promise<Personalizer>")]
    pub fn import_profile(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
        options: Option<ImportOptionsArg>,
    ) -> Promise {
        promised((|| {
            let options = input::CreateOptions::read(options.map(Into::into))?;
            if !options.profile.is_undefined() {
                return Err(Error::options(
                    "import takes the profile as its first argument, not as options.profile".into(),
                ));
            }
            let saved = input::bytes(&bytes, "profile", Error::profile)?;
            Personalizer::start(options.model, Some(saved), options.config)
        })())
    }

    /// Records what the shopper did, unless tracking is paused; returns whether it did.
    /// Invalid events throw and change nothing.
    pub fn record(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "TastebudEvent")] event: JsValue,
    ) -> Result<bool> {
        if self.paused {
            return Ok(false);
        }
        let event = input::event(event, js_sys::Date::now())?;
        Ok(self.inner.record(event)?)
    }

    /// Stops tracking: `record` drops every event until `resume`.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Starts tracking again after `pause`.
    pub fn resume(&mut self) {
        self.paused = false;
    }

    /// Whether tracking is paused.
    #[wasm_bindgen(getter)]
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Orders `candidates` for this shopper, best first, with reasons. (The package's
    /// JavaScript wraps it: a list ranked again unchanged goes through a catalog.)
    #[wasm_bindgen(unchecked_return_type = "Ranked[]")]
    pub fn rank(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Item[]")] candidates: JsValue,
        options: Option<RankOptionsArg>,
    ) -> Result<JsValue> {
        self.rank_items(input::items(candidates)?, options)
    }

    /// `rank` of `candidates` packed by the package's JavaScript (see [`input::packed_items`]),
    /// read through JSON when they did not pack: the way the first ranking of a list spends
    /// least before the model sees it.
    #[wasm_bindgen(js_name = rankPacked, skip_typescript)]
    pub fn rank_packed(
        &mut self,
        candidates: JsValue,
        text: js_sys::JsString,
        prices: &[f64],
        tag_counts: &[u32],
        options: Option<RankOptionsArg>,
    ) -> Result<JsValue> {
        let candidates = match input::packed_items(&text, prices, tag_counts) {
            Some(items) => items,
            None => input::items(candidates)?,
        };
        self.rank_items(candidates, options)
    }

    /// Checks and encodes `items` once, for `rankCatalog` to rank them again and again (a
    /// storefront's grid after every tap) without reading them from JavaScript each time.
    pub fn catalog(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Item[]")] items: JsValue,
    ) -> Result<Catalog> {
        let items = input::items(items)?;
        Ok(Catalog {
            inner: self.inner.catalog(items)?,
        })
    }

    /// `rank` over a catalog from `catalog()`.
    #[wasm_bindgen(js_name = rankCatalog, unchecked_return_type = "Ranked[]")]
    pub fn rank_catalog(
        &mut self,
        catalog: &Catalog,
        options: Option<RankOptionsArg>,
    ) -> Result<JsValue> {
        let options = input::rank_options(options.map_or(JsValue::UNDEFINED, Into::into))?;
        input::to_js(&self.inner.rank_catalog(&catalog.inner, &options, now())?)
    }

    /// What the profile knows, in brief: top interests, price band, activity, intent.
    #[wasm_bindgen(unchecked_return_type = "ProfileSummary")]
    pub fn profile(&self) -> Result<JsValue> {
        input::to_js(&self.inner.summary(now()))
    }

    /// Why an item stands where it does: its place in the last ranking and what the profile
    /// remembers about it.
    #[wasm_bindgen(unchecked_return_type = "Explanation")]
    pub fn explain(
        &self,
        #[wasm_bindgen(js_name = itemId, unchecked_param_type = "string")] item_id: JsValue,
    ) -> Result<JsValue> {
        let id = input::item_id(&item_id)?;
        input::to_js(&self.inner.explain(&id, now()))
    }

    /// Removes every trace of an item; returns whether the profile held anything about it.
    pub fn forget(
        &mut self,
        #[wasm_bindgen(js_name = itemId, unchecked_param_type = "string")] item_id: JsValue,
    ) -> Result<bool> {
        let id = input::item_id(&item_id)?;
        Ok(self.inner.forget(&id))
    }

    /// Forgets everything the shopper did.
    pub fn clear(&mut self) {
        self.inner.clear();
    }

    /// Replaces the profile with one saved by `export()` (another tab's, say), keeping the
    /// model; bytes that are not a profile throw and change nothing.
    pub fn restore(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<()> {
        let bytes = input::bytes(&bytes, "profile", Error::profile)?;
        Ok(self.inner.restore(&bytes)?)
    }

    /// The profile as compact, versioned, checksummed bytes, for the page to store.
    #[wasm_bindgen(js_name = export)]
    pub fn export_profile(&self) -> Vec<u8> {
        self.inner.profile().to_bytes()
    }

    /// Everything the profile stores, as readable JSON text, to show the shopper.
    #[wasm_bindgen(js_name = exportJson)]
    pub fn export_json(&self) -> String {
        self.inner.profile().to_json()
    }
}

/// Candidates checked and encoded once by `Personalizer.catalog`.
#[wasm_bindgen]
pub struct Catalog {
    inner: tastebud::Catalog,
}

#[wasm_bindgen]
impl Catalog {
    /// Number of items.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.items().len()
    }
}

fn now() -> i64 {
    js_sys::Date::now() as i64
}
