//! SSE2 byte classes shared by the code that reads text sixteen bytes at a time: the
//! splitter (`analyze::fast`), the duplicate hash (`ingest::clean`) and the JSON string
//! reader (`ingest::json::flat`). Owns only the lane masks; what a class means to each
//! reader, and the byte-at-a-time definitions the vector code is tested against, stay with
//! the reader. x86_64 only (SSE2 is its baseline); other targets take the readers'
//! byte-at-a-time paths.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_or_si128,
    _mm_set1_epi8,
};

/// The lanes of `v` holding a byte in `lo..=hi`, for bounds within `0x00..=0x7E`. The
/// compares are signed: bytes from 0x80 are negative and fall outside every such range.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn between(v: __m128i, lo: i8, hi: i8) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline; these touch no memory.
    unsafe {
        _mm_and_si128(
            _mm_cmpgt_epi8(v, _mm_set1_epi8(lo - 1)),
            _mm_cmplt_epi8(v, _mm_set1_epi8(hi + 1)),
        )
    }
}

/// The lanes of `v` holding ASCII whitespace as `char::is_whitespace` has it: tab, newline,
/// vertical tab, form feed, carriage return, space.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn ascii_space(v: __m128i) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline; these touch no memory.
    unsafe {
        _mm_or_si128(
            between(v, 0x09, 0x0D),
            _mm_cmpeq_epi8(v, _mm_set1_epi8(0x20)),
        )
    }
}

/// The lanes of `v` that end a run of plain JSON string text: `"`, `\\` or a control
/// character (0x00-0x1F).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn json_special(v: __m128i) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline; these touch no memory.
    unsafe {
        _mm_or_si128(
            _mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)),
            ),
            between(v, 0x00, 0x1F),
        )
    }
}
