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

    /// An independent re-implementation of the documented derivation, written from the
    /// SplitMix64 reference (Vigna, `splitmix64.c`): the sequential generator adds
    /// `GOLDEN_GAMMA` to its state and returns the mixed state; a stream's key is
    /// `mix64(mix64(seed ^ GAMMA) + purpose)` and draw `i` is the `(i + 1)`-th output of a
    /// sequential SplitMix64 started from the key.
    fn reference_splitmix64(mut state: u64, outputs: usize) -> Vec<u64> {
        (0..outputs)
            .map(|_| {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            })
            .collect()
    }

    #[test]
    fn draws_match_known_answers_and_a_sequential_splitmix64() {
        // The reference generator itself against SplitMix64's published first outputs from
        // state 0 (splitmix64.c, seed 0).
        assert_eq!(
            reference_splitmix64(0, 3),
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F
            ]
        );
        // A stream with key 0 is that generator in counter mode.
        assert_eq!(
            [Stream(0).bits(0), Stream(0).bits(1), Stream(0).bits(2)],
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F
            ]
        );
        // Known answers of Stream::new(seed, purpose).bits(i), computed once with an
        // independent implementation (Python, 64-bit wrapping arithmetic) of the derivation
        // documented above.
        let cases: [(u64, Purpose, [u64; 3]); 4] = [
            (
                0,
                Purpose::TaskFamily,
                [
                    0x01D6_14F7_4E2A_26C6,
                    0x31AC_E0C2_5711_9B01,
                    0xF486_3A88_41D3_433D,
                ],
            ),
            (
                7,
                Purpose::Difficulty,
                [
                    0x35A1_6ED3_431A_BEF0,
                    0x5A1F_6D32_6F32_66CC,
                    0xA9D6_F08E_1A33_04A9,
                ],
            ),
            (
                42,
                Purpose::Router,
                [
                    0x6CFE_95E9_4026_356F,
                    0x91A9_2C63_D721_B077,
                    0x4CD7_52B6_3415_A17F,
                ],
            ),
            (
                u64::MAX,
                Purpose::Synthesis,
                [
                    0x5506_4B49_68F1_A796,
                    0x5483_DA66_2967_124E,
                    0x59F0_D6FD_99A3_8611,
                ],
            ),
        ];
        for (seed, purpose, want) in cases {
            let s = Stream::new(seed, purpose);
            let got = [s.bits(0), s.bits(1), s.bits(1000)];
            assert_eq!(got, want, "seed {seed}, {purpose:?}");
            // The same draws from the sequential reference started at the stream's key,
            // `mix64(mix64(seed ^ GAMMA) + purpose)`, with the reference's own mixer.
            let mix = |x: u64| reference_splitmix64(x.wrapping_sub(0x9E37_79B9_7F4A_7C15), 1)[0];
            let key = mix(mix(seed ^ 0x9E37_79B9_7F4A_7C15).wrapping_add(purpose as u64));
            let seq = reference_splitmix64(key, 1001);
            assert_eq!(
                [seq[0], seq[1], seq[1000]],
                want,
                "seed {seed}, {purpose:?}"
            );
            // And every draw in between, in either order of evaluation.
            assert!((0..1001).rev().all(|i| s.bits(i) == seq[i as usize]));
        }
    }

    #[test]
    fn a_keyed_rng_draws_the_stream_at_consecutive_indices() {
        use rand::Rng;
        let s = Stream::new(9, Purpose::Synthesis).substream(3);
        let mut rng = KeyedRng::new(s);
        for i in 0..100 {
            assert_eq!(rng.next_u64(), s.bits(2 * i));
            // Drawing a u32 uses up index 2i + 1 (its high half).
            assert_eq!(rng.next_u32(), (s.bits(2 * i + 1) >> 32) as u32);
        }
        let mut rng = KeyedRng::new(s);
        assert!((0..100).all(|i| rng.unit() == s.unit(i)));
        // Bytes: little-endian words of consecutive draws, the last one cut short.
        let mut bytes = [0u8; 12];
        KeyedRng::new(s).fill_bytes(&mut bytes);
        assert_eq!(bytes[..8], s.bits(0).to_le_bytes());
        assert_eq!(bytes[8..], s.bits(1).to_le_bytes()[..4]);
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
