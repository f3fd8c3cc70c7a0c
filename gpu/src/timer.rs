//! A limit on how long a browser's WebGPU is waited for. Natively wgpu's `poll` takes a
//! timeout; a browser's WebGPU only ever calls back, so there the read-back is raced against
//! a timer (`setTimeout`: pages, workers and Node alike).

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// `future`'s output, or `None` if `limit` passed first (the future is dropped then).
pub(crate) async fn within<T>(limit: Duration, future: impl Future<Output = T>) -> Option<T> {
    // setTimeout takes at most 2^31 - 1 ms (about 25 days); more means "at once".
    let ms = (limit.as_secs_f64() * 1e3).min(f64::from(i32::MAX));
    let mut id = JsValue::UNDEFINED;
    let fired = JsFuture::from(Promise::new(&mut |resolve, _reject| {
        id = set_timeout(&resolve, ms);
    }));
    let _cleared = Clear(id);
    let (mut future, mut fired) = (pin!(future), pin!(fired));
    poll_fn(|cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        fired.as_mut().poll(cx).map(|_| None)
    })
    .await
}

/// Clears its timer when dropped, so that a read-back which came back in time leaves none.
struct Clear(JsValue);

impl Drop for Clear {
    fn drop(&mut self) {
        clear_timeout(&self.0);
    }
}
