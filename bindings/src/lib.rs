//! tastebud for JavaScript: the [`Personalizer`] class of the npm package, a thin layer over
//! [`tastebud::Personalizer`]. It moves bytes in ([`input`]) and turns core errors into coded
//! JavaScript `Error`s ([`error`]); parsing is the core's ([`tastebud::wire`]).
//!
//! Every export takes plain data the package's JavaScript has already read from the page's
//! values (JSON text, packed candidates, fresh bytes): a JavaScript exception raised while an
//! export holds wasm-bindgen's borrow of the instance would leave it borrowed for good, so no
//! page value is touched here. No export panics on any input either: a panic would poison the
//! instance for the page's lifetime.

mod error;
#[cfg(feature = "gpu")]
mod gpu;
mod input;
mod model;

use js_sys::JsString;
use tastebud::wire;
use wasm_bindgen::prelude::*;

pub use error::{Error, Result, CODES};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// A shopper's profile with the model that ranks for them, all on the device. The package's
/// JavaScript (`extend.js`) wraps every method: it reads the page's values into the plain
/// arguments these take, so the types below are those of the wrapped methods.
#[wasm_bindgen]
pub struct Personalizer {
    inner: tastebud::Personalizer,
    /// Where `rankCatalogAsync` scores: made by its first call (`None` until then).
    #[cfg(feature = "gpu")]
    scorer: Option<tastebud_gpu::Scorer>,
    /// How long `rankCatalogAsync` waits for the GPU (`setGpuTimeout`).
    #[cfg(feature = "gpu")]
    gpu_timeout: std::time::Duration,
}

#[wasm_bindgen]
impl Personalizer {
    /// A personalizer on the model in `model` (the embedded default when absent) and the saved
    /// profile `profile`, its configuration replaced by `config` (JSON) when one is given, or
    /// an empty profile configured by `config`. The package's `create` and `import` read their
    /// arguments and fetch the model, then call this.
    #[wasm_bindgen(skip_typescript)]
    pub fn start(
        model: Option<Vec<u8>>,
        profile: Option<Vec<u8>>,
        config: Option<String>,
    ) -> Result<Personalizer> {
        console_error_panic_hook::set_once();
        let config = config
            .map(|c| wire::profile_config_from_json(c.as_bytes()))
            .transpose()?;
        let profile = match profile {
            None => tastebud::Profile::new(config.unwrap_or_default())?,
            Some(bytes) => {
                let mut profile = tastebud::Profile::from_bytes(&bytes)?;
                if let Some(config) = config {
                    profile.set_config(config)?;
                }
                profile
            }
        };
        Ok(Personalizer {
            inner: tastebud::Personalizer::new(model::load(model.as_deref())?, profile),
            #[cfg(feature = "gpu")]
            scorer: None,
            #[cfg(feature = "gpu")]
            gpu_timeout: tastebud_gpu::TIMEOUT,
        })
    }

