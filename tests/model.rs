//! The model file and the encoders: the committed default model loads and fits this build,
//! bad bytes are refused cleanly, and vectors behave as the ranker needs.

mod common;

use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;
use tastebud::model::{
    FeatureBatch, IdPart, KindInput, ModelConfig, ModelFile, SequenceBatch, Step, Transitions,
    FORMAT_VERSION,
};
use tastebud::profile::EventWeights;
use tastebud::{Error, EventKind, Item, Model};

const MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/model");

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{MODEL_DIR}/{name}")).unwrap()
}

#[test]
fn committed_model_matches_this_build() {
    let bytes = read("model.safetensors");
    assert!(
        bytes.len() <= 1 << 20,
        "default model is {} bytes; the budget is 1 MiB",
        bytes.len()
    );
    let file = ModelFile::read(&bytes).unwrap();
    // Written again by this build, the model is the same bytes: the format is stable and
    // `make model` can reproduce the file exactly.
    let weights: Vec<_> = file.tensors.clone().into_iter().collect();
    assert!(ModelFile::write(&file.config, &weights, &file.transitions, true).unwrap() == bytes);
    let manifest: serde_json::Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    assert_eq!(manifest["format_version"], FORMAT_VERSION);
    assert_eq!(
        manifest["config"],
        serde_json::to_value(&file.config).unwrap()
    );
    let params: usize = file.tensors.values().map(|t| t.elem_count()).sum();
    assert_eq!(manifest["params"], params);
    assert_eq!(manifest["transition_pairs"], file.transitions.len());
    assert!(manifest["data"]["provenance"]["license"]
        .as_str()
        .unwrap()
        .contains("CC BY 4.0"));
}

/// The shipped model keeps the bar it was trained to: ≥ 1.03× the best baseline's NDCG@10 on
/// Online Retail (full ranking, leave-one-out), as the trainer measured it.
#[test]
fn committed_model_beats_the_baselines() {
    let metrics: serde_json::Value = serde_json::from_slice(&read("metrics.json")).unwrap();
    let ndcg = |m: &str| metrics["models"][m]["ndcg@10"].as_f64().unwrap();
    let best = ["pop", "itemknn", "markov"]
        .map(ndcg)
        .into_iter()
        .fold(0.0, f64::max);
    assert!(
        ndcg("tastebud") >= 1.03 * best,
        "{} vs best baseline {best}",
        ndcg("tastebud")
    );
}

#[test]
fn bad_bytes_are_bad_model_errors() {
    let bytes = read("model.safetensors");
    let mut cases: Vec<Vec<u8>> = vec![Vec::new(), b"not a model".to_vec(), vec![0xff; 4096]];
    cases.extend((1..40).map(|i| bytes[..bytes.len() * i / 40].to_vec()));
    for case in cases {
        match Model::from_bytes(&case) {
            Err(Error::BadModel(_)) => {}
            Err(e) => panic!("{} bytes: expected bad_model, got {e}", case.len()),
            Ok(_) => panic!("{} bytes of garbage loaded as a model", case.len()),
        }
    }
}

fn safetensors_with(meta: &[(&str, &str)]) -> Vec<u8> {
    let data = [0u8; 4];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1], &data).unwrap();
    let meta = meta
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    safetensors::serialize([("x", view)], Some(meta)).unwrap()
}

#[test]
fn foreign_safetensors_and_other_versions_are_refused() {
    let message = |bytes: &[u8]| match Model::from_bytes(bytes) {
        Err(Error::BadModel(m)) => m,
        other => panic!("expected bad_model, got {other:?}"),
    };
    assert!(message(&safetensors_with(&[])).contains("not a tastebud model"));
    let future = safetensors_with(&[(
        "tastebud",
        r#"{"format":"tastebud-model","version":9,"config":{}}"#,
    )]);
    assert!(
        message(&future).contains("version 9"),
        "{}",
        message(&future)
    );

    // A config that does not fit the weights is refused, not half-loaded.
    let file = ModelFile::read(&read("model.safetensors")).unwrap();
    let weights: Vec<_> = file.tensors.into_iter().collect();
    let mut config = file.config.clone();
    config.dim += config.heads;
    let misfit = ModelFile::write(&config, &weights, &file.transitions, true).unwrap();
    assert!(
        message(&misfit).contains("do not fit"),
        "{}",
        message(&misfit)
    );
}

