//! Runs the fuzz target's property over every checked-in seed in
//! `fuzz/corpus/decode/`, so the corpus is exercised by `cargo test` on
//! stable. `cargo test -p proto --test corpus -- --ignored` rewrites the
//! seeds from `proto::testing`'s samples.

use proto::testing::{check_roundtrip, sample_rmessages, sample_tmessages};
use proto::{msg_type, Rmessage, Tmessage};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode")
}

#[test]
fn corpus_seeds_hold_the_round_trip_property() {
    let mut files = 0;
    let mut t_types = BTreeSet::new();
    let mut r_types = BTreeSet::new();
    for entry in std::fs::read_dir(corpus_dir()).expect("corpus directory") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if let Err(violation) = check_roundtrip(&data) {
            panic!("{}: {violation}", path.display());
        }
        if let Ok((_, m)) = Tmessage::decode(&data) {
            t_types.insert(m.msg_type());
        }
        if let Ok((_, m)) = Rmessage::decode(&data) {
            r_types.insert(m.msg_type());
        }
        files += 1;
    }
    assert!(files >= 30, "only {files} seeds in the corpus");
    // Every message type has a valid seed, so the fuzzer starts from each.
    assert_eq!(t_types.len(), 28, "request types seeded: {t_types:?}");
    assert_eq!(r_types.len(), 29, "reply types seeded: {r_types:?}");
    assert!(r_types.contains(&msg_type::RLERROR));
}

/// Writes the seeds: every sample message, a few truncations, and a few
/// hostile frames. Run by hand after adding a message type.
#[test]
#[ignore]
fn regenerate_corpus() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, m) in sample_tmessages().iter().enumerate() {
        let mut b = Vec::new();
        m.encode(u16::try_from(i).unwrap(), &mut b).unwrap();
        seeds.push((format!("{}-{i}", m.name()), b));
    }
    for (i, m) in sample_rmessages().iter().enumerate() {
        let mut b = Vec::new();
        m.encode(u16::try_from(i).unwrap(), &mut b).unwrap();
        seeds.push((format!("{}-{i}", m.name()), b));
    }
    // Truncations: the raw cut, and the cut with its size field fixed up so
    // the decoder (not the size check) has to find the short body.
    for kind in ["Twalk", "Tlock", "Rgetattr", "Rreaddir", "Rversion"] {
        let prefix = format!("{kind}-");
        let (name, full) = seeds
            .iter()
            .find(|(n, _)| n.starts_with(&prefix))
            .cloned()
            .unwrap();
        let cut = full.len() - 3;
        seeds.push((format!("{name}-cut{cut}"), full[..cut].to_vec()));
        let mut fixed = full[..cut].to_vec();
        fixed[..4].copy_from_slice(&u32::try_from(cut).unwrap().to_le_bytes());
        seeds.push((format!("{name}-short{cut}"), fixed));
    }
    // Hostile counts.
    let mut huge_walk = vec![17, 0, 0, 0, msg_type::TWALK, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0];
    huge_walk.extend(u16::MAX.to_le_bytes());
    seeds.push(("hostile-walk-count".into(), huge_walk));
    let mut huge_read = vec![15, 0, 0, 0, msg_type::RREAD, 1, 0];
    huge_read.extend(u32::MAX.to_le_bytes());
    huge_read.extend([1, 2, 3, 4]);
    seeds.push(("hostile-read-count".into(), huge_read));
    let mut huge_size = u32::MAX.to_le_bytes().to_vec();
    huge_size.extend([msg_type::TCLUNK, 1, 0, 0, 0, 0, 0]);
    seeds.push(("hostile-frame-size".into(), huge_size));
    seeds.push(("empty".into(), Vec::new()));
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
