//! How a stored result part is laid out in `parts.result`.
//!
//! A part is a `FileResult` (path, failure, rejections, warnings, document summaries) in
//! postcard, compressed with Snappy: a re-run decodes hundreds of megabytes of these, so the
//! format is chosen for encoding and decoding speed (several times JSON's) and size (summaries
//! repeat paths and sentences, which Snappy folds cheaply). Nobody reads these bytes but
//! newstrack, and only the build that wrote them (the state's settings key names the build),
//! so the format carries no version of its own. Owns no SQL.

use crate::pipeline::FileResult;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("cannot encode a result: {0}")]
    Encode(postcard::Error),
    #[error("stored result: Snappy: {0}")]
    Snappy(#[from] snap::Error),
    #[error("stored result cannot be decoded: {0}")]
    Decode(postcard::Error),
}

/// Encodes one part; `scratch` is reused between calls to spare an allocation per part.
pub fn encode(r: &FileResult, scratch: &mut Vec<u8>) -> Result<Vec<u8>, CodecError> {
    scratch.clear();
    let raw = postcard::to_extend(r, std::mem::take(scratch)).map_err(CodecError::Encode)?;
    let out = snap::raw::Encoder::new().compress_vec(&raw);
    *scratch = raw;
    Ok(out?)
}

pub fn decode(bytes: &[u8]) -> Result<FileResult, CodecError> {
    let raw = snap::raw::Decoder::new().decompress_vec(bytes)?;
    postcard::from_bytes(&raw).map_err(CodecError::Decode)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn damaged_parts_are_errors_not_panics() {
        let mut scratch = Vec::new();
        let good = encode(
            &FileResult {
                path: "in/a.txt".into(),
                warnings: vec!["a warning long enough to be worth cutting in two".into()],
                ..Default::default()
            },
            &mut scratch,
        )
        .unwrap();
        assert!(decode(&good).is_ok());
        let cases: [(&str, Vec<u8>); 3] = [
            ("empty", vec![]),
            ("truncated", good[..good.len() / 2].to_vec()),
            ("not snappy", vec![0xFF; 40]),
        ];
        for (name, bytes) in cases {
            assert!(decode(&bytes).is_err(), "{name}");
        }
    }
}