#[test]
fn write_then_read_gives_the_same_model() {
    let file = ModelFile::read(&read("model.safetensors")).unwrap();
    let weights: Vec<_> = file.tensors.clone().into_iter().collect();
    let again = ModelFile::read(
        &ModelFile::write(&file.config, &weights, &file.transitions, false).unwrap(),
    )
    .unwrap();
    assert_eq!(again.config, file.config);
    assert_eq!(again.transitions, file.transitions);
    for (name, t) in &file.tensors {
        let a = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let b = again.tensors[name]
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(a, b, "{name}");
    }
}

/// A model without a transition table (a shop whose shoppers never act twice in a row, or the
/// encoder alone) writes a file that reads back with an empty table.
#[test]
fn an_empty_transition_table_round_trips() {
    let file = ModelFile::read(&read("model.safetensors")).unwrap();
    let weights: Vec<_> = file.tensors.into_iter().collect();
    let bytes = ModelFile::write(&file.config, &weights, &Transitions::default(), true).unwrap();
    let model = Model::from_bytes(&bytes).unwrap();
    assert!(model.transitions.is_empty());
    assert_eq!(model.transitions.successors(42).count(), 0);
}

/// Every half-precision value a trained weight can take (all but NaN: zeros, subnormals,
/// normals, infinities) reads back from an f16 file as exactly that value.
#[test]
fn every_half_value_reads_back_exactly() {
    let file = ModelFile::read(&read("model.safetensors")).unwrap();
    let halves: Vec<f32> = (0..=u16::MAX)
        .map(half::f16::from_bits)
        .filter(|h| !h.is_nan())
        .map(half::f16::to_f32)
        .collect();
    let mut weights: Vec<_> = file.tensors.into_iter().collect();
    let (_, tokens) = weights
        .iter_mut()
        .find(|(name, _)| name == "item.tokens")
        .unwrap();
    let mut values = vec![0f32; tokens.elem_count()];
    values[..halves.len()].copy_from_slice(&halves);
    *tokens = Tensor::from_vec(values, tokens.shape(), tokens.device()).unwrap();
    let bytes = ModelFile::write(&file.config, &weights, &file.transitions, true).unwrap();
    let read_back = ModelFile::read(&bytes).unwrap().tensors["item.tokens"]
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for (want, got) in halves.iter().zip(&read_back) {
        assert_eq!(
            want.to_bits(),
            got.to_bits(),
            "{want:e} read back as {got:e}"
        );
    }
}

