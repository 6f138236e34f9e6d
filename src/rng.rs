//! Keyed, counter-based random draws (common random numbers).
//!
//! Every random quantity in a run is a pure function of `(seed, purpose, index...)`, never of
//! the order in which queries are visited. That gives the two properties the design relies on:
//!
//! * **Common random numbers.** Query attributes (task family, difficulty, per-model noise) are
//!   keyed by `(seed, query index)` alone, so every sweep point sees the same queries and the
//!   difference between two points is caused by the setting that differs, not by noise.
//! * **Determinism across threads and shards.** A chunk of queries can be evaluated on any thread
//!   in any order and produce the same draws.
//!
//! The generator is SplitMix64 (Steele, Lea & Flood, OOPSLA 2014) used in counter mode: the
//! `i`-th output of a SplitMix64 stream is `mix64(state0 + (i + 1) * GOLDEN_GAMMA)`, so any
//! element can be computed directly. SplitMix64 passes BigCrush; here each key gets its own
//! stream through a second mixing step, as in `java.util.SplittableRandom`.

/// Weyl increment of SplitMix64 (the odd integer closest to 2^64 / golden ratio).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function (variant 13 of Stafford's mixers).
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What a draw is for. Each purpose gets an independent stream, so adding a new kind of draw
/// never shifts the values of existing ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Which task family a query belongs to.
    TaskFamily = 1,
    /// The query's latent difficulty (shared by all models).
    Difficulty = 2,
    /// Per (query, model family) capability noise.
    FamilyNoise = 3,
    /// Per (query, model) capability noise (the optional non-nested term).
    ModelNoise = 4,
    /// Thinning and replication coins of a rate-scaled trace, keyed by source row.
    Thinning = 6,
    /// Synthetic trace generation, keyed by window.
    Synthesis = 7,
    /// The router's own coin flips, keyed by query (shared by all points, see `router`).
    Router = 5,
    /// Which user (and so which local device) a query belongs to, keyed by query.
    Affinity = 8,
}

/// A stream key: seed and purpose (and optionally a sub-key such as a model index or a sweep
/// point) folded into one 64-bit state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream(u64);

impl Stream {
    /// The stream for `purpose` under `seed`.
    pub fn new(seed: u64, purpose: Purpose) -> Self {
        Stream(mix64(
            mix64(seed ^ GOLDEN_GAMMA).wrapping_add(purpose as u64),
        ))
    }

    /// A sub-stream, e.g. one per model or per sweep point.
    pub fn substream(self, key: u64) -> Self {
        Stream(mix64(self.0 ^ mix64(key.wrapping_add(GOLDEN_GAMMA))))
    }

    /// The `index`-th 64-bit output of this stream.
    #[inline]
    pub fn bits(self, index: u64) -> u64 {
        mix64(
            self.0
                .wrapping_add(index.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA)),
        )
    }

    /// The `index`-th draw as a uniform number in the open interval (0, 1): 53 random bits,
    /// offset by half a step so that 0 and 1 never occur (safe for inverse CDFs).
    #[inline]
    pub fn unit(self, index: u64) -> f64 {
        ((self.bits(index) >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// The `index`-th draw as a standard normal, by inverse CDF (so one uniform gives one normal
    /// and the mapping is monotone: useful for reasoning about nested capability).
    #[inline]
    pub fn normal(self, index: u64) -> f64 {
        crate::stats::norm_inv(self.unit(index))
    }
}

/// A sequential generator over one keyed stream, for `rand_distr` samplers: its `i`-th output is
/// `stream.bits(i)`, so a window of a synthetic trace can be regenerated from its key alone.
#[derive(Debug)]
pub struct KeyedRng {
    stream: Stream,
    next: u64,
}

impl KeyedRng {
    pub fn new(stream: Stream) -> Self {
        KeyedRng { stream, next: 0 }
    }

    /// A uniform draw in (0, 1), advancing the generator.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        self.next += 1;
        self.stream.unit(self.next - 1)
    }
}

impl rand::TryRng for KeyedRng {
    type Error = std::convert::Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.next += 1;
        Ok(self.stream.bits(self.next - 1))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let b = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_depend_only_on_key_and_index() {
        let s = Stream::new(7, Purpose::Difficulty);
        let forward: Vec<f64> = (0..100).map(|i| s.unit(i)).collect();
        let backward: Vec<f64> = (0..100).rev().map(|i| s.unit(i)).collect();
        let mut b = backward.clone();
        b.reverse();
        assert_eq!(forward, b);
    }

    #[test]
    fn purposes_and_seeds_give_different_streams() {
        let a = Stream::new(1, Purpose::Difficulty);
        let b = Stream::new(1, Purpose::Router);
        let c = Stream::new(2, Purpose::Difficulty);
        assert_ne!(a.bits(0), b.bits(0));
        assert_ne!(a.bits(0), c.bits(0));
        assert_ne!(a.substream(1).bits(0), a.substream(2).bits(0));
    }

    #[test]
    fn uniform_draws_are_in_the_open_unit_interval_with_the_right_moments() {
        let s = Stream::new(42, Purpose::TaskFamily);
        let n = 200_000u64;
        let (mut sum, mut sum2) = (0.0, 0.0);
        for i in 0..n {
            let u = s.unit(i);
            assert!(u > 0.0 && u < 1.0);
            sum += u;
            sum2 += u * u;
        }
        let mean = sum / n as f64;
        let var = sum2 / n as f64 - mean * mean;
        assert!((mean - 0.5).abs() < 0.003, "mean {mean}");
        assert!((var - 1.0 / 12.0).abs() < 0.002, "var {var}");
    }

    #[test]
    fn normal_draws_have_unit_variance() {
        let s = Stream::new(3, Purpose::FamilyNoise);
        let n = 200_000u64;
        let xs: Vec<f64> = (0..n).map(|i| s.normal(i)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
    }
}
