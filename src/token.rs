//! The profile token: what an edge worker needs to re-rank a server's results for a shopper,
//! made on the device, without naming an item or an event.
//!
//! It carries two directions in the model's item space, the shopper's current intent (the user
//! encoder's output with the trained sequence evidence folded in) and long-term taste, each
//! quantized to one signed byte per dimension, behind a small header and a CRC-32:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version ([`TOKEN_VERSION`]) |
//! | 1 | which vectors follow: bit 0 intent, bit 1 taste |
//! | 1 | ε × 4 (0 for no noise) |
//! | 2 | the model's tag (from its file's checksum): a token is read only by its own model |
//! | 4 | minutes since the epoch when it was made |
//! | dim each | the vectors, as `i8` |
//! | 4 | CRC-32 of everything before it |
//!
//! written as unpadded base64url: 188 characters for the default model's 64 dimensions.
//!
//! **Noise.** With a finite ε each vector goes through PrivUnit₂ (Bhowmick, Duchi, Freudiger,
//! Kapoor, Rogers, "Protection Against Reconstruction and Its Applications in Private
//! Federated Learning", 2018): its direction `u` is replaced by a random unit vector drawn,
//! with probability `p`, uniformly from the cap `{v : v·u ≥ γ}` and otherwise uniformly from
//! the rest of the sphere. Any output is then at most `p/(1−p) · (1−q)/q` times likelier for
//! one shopper than for another (`q`, the cap's share of the sphere), which is `e^ε` for the
//! `γ` and `p` chosen here: the token is ε-locally differentially private as a whole (ε is split
//! evenly between the vectors it carries, by composition). Quantizing happens after the noise.
//! Not hidden: whether the shopper has a history at all (which vectors are present), when the
//! token was made, to the minute, and ε itself.
//!
//! **The same answer for the same profile.** The noise is drawn from a ChaCha stream keyed by a
//! secret the device keeps (the `key` of [`Token::issue`]) and chosen by the vectors noised: a
//! profile whose intent and taste have not changed gets the same noise every time, on every page
//! load, so that asking again reveals nothing more (averaging many tokens of one profile would
//! otherwise cancel the noise). Each change of the vectors spends ε once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

use crate::error::{Error, Result};

/// The token layout this build writes and reads.
pub const TOKEN_VERSION: u8 = 1;
/// Most characters of a token (what fits a cookie or a header with room to spare).
pub const MAX_TOKEN_CHARS: usize = 256;
/// Largest finite ε a token states (its header holds ε in quarters in one byte).
pub const MAX_EPSILON: f64 = 63.75;
/// How far ahead of the reader's clock a token may be dated (clocks differ).
const CLOCK_SKEW_MS: i64 = 5 * 60_000;
const HEADER: usize = 9;
const CHECKSUM: usize = 4;
/// Widest model whose tokens, with both vectors, fit [`MAX_TOKEN_CHARS`].
pub const MAX_TOKEN_DIM: usize = (MAX_TOKEN_CHARS * 3 / 4 - HEADER - CHECKSUM) / 2;
const INTENT: u8 = 1;
const TASTE: u8 = 2;

/// A shopper's token: directions in the model's item space, as read back from its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The ε it was made with (`None`: no noise).
    pub epsilon: Option<f64>,
    /// The tag of the model whose space the vectors are in.
    pub model: u16,
    /// When it was made, in minutes since the epoch.
    pub minute: u32,
    /// The current intent's direction, one value per dimension (in −127…127).
    pub intent: Option<Vec<f32>>,
    /// The long-term taste's direction, likewise.
    pub taste: Option<Vec<f32>>,
}

/// Why a token was not used. Its [`Rejected::code`] is what the edge reports, beside the
/// server's order left as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// No token came with the request.
    #[error("no token")]
    Missing,
    /// Longer than [`MAX_TOKEN_CHARS`].
    #[error("the token is longer than {MAX_TOKEN_CHARS} characters")]
    Oversized,
    /// Not unpadded base64url, or not as long as its header says.
    #[error("the token is not base64url of the length its header gives")]
    Malformed,
    /// Made by a tastebud whose token layout this build does not read.
    #[error("the token's format version is not {TOKEN_VERSION}")]
    Version,
    /// Its checksum does not match: damaged or altered on the way.
    #[error("the token's checksum does not match")]
    Checksum,
    /// Made with another model, whose vectors mean nothing to this one.
    #[error("the token was made with another model")]
    OtherModel,
    /// Older than the reader accepts, or dated in the future.
    #[error("the token has expired")]
    Expired,
}