fn cosine(model: &Model, a: &str, b: &str) -> f32 {
    let items = [
        Item {
            title: Some(a.into()),
            ..Item::new("new-a")
        },
        Item {
            title: Some(b.into()),
            ..Item::new("new-b")
        },
    ];
    let v = model.encode_items(&items, false).unwrap();
    let (a, b) = v.split_at(model.config.dim);
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Items never seen in training get vectors from their words: two candle holders are closer
/// to each other than a candle holder is to a lunch bag.
#[test]
fn unseen_items_land_near_similar_ones() {
    let model = common::default_model();
    let holders = cosine(
        &model,
        "PINK HEART GLASS T-LIGHT HOLDER",
        "SILVER STAR T-LIGHT HOLDER",
    );
    let apart = cosine(
        &model,
        "PINK HEART GLASS T-LIGHT HOLDER",
        "LUNCH BAG SPACEBOY DESIGN",
    );
    assert!(
        holders > apart + 0.1,
        "holders {holders} vs holder/bag {apart}"
    );
}

#[test]
fn item_vectors_are_unit_length() {
    let model = common::default_model();
    let v = model.encode_items(&common::catalog(), true).unwrap();
    for row in v.chunks_exact(model.config.dim) {
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }
}

/// The ranker's inference loops compute what the candle definition (the one the trainer
/// trains) computes: item vectors with and without ids, and the intent after a sequence.
#[test]
fn inference_loops_match_the_candle_definition() {
    let bytes = read("model.safetensors");
    let model = Model::from_bytes(&bytes).unwrap();
    let file = ModelFile::read(&bytes).unwrap();
    let vb = VarBuilder::from_tensors(file.tensors, DType::F32, model.device());
    let candle = Model::new(file.config, vb, file.transitions).unwrap();
    let items = common::catalog();
    let dim = model.config.dim;
    let batch = FeatureBatch::new(&model.features(&items), model.device()).unwrap();
    for (ids, use_ids) in [(IdPart::Use, true), (IdPart::Skip, false)] {
        let want = candle.items().unwrap().encode(&batch, ids).unwrap();
        let want: Vec<f32> = want.flatten_all().unwrap().to_vec1().unwrap();
        let got = model.encode_items(&items, use_ids).unwrap();
        assert_all_close(&want, &got);
    }
    // Every kind and several gaps, over more steps than the encoder reads.
    let n = model.config.max_len + 7;
    let seq: Vec<Item> = (0..n).map(|i| items[i % items.len()].clone()).collect();
    let steps: Vec<Step> = (0..n)
        .map(|i| Step {
            kind: EventKind::ALL[i % EventKind::COUNT],
            gap_seconds: (i > 0).then_some(7i64.pow((i % 9) as u32)),
        })
        .collect();
    let vectors = model.encode_items(&seq, true).unwrap();
    for len in [1, 5, n] {
        let (vectors, steps) = (&vectors[(n - len) * dim..], &steps[n - len..]);
        // Every kind read from its own row, as the candle encoder reads it.
        let own = EventKind::ALL.map(|row| KindInput { row, weight: 1.0 });
        let got = model.intent(vectors, steps, &own).unwrap().unwrap();
        let l = len.min(model.config.max_len);
        let rows =
            Tensor::from_slice(&vectors[(len - l) * dim..], (1, l, dim), model.device()).unwrap();
        let ints = |f: fn(&Step) -> u32| {
            let v: Vec<u32> = steps[len - l..].iter().map(f).collect();
            Tensor::from_vec(v, (1, l), model.device()).unwrap()
        };
        let seq = SequenceBatch {
            items: rows,
            kinds: ints(|s| s.kind as u32),
            gaps: ints(Step::gap_bucket),
            mask: SequenceBatch::attention_mask(&[0], l, model.device()).unwrap(),
        };
        let out = candle.user().unwrap().forward(&seq, None).unwrap();
        let want: Vec<f32> = out
            .narrow(1, l - 1, 1)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        assert_all_close(&want, &got);
    }
}

fn assert_all_close(want: &[f32], got: &[f32]) {
    assert_eq!(want.len(), got.len());
    for (i, (a, b)) in want.iter().zip(got).enumerate() {
        assert!((a - b).abs() <= 1e-5, "[{i}]: {a} vs {b}");
    }
}

/// A model file whose config is in range and whose tensors fit it, written by this build (so
/// its checksum is right): what a crafted or buggy file can look like once past the checksum.
fn crafted(config: &tastebud::model::ModelConfig) -> Vec<u8> {
    let file = ModelFile::read(&read("model.safetensors")).unwrap();
    let weights: Vec<_> = file
        .tensors
        .iter()
        .map(|(name, t)| {
            let dims: Vec<usize> = t
                .dims()
                .iter()
                .map(|&d| if d == file.config.dim { config.dim } else { d })
                .collect();
            (
                name.clone(),
                Tensor::zeros(dims, DType::F32, &candle_core::Device::Cpu).unwrap(),
            )
        })
        .collect();
    ModelFile::write(config, &weights, &file.transitions, true).unwrap()
}

/// A model of width 0 with consistent shapes used to load, then trap on the first ranking.
#[test]
fn a_model_config_out_of_range_is_refused_at_load() {
    let base = ModelFile::read(&read("model.safetensors")).unwrap().config;
    let cases = [
        (
            "dim",
            tastebud::model::ModelConfig {
                dim: 0,
                ..base.clone()
            },
        ),
        (
            "heads",
            tastebud::model::ModelConfig {
                heads: 0,
                ..base.clone()
            },
        ),
        (
            "max_len",
            tastebud::model::ModelConfig {
                max_len: 0,
                ..base.clone()
            },
        ),
        (
            "layers",
            tastebud::model::ModelConfig {
                layers: 0,
                ..base.clone()
            },
        ),
    ];
    for (field, config) in cases {
        match Model::from_bytes(&crafted(&config)) {
            Err(Error::BadModel(m)) => assert!(m.contains(field), "{field}: {m}"),
            other => panic!("{field}: expected bad_model, got {other:?}"),
        }
    }
}

/// The model file carries a checksum: 239 of 250 single-bit flips used to load without
/// complaint. Every flip is now refused, or (in a byte the reader ignores, such as the
/// header's padding) leaves a model that ranks exactly as the original.
#[test]
fn a_flipped_bit_anywhere_in_the_model_file_is_refused_or_harmless() {
    let bytes = read("model.safetensors");
    let original = Model::from_bytes(&bytes).unwrap();
    let items: Vec<Item> = common::catalog();
    let vectors = original.encode_items(&items, true).unwrap();
    let mut state = 0x5eed_u64;
    let mut refused = 0;
    for _ in 0..250 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let bit = (state >> 11) as usize % (bytes.len() * 8);
        let mut damaged = bytes.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        match Model::from_bytes(&damaged) {
            Err(Error::BadModel(_)) => refused += 1,
            Err(e) => panic!("bit {bit}: expected bad_model, got {e}"),
            Ok(model) => {
                assert_eq!(model.config, original.config, "bit {bit}");
                assert_eq!(
                    model.encode_items(&items, true).unwrap(),
                    vectors,
                    "bit {bit}"
                );
            }
        }
    }
    assert!(refused >= 245, "only {refused} of 250 flips refused");
}