    /// Records what the shopper did, unless tracking is paused; returns whether it did.
    /// Invalid events throw and change nothing.
    pub fn record(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "TastebudEvent")] event: String,
    ) -> Result<bool> {
        let event = wire::event_from_json(event.as_bytes(), js_sys::Date::now())?;
        Ok(self.inner.record(event)?)
    }

    /// Stops tracking: `record` drops every event until `resume`.
    pub fn pause(&mut self) {
        self.inner.pause();
    }

    /// Starts tracking again after `pause`.
    pub fn resume(&mut self) {
        self.inner.resume();
    }

    /// Whether tracking is paused.
    #[wasm_bindgen(getter)]
    pub fn paused(&self) -> bool {
        self.inner.paused()
    }

    /// Orders `candidates` for this shopper, best first, with reasons. (A list ranked again
    /// unchanged goes through a catalog; one of plain shape crosses packed.)
    #[wasm_bindgen(unchecked_return_type = "Ranked[]")]
    pub fn rank(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Item[]")] candidates: JsString,
        #[wasm_bindgen(unchecked_optional_param_type = "RankOptions")] options: Option<String>,
    ) -> Result<JsValue> {
        let json = input::utf8(&candidates, "candidates", Error::item)?;
        self.rank_items(wire::items_from_json(&json)?, options)
    }

    /// `rank` of candidates packed by the package's JavaScript (see [`wire::packed_items`]);
    /// `undefined` when they did not pack, for the JavaScript to send them as JSON: the way
    /// the first ranking of a list spends least before the model sees it.
    #[wasm_bindgen(js_name = rankPacked, skip_typescript)]
    pub fn rank_packed(
        &mut self,
        text: JsString,
        prices: &[f64],
        tag_counts: &[u32],
        options: Option<String>,
    ) -> Result<Option<JsValue>> {
        let bytes = input::utf8(&text, "candidates", Error::item)?;
        match std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| wire::packed_items(text, prices, tag_counts))
        {
            Some(items) => self.rank_items(items, options).map(Some),
            None => Ok(None),
        }
    }

    /// Checks and encodes `items` once, for `rankCatalog` to rank them again and again (a
    /// storefront's grid after every tap) without reading them from JavaScript each time.
    pub fn catalog(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Item[]")] items: JsString,
    ) -> Result<Catalog> {
        let json = input::utf8(&items, "candidates", Error::item)?;
        Ok(Catalog {
            inner: self.inner.catalog(wire::items_from_json(&json)?)?,
            #[cfg(feature = "gpu")]
            on_gpu: tastebud_gpu::GpuSlot::default(),
        })
    }

    /// `rank` over a catalog from `catalog()`.
    #[wasm_bindgen(js_name = rankCatalog, unchecked_return_type = "Ranked[]")]
    pub fn rank_catalog(
        &mut self,
        catalog: &Catalog,
        #[wasm_bindgen(unchecked_optional_param_type = "RankOptions")] options: Option<String>,
    ) -> Result<JsValue> {
        let options = rank_options(options)?;
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
    pub fn explain(&self, #[wasm_bindgen(js_name = itemId)] item_id: String) -> Result<JsValue> {
        let id = wire::item_id(&item_id)?;
        input::to_js(&self.inner.explain(id, now()))
    }

    /// Removes every trace of an item; returns whether the profile held anything about it.
    pub fn forget(&mut self, #[wasm_bindgen(js_name = itemId)] item_id: String) -> Result<bool> {
        Ok(self.inner.forget(wire::item_id(&item_id)?))
    }

    /// Forgets everything the shopper did.
    pub fn clear(&mut self) {
        self.inner.clear();
    }

    /// Replaces the profile with one saved by `export()` (another tab's, say), keeping the
    /// model; bytes that are not a profile throw and change nothing.
    pub fn restore(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes: Vec<u8>,
    ) -> Result<()> {
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

    /// The shopper's token for an edge worker at `epsilon`, noised from the device's secret
    /// `key` (32 random bytes the package's JavaScript keeps with the profile): the package's
    /// `token({ epsilon })` reads its options, then calls this.
    #[wasm_bindgen(js_name = tokenAt, skip_typescript)]
    pub fn token_at(&mut self, epsilon: f64, key: &[u8]) -> Result<String> {
        let key: &[u8; 32] = key.try_into().map_err(|_| {
            Error(tastebud::Error::InvalidOptions(
                "the token key must be 32 bytes".into(),
            ))
        })?;
        Ok(self.inner.token(epsilon, now(), key)?)
    }
}

/// What an edge worker keeps: the default model's ranker, and nothing of any shopper. The
/// package's `tastebud/edge` makes one per module instance.
#[wasm_bindgen(skip_typescript)]
pub struct Edge {
    ranker: tastebud::Ranker,
}

#[wasm_bindgen]
impl Edge {
    /// An edge on the model in `model` (the embedded default when absent).
    pub fn start(model: Option<Vec<u8>>) -> Result<Edge> {
        console_error_panic_hook::set_once();
        Ok(Edge {
            ranker: tastebud::Ranker::new(model::load(model.as_deref())?),
        })
    }

    /// The re-ranking of `candidates` (JSON, or packed as for `rankPacked` when `prices` is
    /// given) for the shopper of `token`: their places in the list, best first (a
    /// `Uint32Array`), or the reason the token was not used (a string). Token problems are
    /// reasons, not errors; invalid candidates or options throw, and the package's JavaScript
    /// keeps the server's order.
    #[wasm_bindgen(unchecked_return_type = "Uint32Array | string")]
    pub fn rerank(
        &mut self,
        candidates: JsString,
        prices: Option<Vec<f64>>,
        tag_counts: Option<Vec<u32>>,
        token: String,
        max_age_ms: f64,
        options: Option<String>,
    ) -> Result<JsValue> {
        let options = rank_options(options)?;
        let bytes = input::utf8(&candidates, "candidates", Error::item)?;
        let items = match (prices, tag_counts) {
            (Some(prices), Some(counts)) => std::str::from_utf8(&bytes)
                .ok()
                .and_then(|text| wire::packed_items(text, &prices, &counts))
                .ok_or_else(|| Error::item("candidates did not unpack".into()))?,
            _ => wire::items_from_json(&bytes)?,
        };
        let model = self.ranker.model();
        let (tag, dim) = (model.token_tag(), model.config.dim);
        Ok(
            match tastebud::Token::decode(&token, tag, dim, now(), max_age_ms as i64) {
                Ok(token) if token.intent.is_none() && token.taste.is_none() => {
                    "token_empty".into()
                }
                Ok(token) => {
                    let order = self.ranker.rerank(&token, &items, &options)?;
                    // Places fit in 32 bits: a call holds at most MAX_CANDIDATES items.
                    let order: Vec<u32> = order.into_iter().map(|at| at as u32).collect();
                    js_sys::Uint32Array::from(&order[..]).into()
                }
                Err(rejected) => rejected.code().into(),
            },
        )
    }
}

impl Personalizer {
    /// What `rank` returns for candidates read.
    fn rank_items(
        &mut self,
        candidates: Vec<tastebud::Item>,
        options: Option<String>,
    ) -> Result<JsValue> {
        let options = rank_options(options)?;
        input::to_js(&self.inner.rank(&candidates, &options, now())?)
    }
}

/// Ranking options from their JSON; absent means the defaults.
fn rank_options(json: Option<String>) -> Result<tastebud::RankOptions> {
    Ok(json
        .map(|o| wire::rank_options_from_json(o.as_bytes()))
        .transpose()?
        .unwrap_or_default())
}

/// Candidates checked and encoded once by `Personalizer.catalog`.
#[wasm_bindgen]
pub struct Catalog {
    inner: tastebud::Catalog,
    /// Its vectors on the GPU, from its first ranking there by `rankCatalogAsync`.
    #[cfg(feature = "gpu")]
    on_gpu: tastebud_gpu::GpuSlot,
}

#[wasm_bindgen]
impl Catalog {
    /// Number of items.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.items().len()
    }
}

/// The limits the package's JavaScript checks before copying anything in: `[most candidates,
/// most bytes of text, longest item id]` per call ([`wire::MAX_CANDIDATES`],
/// [`wire::MAX_CALL_BYTES`], [`tastebud::item::MAX_ID_BYTES`]).
#[wasm_bindgen(js_name = wireLimits, skip_typescript)]
pub fn wire_limits() -> Vec<u32> {
    [
        wire::MAX_CANDIDATES,
        wire::MAX_CALL_BYTES,
        tastebud::item::MAX_ID_BYTES,
    ]
    .map(|n| n as u32)
    .to_vec()
}

/// An item's fields as a page names them ([`tastebud::item::ITEM_FIELDS`]): what the package's
/// JavaScript copies of a page's product objects, in the order it packs them.
#[wasm_bindgen(js_name = itemFields, skip_typescript)]
pub fn item_fields() -> Vec<String> {
    tastebud::item::ITEM_FIELDS.map(String::from).to_vec()
}

fn now() -> i64 {
    js_sys::Date::now() as i64
}