impl Rejected {
    /// A short, stable identifier of the reason.
    pub fn code(&self) -> &'static str {
        match self {
            Rejected::Missing => "token_missing",
            Rejected::Oversized => "token_oversized",
            Rejected::Malformed => "token_malformed",
            Rejected::Version => "token_version",
            Rejected::Checksum => "token_checksum",
            Rejected::OtherModel => "token_other_model",
            Rejected::Expired => "token_expired",
        }
    }
}

/// The tag a model's tokens carry, from its file's checksum.
pub fn model_tag(checksum: u32) -> u16 {
    ((checksum >> 16) ^ (checksum & 0xffff)) as u16
}

/// Checks an ε for [`Token::issue`]: positive, at most [`MAX_EPSILON`] or infinite, and rounds
/// it down to the quarter the header can state (never more than asked).
pub fn epsilon(epsilon: f64) -> Result<Option<f64>> {
    if epsilon == f64::INFINITY {
        return Ok(None);
    }
    let quarters = (epsilon * 4.0).floor();
    if !(1.0..=MAX_EPSILON * 4.0).contains(&quarters) {
        return Err(Error::InvalidOptions(format!(
            "epsilon must be Infinity or between 0.25 and {MAX_EPSILON}, got {epsilon}"
        )));
    }
    Ok(Some(quarters / 4.0))
}

impl Token {
    /// A token of `intent` and `taste` (any lengths, all the model's width; a zero or absent
    /// vector is left out), noised for `epsilon` (see [`epsilon`]) from the device's secret
    /// `key`: the same vectors, ε and key give the same token (but for its minute).
    pub fn issue(
        intent: Option<&[f32]>,
        taste: Option<&[f32]>,
        epsilon: f64,
        model: u16,
        now_ms: i64,
        key: &[u8; 32],
    ) -> Result<Token> {
        let epsilon = self::epsilon(epsilon)?;
        let unit = |v: Option<&[f32]>| v.and_then(unit);
        let (intent, taste) = (unit(intent), unit(taste));
        // The stream is chosen by everything the answer depends on.
        let mut inputs = Vec::new();
        for v in intent.iter().chain(&taste) {
            inputs.extend(v.iter().flat_map(|x| x.to_le_bytes()));
            inputs.push(0x1f);
        }
        inputs.extend(epsilon.unwrap_or(f64::INFINITY).to_le_bytes());
        let mut stream = ChaCha12Rng::from_seed(*key);
        stream.set_stream(xxhash_rust::xxh64::xxh64(&inputs, 0));
        let rng = &mut stream;
        let vectors = intent.iter().chain(&taste).count().max(1);
        let mechanism = epsilon
            .zip(intent.as_ref().or(taste.as_ref()))
            .map(|(e, v)| PrivUnit::new(v.len(), e / vectors as f64));
        let mut noised = |u: Vec<f32>| {
            let v = match &mechanism {
                Some(m) => m.sample(&u, rng),
                None => u,
            };
            quantized(&v)
        };
        Ok(Token {
            epsilon,
            model,
            minute: (now_ms.max(0) / 60_000).min(u32::MAX as i64) as u32,
            intent: intent.map(&mut noised),
            taste: taste.map(&mut noised),
        })
    }