/// A model file of an earlier format version (1: no checksum; 2: no taste or passed-over
/// weight in its config; 3: no trained kinds) is refused with a way out, and
/// `ModelFile::upgrade` writes it again with the same weights, reading it as it was read then.
#[test]
fn an_earlier_version_model_is_refused_and_upgrades_to_the_same_weights() {
    use EventKind::*;
    let bytes = read("model.safetensors");
    let file = ModelFile::read(&bytes).unwrap();
    let current = serde_json::to_value(&file.config).unwrap();
    // What a version 2 file said: the ranker's taste and penalty were 0.5, and not stored.
    assert_eq!(current["blend"]["passed_over"], 0.5);
    let taste = current["blend"]["taste"].as_f64().unwrap();
    for version in [1, 2, 3] {
        let mut config = current.clone();
        // Until version 4 every row of the kind table was read as learned.
        config.as_object_mut().unwrap().remove("trained_kinds");
        if version < 3 {
            let blend = config["blend"].as_object_mut().unwrap();
            blend.remove("passed_over");
            blend.remove("taste");
        }
        let header = serde_json::json!({
            "format": "tastebud-model",
            "version": version,
            "crc32": 12345,
            "config": config,
        });
        let (len, rest) = bytes.split_at(8);
        let len = u64::from_le_bytes(len.try_into().unwrap()) as usize;
        let mut stored: serde_json::Value = serde_json::from_slice(&rest[..len]).unwrap();
        stored["__metadata__"]["tastebud"] = header.to_string().into();
        let mut text = stored.to_string().into_bytes();
        text.resize(text.len().next_multiple_of(8), b' ');
        let mut old = (text.len() as u64).to_le_bytes().to_vec();
        old.extend_from_slice(&text);
        old.extend_from_slice(&rest[len..]);
        match Model::from_bytes(&old) {
            Err(Error::BadModel(m)) => assert!(m.contains("upgrade-model"), "{m}"),
            other => panic!("expected bad_model, got {other:?}"),
        }
        let upgraded = ModelFile::read(&ModelFile::upgrade(&old).unwrap()).unwrap();
        let want_taste = if version < 3 { 0.5 } else { taste as f32 };
        assert_eq!(upgraded.config.blend.taste, want_taste, "version {version}");
        assert_eq!(
            upgraded.config.trained_kinds,
            [View, Click, AddToCart, Purchase, Dwell],
            "version {version}"
        );
        let weights: Vec<_> = upgraded.tensors.into_iter().collect();
        let rewritten =
            ModelFile::write(&file.config, &weights, &upgraded.transitions, true).unwrap();
        assert!(rewritten == bytes, "version {version}: the weights changed");
    }
}

