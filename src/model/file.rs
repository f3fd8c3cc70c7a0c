//! The model file: safetensors with the format, version, config and a checksum in its metadata.
//! Weights are stored as f16 or f32 and read back as f32; the transition table is stored as
//! integer arrays (u64 keys, u16 or u32 successor indices, u8 counts) to stay small.
//!
//! The checksum is a CRC-32 of the config (as `serde_json` writes a [`ModelConfig`]) followed by
//! every byte after the safetensors header, so that a damaged file (a flipped bit in a weight,
//! a blend weight or a table) is refused rather than ranking with wrong numbers. Every config
//! field is checked against its range ([`ModelConfig::validated`]) and every tensor against the
//! config before anything is computed.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use safetensors::tensor::{Dtype, TensorInfo, TensorView};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{ModelConfig, Transitions};

/// Version of the model file layout this build reads and writes (2: with a checksum; 3: with
/// the taste and passed-over weights in the blend; 4: with the kinds the model was trained on).
pub const FORMAT_VERSION: u32 = 4;
const FORMAT_NAME: &str = "tastebud-model";
const METADATA_KEY: &str = "tastebud";
const TRANSITIONS: [&str; 4] = [
    "transitions.keys",
    "transitions.offsets",
    "transitions.successors",
    "transitions.counts",
];

/// What the model file's metadata holds under [`METADATA_KEY`]. Read twice: first with the
/// config skipped (`IgnoredAny`), to tell another file or version apart, then with it.
#[derive(Serialize, Deserialize)]
struct Header<C> {
    format: String,
    version: u32,
    /// [`checksum`] of the file (absent in version 1).
    #[serde(default)]
    crc32: Option<u32>,
    config: C,
}

/// The CRC-32 of `config` as `serde_json` writes it and of the tensor `data`.
fn checksum(config: &ModelConfig, data: &[u8]) -> Result<u32> {
    let config = serde_json::to_vec(config)
        .map_err(|e| Error::BadModel(format!("cannot encode config: {e}")))?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&config);
    crc.update(data);
    Ok(crc.finalize())
}

/// The decoded contents of a model file.
#[derive(Debug)]
pub struct ModelFile {
    /// The model's shape and blend.
    pub config: ModelConfig,
    /// Weights by name, as f32.
    pub tensors: HashMap<String, Tensor>,
    /// The transition table.
    pub transitions: Transitions,
}

impl ModelFile {
    /// Decodes model bytes; anything but a well-formed tastebud model of this format version
    /// is [`Error::BadModel`].
    pub fn read(bytes: &[u8]) -> Result<Self> {
        let Parts {
            config,
            weights,
            transitions,
            ..
        } = read_parts(bytes)?;
        Ok(ModelFile {
            config,
            tensors: tensors(weights)?.into_iter().collect(),
            transitions,
        })
    }

    /// A model file of an earlier format version (or of this one) written in this one, with
    /// the same weights bit for bit: how a version 1 file gets its checksum, and a version 2
    /// file the taste and passed-over weights its ranker used (0.5 each).
    pub fn upgrade(bytes: &[u8]) -> Result<Vec<u8>> {
        let Parts {
            config,
            weights,
            transitions,
            ..
        } = read_any(bytes, true)?;
        let half = weights.values().all(|(_, values)| values.half);
        ModelFile::write(&config, &tensors(weights)?, &transitions, half)
    }
}

/// The weights as f32 tensors, by name.
fn tensors(weights: Weights) -> Result<Vec<(String, Tensor)>> {
    weights
        .into_iter()
        .map(|(name, (shape, data))| {
            Ok((name, Tensor::from_vec(data.to_f32(), shape, &Device::Cpu)?))
        })
        .collect()
}

/// Weights by name: shape and values as stored.
pub(crate) type Weights = HashMap<String, (Vec<usize>, Floats)>;

