//! The seeded stream and the byte-level mutators every harness stacks on
//! top of its structure-aware ones.

/// A deterministic xorshift64 stream (reproducible from its seed).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        // Never zero (xorshift's fixed point); mix the seed a little.
        Rng((seed ^ 0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `p` percent.
    pub(crate) fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values that break parsers: boundaries, signs, NUL, high bytes.
const INTERESTING: [u8; 12] = [
    0, 1, 0x7f, 0x80, 0xff, b'0', b'7', b' ', b'/', b'.', b'"', b'\n',
];

/// Applies 1–4 random byte-level mutations to `data`, drawing inserted
/// tokens from `dict` and splice material from `others`.
pub(crate) fn bytes(rng: &mut Rng, data: &mut Vec<u8>, dict: &[&[u8]], others: &[&[u8]]) {
    for _ in 0..1 + rng.below(4) {
        let len = data.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = *rng.pick(&INTERESTING);
            }
            2 => {
                let i = rng.below(len + 1);
                let token = *rng.pick(dict);
                data.splice(i..i, token.iter().copied());
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                data.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let chunk = data[i..i + n].to_vec();
                let at = rng.below(len + 1);
                data.splice(at..at, chunk);
            }
            5 if len > 0 => data.truncate(rng.below(len)),
            6 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(16));
                let token = *rng.pick(dict);
                data.splice(i..i + n, token.iter().copied());
            }
            7 if !others.is_empty() => {
                let other = *rng.pick(others);
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - from).min(256));
                    let at = rng.below(len + 1);
                    data.splice(at..at, other[from..from + n].iter().copied());
                }
            }
            _ if len > 1 => {
                // Swap two bytes (reorders delimiters).
                let (i, j) = (rng.below(len), rng.below(len));
                data.swap(i, j);
            }
            _ => {
                let token = *rng.pick(dict);
                data.extend_from_slice(token);
            }
        }
    }
}

#[test]
fn the_stream_is_reproducible_and_mutations_change_things() {
    let (mut a, mut b) = (Rng::new(7), Rng::new(7));
    assert!((0..100).all(|_| a.next() == b.next()));
    let mut rng = Rng::new(1);
    let seed = b"schema_version = 1".to_vec();
    let changed = (0..100)
        .filter(|_| {
            let mut d = seed.clone();
            bytes(&mut rng, &mut d, &[b"x"], &[b"other"]);
            d != seed
        })
        .count();
    assert!(changed > 80, "{changed}");
}