/// A page's views and clicks reach a model trained on purchases as purchases that count for
/// less, in the proportions of the profile's weights, never as a row the model never learned.
#[test]
fn a_kind_the_model_never_learned_stands_in_as_the_nearest_learned_one_at_the_ratio_of_their_weights(
) {
    use EventKind::*;
    let defaults = EventWeights::default();
    let evidence = EventKind::ALL.map(|k| defaults.weight(k, 10_000));
    let learned = |kinds: &[EventKind]| ModelConfig {
        trained_kinds: kinds.to_vec(),
        ..ModelConfig::default()
    };
    let close = |got: KindInput, row: EventKind, weight: f32| {
        assert_eq!(got.row, row);
        assert!((got.weight - weight).abs() < 1e-6, "{got:?}, want {weight}");
    };
    let purchases = learned(&[Purchase]).kind_inputs(&evidence);
    close(purchases[Purchase as usize], Purchase, 1.0);
    close(purchases[Click as usize], Purchase, 0.3);
    close(purchases[View as usize], Purchase, 0.2);
    close(purchases[AddToCart as usize], Purchase, 0.6);
    let views_and_purchases = learned(&[View, Purchase]).kind_inputs(&evidence);
    close(views_and_purchases[View as usize], View, 1.0);
    close(views_and_purchases[Click as usize], View, 1.5);
    close(views_and_purchases[AddToCart as usize], Purchase, 0.6);

    // A click weighed as much as a purchase is read as one; weighed less, it counts for less
    // among the purchases around it.
    let mut model = common::default_model();
    model.config.trained_kinds = vec![Purchase];
    let items = common::catalog();
    let vectors = model.encode_items(&items[..4], true).unwrap();
    let steps = |kind| -> Vec<Step> {
        [Purchase, kind, Purchase, kind]
            .into_iter()
            .enumerate()
            .map(|(i, kind)| Step {
                kind,
                gap_seconds: (i > 0).then_some(60),
            })
            .collect()
    };
    let mut as_much = evidence;
    as_much[Click as usize] = as_much[Purchase as usize];
    let intent = |kind, evidence: &[f32; EventKind::COUNT]| {
        let inputs = model.config.kind_inputs(evidence);
        model
            .intent(&vectors, &steps(kind), &inputs)
            .unwrap()
            .unwrap()
    };
    assert_eq!(intent(Click, &as_much), intent(Purchase, &as_much));
    assert_ne!(intent(Click, &evidence), intent(Purchase, &evidence));
}