    /// The token as unpadded base64url.
    pub fn encode(&self) -> String {
        let flags =
            self.intent.as_ref().map_or(0, |_| INTENT) | self.taste.as_ref().map_or(0, |_| TASTE);
        let mut bytes = vec![
            TOKEN_VERSION,
            flags,
            self.epsilon.map_or(0, |e| (e * 4.0) as u8),
        ];
        bytes.extend(self.model.to_le_bytes());
        bytes.extend(self.minute.to_le_bytes());
        for v in self.intent.iter().chain(&self.taste) {
            bytes.extend(v.iter().map(|&x| x as i8 as u8));
        }
        let crc = crc32fast::hash(&bytes);
        bytes.extend(crc.to_le_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a token for the model tagged `model` of width `dim`, at `now_ms`, accepting it up
    /// to `max_age_ms` old. Never panics, whatever `text` holds.
    pub fn decode(
        text: &str,
        model: u16,
        dim: usize,
        now_ms: i64,
        max_age_ms: i64,
    ) -> Result<Token, Rejected> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Rejected::Missing);
        }
        if text.len() > MAX_TOKEN_CHARS {
            return Err(Rejected::Oversized);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| Rejected::Malformed)?;
        match bytes.first() {
            None => return Err(Rejected::Malformed),
            Some(&v) if v != TOKEN_VERSION => return Err(Rejected::Version),
            Some(_) => {}
        }
        let flags = *bytes.get(1).ok_or(Rejected::Malformed)?;
        if flags & !(INTENT | TASTE) != 0 {
            return Err(Rejected::Malformed);
        }
        let vectors = (flags & INTENT != 0) as usize + (flags & TASTE != 0) as usize;
        if bytes.len() != HEADER + vectors * dim + CHECKSUM {
            return Err(Rejected::Malformed);
        }
        let (body, crc) = bytes.split_at(bytes.len() - CHECKSUM);
        if crc32fast::hash(body).to_le_bytes() != crc {
            return Err(Rejected::Checksum);
        }
        if u16::from_le_bytes([body[3], body[4]]) != model {
            return Err(Rejected::OtherModel);
        }
        let minute = u32::from_le_bytes([body[5], body[6], body[7], body[8]]);
        let age_ms = now_ms.saturating_sub(i64::from(minute) * 60_000);
        if age_ms > max_age_ms || age_ms < -CLOCK_SKEW_MS {
            return Err(Rejected::Expired);
        }
        let mut rows = body[HEADER..]
            .chunks_exact(dim.max(1))
            .map(|row| row.iter().map(|&b| f32::from(b as i8)).collect());
        let mut next = |bit: u8| if flags & bit != 0 { rows.next() } else { None };
        let intent = next(INTENT);
        let taste = next(TASTE);
        Ok(Token {
            epsilon: (body[2] != 0).then(|| f64::from(body[2]) / 4.0),
            model,
            minute,
            intent,
            taste,
        })
    }
}

/// `v` scaled to length 1, unless it is zero or not finite.
fn unit(v: &[f32]) -> Option<Vec<f32>> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    (norm > 1e-12 && norm.is_finite()).then(|| v.iter().map(|x| x / norm).collect())
}

/// `v` as whole numbers in −127…127, its largest coordinate at ±127: a direction, which is all a
/// ranking reads of it (each term is standardised over the candidates).
fn quantized(v: &[f32]) -> Vec<f32> {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { 127.0 / max } else { 0.0 };
    v.iter()
        .map(|x| (x * scale).round().clamp(-127.0, 127.0))
        .collect()
}

/// Smallest share of the sphere a cap may have: below it the share's numerical integral is
/// no longer accurate to a fraction of a percent.
const MIN_CAP_SHARE: f64 = 1e-12;
/// Points of the numerical integration of the sphere's slice areas.
const GRID: usize = 8192;

/// PrivUnit₂ on the unit sphere of `dim` dimensions at one ε: the cap's threshold `gamma` and
/// the probability `p` of answering from it, chosen to make the answer's expected cosine with
/// the truth largest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrivUnit {
    dim: usize,
    /// The cap is `{v : v·u ≥ gamma}`.
    pub gamma: f64,
    /// Probability of answering from the cap.
    pub p: f64,
    /// The cap's share of the sphere.
    pub q: f64,
    /// The answer's expected cosine with the truth.
    pub expected_cosine: f64,
}

impl PrivUnit {
    /// The mechanism for `dim` dimensions (at least 2) at `epsilon` (> 0): `ln(p/(1−p)) +
    /// ln((1−q)/q) = epsilon` exactly, with `q` integrated numerically (`dim ≥ 3`) or in closed
    /// form (`dim = 2`).
    pub fn new(dim: usize, epsilon: f64) -> PrivUnit {
        let p = 1.0 / (1.0 + (-epsilon).exp());
        // E[|t|] on two points and on a circle.
        let mean_abs = if dim == 1 {
            1.0
        } else {
            2.0 / std::f64::consts::PI
        };
        let half_sphere = PrivUnit {
            dim,
            gamma: 0.0,
            p,
            q: 0.5,
            expected_cosine: (2.0 * p - 1.0) * mean_abs,
        };
        if dim < 3 {
            // (A circle or two points: the hemisphere, answered with probability p.)
            return half_sphere;
        }
        // The density of t = v·u for v uniform on the sphere is ∝ (1 − t²)^((dim − 3)/2) on
        // [−1, 1]. Areas and first moments of the caps [t, 1] by Simpson's rule on each cell,
        // summed from the pole down so that a small cap's area keeps its precision.
        let power = (dim as f64 - 3.0) / 2.0;
        let density = |t: f64| (1.0 - t * t).max(0.0).powf(power);
        let h = 2.0 / GRID as f64;
        let at = |i: usize| -1.0 + i as f64 * h;
        let (mut cap, mut cap_moment) = (vec![0.0; GRID + 1], vec![0.0; GRID + 1]);
        for i in (0..GRID).rev() {
            let (a, b) = (at(i), at(i + 1));
            let m = (a + b) / 2.0;
            let (fa, fm, fb) = (density(a), density(m), density(b));
            cap[i] = cap[i + 1] + h / 6.0 * (fa + 4.0 * fm + fb);
            cap_moment[i] = cap_moment[i + 1] + h / 6.0 * (a * fa + 4.0 * m * fm + b * fb);
        }
        let total = cap[0];
        let mut best = PrivUnit {
            expected_cosine: f64::NEG_INFINITY,
            ..half_sphere
        };
        for i in GRID / 2..GRID {
            let q = cap[i] / total;
            let cap_epsilon = ((1.0 - q) / q).ln();
            if q < MIN_CAP_SHARE || cap_epsilon > epsilon {
                break;
            }
            let p = 1.0 / (1.0 + (cap_epsilon - epsilon).exp());
            let inside = cap_moment[i] / cap[i];
            // The moment over the whole sphere is 0: the rest's is minus the cap's.
            let outside = -cap_moment[i] / (total - cap[i]);
            let expected_cosine = p * inside + (1.0 - p) * outside;
            if expected_cosine > best.expected_cosine {
                best = PrivUnit {
                    dim,
                    gamma: at(i),
                    p,
                    q,
                    expected_cosine,
                };
            }
        }
        best
    }