/// A tensor's values as the file stores them (little-endian f16 or f32), converted to f32
/// when asked: converting every weight at load would be most of a page's cold start, and
/// the item tables are only ever read a few rows at a time.
#[derive(Clone)]
pub(crate) struct Floats {
    half: bool,
    bytes: Vec<u8>,
}

impl Floats {
    /// Number of values.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len() / self.size()
    }

    /// Bytes per value.
    fn size(&self) -> usize {
        if self.half {
            2
        } else {
            4
        }
    }

    /// All values as f32.
    pub(crate) fn to_f32(&self) -> Vec<f32> {
        self.range_to_f32(0..self.len())
    }

    /// Values `range` as f32 (cut at the end).
    pub(crate) fn range_to_f32(&self, range: std::ops::Range<usize>) -> Vec<f32> {
        let size = self.size();
        let range = range.start..range.end.min(self.len());
        let bytes = self
            .bytes
            .get(range.start * size..range.end * size)
            .unwrap_or(&[])
            .chunks_exact(size);
        if self.half {
            bytes
                .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect()
        } else {
            bytes
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        }
    }
}

/// An IEEE half-precision value as f32, without branches so that a loop of them vectorises:
/// `half`'s conversion branches on every value, which made it a quarter of restoring a page's
/// personalizer once warm. Shifting the exponent and mantissa into place and multiplying by
/// 2^112 rebiases the exponent, normalising subnormals exactly; what was infinity or NaN is
/// then at least 2^16 and gets the all-ones exponent back.
fn f16_to_f32(h: u16) -> f32 {
    let h = u32::from(h);
    let rebias = f32::from_bits((254 - 15) << 23);
    let magnitude = f32::from_bits((h & 0x7fff) << 13) * rebias;
    let inf_or_nan = if magnitude >= 65536.0 { 0xff << 23 } else { 0 };
    f32::from_bits(magnitude.to_bits() | inf_or_nan | ((h & 0x8000) << 16))
}

/// What a model file holds, as read.
pub(crate) struct Parts {
    pub config: ModelConfig,
    pub weights: Weights,
    pub transitions: Transitions,
    /// The file's checksum (0 for a file of an earlier version without one).
    pub checksum: u32,
}

/// [`ModelFile::read`] without building tensors or converting weights: the runtime reads
/// them into its inference loops as they are needed.
pub(crate) fn read_parts(bytes: &[u8]) -> Result<Parts> {
    read_any(bytes, false)
}

