//! How a stored result part is laid out in `parts.result`.
//!
//! A part is a `FileResult` (path, failure, rejections, warnings, document summaries) in
//! postcard, chosen for encoding and decoding speed (several times JSON's) and size. It is
//! stored in two sections: the document summaries, one after another in postcard, cut into
//! frames of about `FRAME` bytes, each compressed as one LZ4 block and written as its
//! compressed and its raw length (u32 each, little-endian) and the block (summaries repeat
//! paths and sentences, which LZ4 folds cheaply; its window is 64 KB anyway, so frames cost
//! little in size and keep the encoder's buffers small); then the rest of the part in
//! plain postcard, then the length of that rest (u32, little-endian). The summaries,
//! nearly all of a part's bytes, are encoded on the worker thread that made them
//! ([`encode_docs`]); the rest is small and is encoded in the fold, where the last chunk of
//! a file may still gain a rejection ([`encode_part`]). Nobody reads these bytes but
//! newstrack, and only the build that wrote them (the state's settings key names the build
//! and `RESULTS_VERSION`), so the format carries no version of its own. Owns no SQL.

use std::cell::RefCell;

use super::prepare::Buf;
use crate::aggregate::DocSummary;
use crate::ingest::Rejected;
use crate::pipeline::FileResult;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("cannot encode a result: {0}")]
    Encode(postcard::Error),
    #[error("stored result: LZ4: {0}")]
    Compress(#[from] lz4_flex::block::CompressError),
    #[error("stored result: LZ4: {0}")]
    Decompress(#[from] lz4_flex::block::DecompressError),
    #[error("stored result cannot be decoded: {0}")]
    Decode(postcard::Error),
    #[error("stored result is cut short ({0} bytes)")]
    Short(usize),
    #[error("stored result claims {raw} bytes from a {packed}-byte block, more than LZ4 makes")]
    Claims { raw: usize, packed: usize },
    #[error("stored result block holds {got} bytes, its header says {said}")]
    Mismatch { said: usize, got: usize },
}

/// Postcard bytes of summaries per compressed frame (at least: a frame holds whole ones).
const FRAME: usize = 64 << 10;

/// A thread's buffers for the frame it is encoding, reused from part to part.
struct Scratch {
    /// Summaries in postcard.
    raw: Vec<u8>,
    /// LZ4's output, at the largest size it may take.
    packed: Vec<u8>,
}

impl Scratch {
    /// Compresses the summaries gathered in `raw` into a frame at the end of `out`.
    fn frame(&mut self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let max = lz4_flex::block::get_maximum_output_size(self.raw.len());
        if self.packed.len() < max {
            self.packed.resize(max, 0);
        }
        let n = lz4_flex::block::compress_into(&self.raw, &mut self.packed)?;
        out.extend_from_slice(&(n as u32).to_le_bytes());
        out.extend_from_slice(&(self.raw.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.packed[..n]);
        self.raw.clear();
        Ok(())
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const {
        RefCell::new(Scratch {
            raw: Vec::new(),
            packed: Vec::new(),
        })
    };
}

/// Encodes a part's document summaries, into a buffer that travels to the writer thread and
/// back to the pool.
pub(super) fn encode_docs(docs: &[DocSummary]) -> Result<Buf, CodecError> {
    SCRATCH.with(|s| {
        let s = &mut *s.borrow_mut();
        let mut out = Buf::take();
        s.raw.clear();
        for d in docs {
            let raw = std::mem::take(&mut s.raw);
            s.raw = postcard::to_extend(d, raw).map_err(CodecError::Encode)?;
            if s.raw.len() >= FRAME {
                s.frame(&mut out.0)?;
            }
        }
        if !s.raw.is_empty() {
            s.frame(&mut out.0)?;
        }
        Ok(out)
    })
}

/// Completes a part: appends the rest of `r` to its summaries as [`encode_docs`] made them.
pub(super) fn encode_part(mut docs: Buf, r: &FileResult) -> Result<Buf, CodecError> {
    let start = docs.0.len();
    let rest = (&r.path, &r.failed, &r.rejected, &r.warnings);
    docs.0 = postcard::to_extend(&rest, std::mem::take(&mut docs.0)).map_err(CodecError::Encode)?;
    let len = (docs.0.len() - start) as u32;
    docs.0.extend_from_slice(&len.to_le_bytes());
    Ok(docs)
}

type Rest = (String, Option<String>, Vec<Rejected>, Vec<String>);

/// Compressed bytes per summary below which a part's stored document count is not believed
/// (summaries compress to hundreds of bytes each): a damaged count must not size the list.
const MIN_PACKED_SUMMARY: usize = 8;

/// Decodes a part. `docs_hint` is how many summaries its `parts` row says it holds: the list is
/// sized once instead of grown summary by summary, which copied every summary about twice
/// (1.3% of a re-run's instructions). A wrong hint costs time, not correctness.
pub fn decode(bytes: &[u8], docs_hint: usize) -> Result<FileResult, CodecError> {
    let short = || CodecError::Short(bytes.len());
    let split = bytes.len().checked_sub(4).ok_or_else(short)?;
    let len = u32::from_le_bytes(bytes[split..].try_into().map_err(|_| short())?) as usize;
    let docs_end = split.checked_sub(len).ok_or_else(short)?;
    let (path, failed, rejected, warnings): Rest =
        postcard::from_bytes(&bytes[docs_end..split]).map_err(CodecError::Decode)?;
    let believable = docs_hint <= docs_end / MIN_PACKED_SUMMARY;
    let mut docs = Vec::with_capacity(if believable { docs_hint } else { 0 });
    let mut raw = Vec::new();
    let mut frames = &bytes[..docs_end];
    while !frames.is_empty() {
        let (len, rest) = frames.split_first_chunk::<4>().ok_or_else(short)?;
        let (raw_len, rest) = rest.split_first_chunk::<4>().ok_or_else(short)?;
        let len = u32::from_le_bytes(*len) as usize;
        let raw_len = u32::from_le_bytes(*raw_len) as usize;
        let frame = rest.get(..len).ok_or_else(short)?;
        frames = &rest[len..];
        // A block expands at most 255-fold: a damaged length must not size a huge buffer.
        if raw_len > len.saturating_mul(255) {
            return Err(CodecError::Claims {
                raw: raw_len,
                packed: len,
            });
        }
        raw.resize(raw_len, 0);
        let n = lz4_flex::block::decompress_into(frame, &mut raw)?;
        if n != raw_len {
            return Err(CodecError::Mismatch {
                said: raw_len,
                got: n,
            });
        }
        let mut summaries = &raw[..n];
        while !summaries.is_empty() {
            let (d, more) = postcard::take_from_bytes(summaries).map_err(CodecError::Decode)?;
            docs.push(d);
            summaries = more;
        }
    }
    Ok(FileResult {
        path,
        failed,
        rejected,
        warnings,
        docs,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(r: &FileResult) -> Vec<u8> {
        encode_part(encode_docs(&r.docs).unwrap(), r)
            .unwrap()
            .0
            .clone()
    }

    #[test]
    fn parts_come_back_as_they_were() {
        let doc = DocSummary {
            id: "in/a.jsonl#1".into(),
            path: "in/a.jsonl".into(),
            date: chrono::NaiveDate::from_ymd_opt(1987, 3, 2),
            date_source: crate::ingest::DateSource::Metadata,
            title: "China weighs tariffs".into(),
            hash: [7; 16],
            counts: vec![(0, 2), (1, 1)],
            cooc_sentences: vec![(1, 0, 1)],
            pairs: vec![(1, 0)],
            groups: vec![],
            evidence: vec![],
            names: {
                let mut names = crate::aggregate::DocNames::default();
                names.push("Nakasone", 10, 18, "Nakasone met Baker.", (0, 8));
                names.push("Baker", 23, 28, "Nakasone met Baker.", (13, 18));
                names
            },
            warnings: vec!["a warning of the document".into()],
        };
        let cases = [
            FileResult::default(),
            // Enough summaries for several frames.
            FileResult {
                path: "in/b.jsonl".into(),
                docs: vec![doc.clone(); 3 * FRAME / 100],
                ..Default::default()
            },
            FileResult {
                path: "in/a.jsonl".into(),
                failed: Some("binary data".into()),
                rejected: vec![Rejected {
                    path: "in/a.jsonl".into(),
                    record: Some(3),
                    reason: "invalid JSON".into(),
                }],
                warnings: vec!["a warning".into()],
                docs: vec![doc.clone(), doc],
                ..Default::default()
            },
        ];
        for r in cases {
            let bytes = encode(&r);
            assert_eq!(decode(&bytes, r.docs.len()).unwrap(), r);
            // The hint only sizes the list: none, a wrong one and a huge one decode the same.
            for hint in [0, r.docs.len() / 2 + 1, r.docs.len() + 7, usize::MAX] {
                assert_eq!(decode(&bytes, hint).unwrap(), r, "hint {hint}");
            }
            if r.docs.len() > 100 {
                // Several frames, and together smaller than the summaries' postcard.
                let raw = postcard::to_allocvec(&r.docs).unwrap();
                assert!(
                    bytes.len() * 4 < raw.len(),
                    "{} of {}",
                    bytes.len(),
                    raw.len()
                );
            }
        }
    }

    #[test]
    fn damaged_parts_are_errors_not_panics() {
        let good = encode(&FileResult {
            path: "in/a.txt".into(),
            warnings: vec!["a warning long enough to be worth cutting in two".into()],
            ..Default::default()
        });
        assert!(decode(&good, 0).is_ok());
        let mut long = good.clone();
        let n = long.len();
        long[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        // A part with one frame of summaries; its raw length sits at bytes 4..8.
        let one = encode(&FileResult {
            path: "in/a.txt".into(),
            docs: vec![DocSummary {
                id: "in/a.txt".into(),
                path: "in/a.txt".into(),
                date: None,
                date_source: crate::ingest::DateSource::Metadata,
                title: "A title".into(),
                hash: [0; 16],
                counts: vec![],
                cooc_sentences: vec![],
                pairs: vec![],
                groups: vec![],
                evidence: vec![],
                names: crate::aggregate::DocNames::default(),
                warnings: vec![],
            }],
            ..Default::default()
        });
        assert!(decode(&one, 1).is_ok());
        let raw_len = |bytes: &[u8], to: u32| {
            let mut b = bytes.to_vec();
            b[4..8].copy_from_slice(&to.to_le_bytes());
            b
        };
        let said = u32::from_le_bytes(one[4..8].try_into().unwrap());
        // (case, bytes, words the error must hold)
        let cases: [(&str, Vec<u8>, &str); 8] = [
            ("empty", vec![], "cut short"),
            ("three bytes", vec![1, 2, 3], "cut short"),
            ("truncated", good[..good.len() / 2].to_vec(), ""),
            ("rest longer than the part", long, "cut short"),
            ("not LZ4", vec![0xFF; 40], ""),
            // Checked before a buffer of that size is made.
            (
                "past what a block expands to",
                raw_len(&one, u32::MAX),
                "more than LZ4 makes",
            ),
            (
                "raw length short of the block",
                raw_len(&one, said - 1),
                "LZ4",
            ),
            (
                "raw length past the block",
                raw_len(&one, said + 1),
                "its header says",
            ),
        ];
        for (name, bytes, words) in cases {
            let e = decode(&bytes, usize::MAX).expect_err(name).to_string();
            assert!(e.contains(words), "{name}: {e}");
        }
    }
}
