//! Deterministic mixing: the FNV-1a hash and the SplitMix64 step.
//!
//! Written out rather than taken from a crate: each is a published algorithm
//! of a few lines, and committed notebook outputs (the mock LLM's seeded
//! failures, its embeddings, the busy loop's checksum) depend on their exact
//! numbers, which a dependency (`rand` in particular) does not promise to keep
//! across versions.

/// SplitMix64's increment, the golden ratio in 64 bits.
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// One SplitMix64 output for `state`: a fast, well-spread 64-bit mix.
#[inline]
pub(crate) fn splitmix64(state: u64) -> u64 {
    let mut z = state.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The state SplitMix64 moves to after `state`.
#[inline]
pub(crate) fn splitmix64_next(state: u64) -> u64 {
    state.wrapping_add(GOLDEN_GAMMA)
}

/// The 64-bit FNV-1a hash of `bytes`.
#[cfg_attr(not(feature = "llm"), allow(dead_code))]
pub(crate) fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_the_published_reference_values() {
        // FNV-1a test vectors, and SplitMix64's first output for seed 0.
        assert_eq!(fnv1a(*b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(*b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
    }
}