/// [`read_parts`]; `upgrading` also reads the files of earlier versions, whose checksums (if
/// any) covered a config without the fields added since, and so are not checked.
fn read_any(bytes: &[u8], upgrading: bool) -> Result<Parts> {
    let bad = |what: String| Error::BadModel(what);
    let (meta, data) = read_header(bytes)?;
    let text = meta
        .metadata
        .get(METADATA_KEY)
        .ok_or_else(|| bad("safetensors file is not a tastebud model".into()))?;
    let header: Header<serde::de::IgnoredAny> = serde_json::from_str(text)
        .ok()
        .filter(|h: &Header<_>| h.format == FORMAT_NAME)
        .ok_or_else(|| bad("safetensors file is not a tastebud model".into()))?;
    let readable = if upgrading { 1 } else { FORMAT_VERSION };
    if !(readable..=FORMAT_VERSION).contains(&header.version) {
        return Err(bad(format!(
            "model format version {}; this build reads version {FORMAT_VERSION} (a file of \
             an earlier version: `tastebud-train upgrade-model` writes it again)",
            header.version
        )));
    }
    let header = serde_json::from_str::<Header<ModelConfig>>(text)
        .map_err(|e| bad(format!("model config is unreadable: {e}")))?;
    let config = header.config.validated()?;
    let unchecked = upgrading && header.version < FORMAT_VERSION;
    if !unchecked && header.crc32 != Some(checksum(&config, data)?) {
        return Err(bad(
            "checksum mismatch: the model file is damaged or was altered".into(),
        ));
    }
    let data = |name: &str, info: &TensorInfo| {
        let (start, end) = info.data_offsets;
        let size = info
            .shape
            .iter()
            .try_fold(info.dtype.bitsize() / 8, |n, &d| n.checked_mul(d));
        data.get(start..end)
            .filter(|d| Some(d.len()) == size)
            .ok_or_else(|| {
                bad(format!(
                    "tensor {name}'s bytes do not fit its shape or the file"
                ))
            })
    };
    let mut weights = HashMap::new();
    for (name, info) in &meta.tensors {
        if TRANSITIONS.contains(&name.as_str()) {
            continue;
        }
        let half = match info.dtype {
            Dtype::F16 => true,
            Dtype::F32 => false,
            _ => return Err(bad(format!("tensor {name} is not f16/f32"))),
        };
        let values = Floats {
            half,
            bytes: data(name, info)?.to_vec(),
        };
        weights.insert(name.clone(), (info.shape.clone(), values));
    }
    let get = |name: &str| {
        let info = meta
            .tensors
            .get(name)
            .ok_or_else(|| bad(format!("missing tensor {name}")))?;
        Ok::<_, Error>((info, data(name, info)?))
    };
    let keys = ints(get(TRANSITIONS[0])?, Dtype::U64, |b| {
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    });
    let offsets = ints(get(TRANSITIONS[1])?, Dtype::U32, |b| {
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    });
    let succ = get(TRANSITIONS[2])?;
    let successors = ints(succ, Dtype::U16, |b| {
        u32::from(u16::from_le_bytes([b[0], b[1]]))
    })
    .or_else(|| {
        ints(succ, Dtype::U32, |b| {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        })
    });
    let counts = ints(get(TRANSITIONS[3])?, Dtype::U8, |b| b[0]);
    let (Some(keys), Some(offsets), Some(successors), Some(counts)) =
        (keys, offsets, successors, counts)
    else {
        return Err(bad("transition table has the wrong element types".into()));
    };
    let transitions = Transitions::from_parts(keys, offsets, successors, counts).map_err(bad)?;
    Ok(Parts {
        config,
        weights,
        transitions,
        checksum: header.crc32.unwrap_or(0),
    })
}

/// A safetensors file's header. Read with a map visitor of its own rather than the safetensors
/// crate's reader, which first buffers every entry in serde's generic `Content` (its
/// `#[serde(flatten)]`): code that a page would compile, at cold start, for that alone.
/// Writing still goes through the crate.
struct StoredHeader {
    metadata: HashMap<String, String>,
    tensors: HashMap<String, TensorInfo>,
}

impl<'de> Deserialize<'de> for StoredHeader {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = StoredHeader;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a safetensors header")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<StoredHeader, A::Error> {
                let mut header = StoredHeader {
                    metadata: HashMap::new(),
                    tensors: HashMap::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    if key == "__metadata__" {
                        header.metadata = map.next_value()?;
                    } else {
                        let info = map.next_value()?;
                        header.tensors.insert(key, info);
                    }
                }
                Ok(header)
            }
        }
        d.deserialize_map(Entries)
    }
}

/// The header of safetensors `bytes` and the data after it (to which its offsets point).
fn read_header(bytes: &[u8]) -> Result<(StoredHeader, &[u8])> {
    let bad = |what: String| Error::BadModel(format!("not a safetensors file ({what})"));
    let (len, rest) = bytes
        .split_first_chunk::<8>()
        .ok_or_else(|| bad("too short".into()))?;
    let len = usize::try_from(u64::from_le_bytes(*len))
        .ok()
        .filter(|&n| n <= rest.len())
        .ok_or_else(|| bad("the header's length is past the end".into()))?;
    let (header, data) = rest.split_at(len);
    let header = serde_json::from_slice(header).map_err(|e| bad(e.to_string()))?;
    Ok((header, data))
}