    /// t = v·u of a uniform v on the sphere, conditioned on falling `inside` the cap or not.
    fn slice(&self, inside: bool, rng: &mut impl Rng) -> f64 {
        let k = (self.dim as f64 - 3.0) / 2.0;
        if self.dim < 3 {
            // On a circle t is the cosine of a uniform angle; on two points, ±1.
            let t = if self.dim == 2 {
                (rng.random::<f64>() * std::f64::consts::PI).cos()
            } else {
                1.0
            };
            let t = t.abs();
            return if inside { t } else { -t };
        }
        if inside && self.q < 0.05 {
            // A small cap: rejection from an exponential envelope of the density on [γ, 1].
            // ln(1 − t²) is concave in t, so (1 − t²)^k ≤ (1 − γ²)^k e^(−λ(t − γ)) with
            // λ = 2kγ/(1 − γ²); each draw is accepted with the ratio of the two.
            let g = self.gamma;
            if self.dim == 3 {
                // On the 2-sphere t is uniform.
                return g + (1.0 - g) * rng.random::<f64>();
            }
            let lambda = 2.0 * k * g / (1.0 - g * g);
            loop {
                let t = g - (1.0 - rng.random::<f64>()).ln() / lambda;
                if t > 1.0 {
                    continue;
                }
                let ratio = ((1.0 - t * t) / (1.0 - g * g)).powf(k) * (lambda * (t - g)).exp();
                if rng.random::<f64>() < ratio {
                    return t;
                }
            }
        }
        // Otherwise t is the first coordinate of a uniform direction, drawn until it falls on
        // the chosen side of γ: at most 20 draws on average.
        let mut z = vec![0.0; self.dim];
        loop {
            z.iter_mut().for_each(|x| *x = normal(rng));
            let norm = z.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > 0.0 && (z[0] / norm >= self.gamma) == inside {
                return z[0] / norm;
            }
        }
    }

    /// The mechanism's answer for the unit vector `u`.
    pub fn sample(&self, u: &[f32], rng: &mut impl Rng) -> Vec<f32> {
        let t = self.slice(rng.random_bool(self.p.clamp(0.0, 1.0)), rng);
        if u.len() < 2 {
            return u.iter().map(|&x| x * t as f32).collect();
        }
        // The rest of v: a uniform direction orthogonal to u.
        let orthogonal = loop {
            let z: Vec<f64> = u.iter().map(|_| normal(rng)).collect();
            let along: f64 = z.iter().zip(u).map(|(z, &u)| z * f64::from(u)).sum();
            let w: Vec<f64> = z
                .iter()
                .zip(u)
                .map(|(z, &u)| z - along * f64::from(u))
                .collect();
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > 1e-9 {
                break w.into_iter().map(|x| x / norm).collect::<Vec<_>>();
            }
        };
        let side = (1.0 - t * t).max(0.0).sqrt();
        u.iter()
            .zip(orthogonal)
            .map(|(&u, w)| (t * f64::from(u) + side * w) as f32)
            .collect()
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut impl Rng) -> f64 {
    let u = 1.0 - rng.random::<f64>();
    let v = rng.random::<f64>();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}