impl ModelFile {
    /// Encodes a model: `weights` by name, stored as f16 when `half` (half the size; the
    /// runtime computes in f32 either way).
    pub fn write(
        config: &ModelConfig,
        weights: &[(String, Tensor)],
        transitions: &Transitions,
        half: bool,
    ) -> Result<Vec<u8>> {
        let dtype = if half { DType::F16 } else { DType::F32 };
        let mut buffers: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
        for (name, t) in weights {
            let t = t.to_dtype(dtype)?.flatten_all()?;
            let bytes = if half {
                t.to_vec1::<half::f16>()?
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect()
            } else {
                t.to_vec1::<f32>()?
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect()
            };
            let st_dtype = if half { Dtype::F16 } else { Dtype::F32 };
            buffers.push((name.clone(), st_dtype, weights_shape(weights, name), bytes));
        }
        let (keys, offsets, successors, counts) = transitions.parts();
        buffers.push(int_buffer(
            TRANSITIONS[0],
            Dtype::U64,
            keys.len(),
            keys.iter().flat_map(|v| v.to_le_bytes()),
        ));
        buffers.push(int_buffer(
            TRANSITIONS[1],
            Dtype::U32,
            offsets.len(),
            offsets.iter().flat_map(|v| v.to_le_bytes()),
        ));
        buffers.push(if keys.len() <= usize::from(u16::MAX) + 1 {
            int_buffer(
                TRANSITIONS[2],
                Dtype::U16,
                successors.len(),
                successors.iter().flat_map(|&v| (v as u16).to_le_bytes()),
            )
        } else {
            int_buffer(
                TRANSITIONS[2],
                Dtype::U32,
                successors.len(),
                successors.iter().flat_map(|v| v.to_le_bytes()),
            )
        });
        buffers.push(int_buffer(
            TRANSITIONS[3],
            Dtype::U8,
            counts.len(),
            counts.iter().copied(),
        ));
        let views = buffers
            .iter()
            .map(|(name, dtype, shape, data)| {
                Ok((name.as_str(), TensorView::new(*dtype, shape.clone(), data)?))
            })
            .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
            .map_err(|e| Error::BadModel(format!("cannot encode tensors: {e}")))?;
        // One metadata key: safetensors writes its metadata map in hash order, so several
        // keys would make the same model serialize to different bytes.
        // The config as a JSON value, whose keys are sorted: the same model, the same bytes.
        let serialize = |crc32| {
            let header = Header {
                format: FORMAT_NAME.to_string(),
                version: FORMAT_VERSION,
                crc32: Some(crc32),
                config: serde_json::to_value(config)
                    .map_err(|e| Error::BadModel(format!("cannot encode config: {e}")))?,
            };
            let header = serde_json::to_string(&header)
                .map_err(|e| Error::BadModel(format!("cannot encode config: {e}")))?;
            let meta = HashMap::from([(METADATA_KEY.to_string(), header)]);
            safetensors::serialize(views.clone(), Some(meta))
                .map_err(|e| Error::BadModel(format!("cannot encode model: {e}")))
        };
        // The checksum covers the tensor data, which its own digits in the header do not move:
        // written once to lay the data out, then again with the checksum of that data.
        let draft = serialize(0)?;
        let (_, data) = read_header(&draft)?;
        serialize(checksum(config, data)?)
    }
}

fn weights_shape(weights: &[(String, Tensor)], name: &str) -> Vec<usize> {
    weights
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t.dims().to_vec())
        .unwrap_or_default()
}

fn int_buffer(
    name: &str,
    dtype: Dtype,
    len: usize,
    bytes: impl Iterator<Item = u8>,
) -> (String, Dtype, Vec<usize>, Vec<u8>) {
    (name.to_string(), dtype, vec![len], bytes.collect())
}

fn ints<T>(
    (info, data): (&TensorInfo, &[u8]),
    dtype: Dtype,
    decode: impl Fn(&[u8]) -> T,
) -> Option<Vec<T>> {
    if info.dtype != dtype || info.shape.len() != 1 {
        return None;
    }
    Some(data.chunks_exact(dtype.bitsize() / 8).map(decode).collect())
}
