//! Reproducible random JSON: arbitrary values and mutants of a fixture.
//!
//! A tiny xorshift generator keeps the cases reproducible from a seed without pulling a
//! property-testing framework into the tree.

use serde_json::{Map, Value};

/// A reproducible pseudo-random source.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value; 0 is remapped).
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }
}

/// An arbitrary JSON value, at most `depth` levels deep.
pub fn arbitrary_json(rng: &mut Rng, depth: u32) -> Value {
    let choice = if depth == 0 {
        rng.below(6)
    } else {
        rng.below(8)
    };
    match choice {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 1),
        2 => Value::from(rng.next_u64() as i64),
        3 => Value::from(f64::from_bits(rng.next_u64() >> 2)),
        4 => Value::from(-(rng.below(1_000_000) as i64)),
        5 => Value::String(arbitrary_string(rng)),
        6 => Value::Array(
            (0..rng.below(4))
                .map(|_| arbitrary_json(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                map.insert(arbitrary_string(rng), arbitrary_json(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

fn arbitrary_string(rng: &mut Rng) -> String {
    const PIECES: [&str; 12] = [
        "",
        "a",
        "Completed",
        "ended",
        "2026-13-45T99:99:99Z",
        "-1",
        "é🙂",
        "\u{0}",
        "null",
        "1e309",
        "In progress",
        "customer-did-not-answer",
    ];
    PIECES[rng.below(PIECES.len())].to_owned()
}

/// `count` mutants of `value`: in each, a few nodes are replaced with arbitrary JSON,
/// removed, or emptied. The structure around them is kept, so the mutants reach deep
/// into the mapper rather than failing at the first field.
pub fn mutations(value: &Value, seed: u64, count: usize) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let mut mutant = value.clone();
            for _ in 0..1 + rng.below(3) {
                let nodes = count_nodes(&mutant);
                let target = rng.below(nodes);
                mutate_nth(&mut mutant, target, &mut rng);
            }
            mutant
        })
        .collect()
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Mutates the node at pre-order index `target`; returns how many nodes were passed.
fn mutate_nth(value: &mut Value, target: usize, rng: &mut Rng) -> usize {
    if target == 0 {
        *value = match rng.below(4) {
            0 => Value::Null,
            1 => match value {
                Value::Object(map) if !map.is_empty() => {
                    let mut map = map.clone();
                    let key = map
                        .keys()
                        .nth(rng.below(map.len()))
                        .cloned()
                        .unwrap_or_default();
                    map.remove(&key);
                    Value::Object(map)
                }
                Value::Array(items) => {
                    Value::Array(items.iter().take(items.len() / 2).cloned().collect())
                }
                _ => Value::Null,
            },
            _ => arbitrary_json(rng, 2),
        };
        return usize::MAX;
    }
    let mut passed = 1;
    let children: Vec<&mut Value> = match value {
        Value::Array(items) => items.iter_mut().collect(),
        Value::Object(map) => map.values_mut().collect(),
        _ => Vec::new(),
    };
    for child in children {
        let used = mutate_nth(child, target - passed, rng);
        if used == usize::MAX {
            return usize::MAX;
        }
        passed += used;
    }
    passed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_reproducible_and_different() {
        let value = serde_json::json!({"a": [1, 2, {"b": "c"}], "d": null, "e": {"f": true}});
        let first = mutations(&value, 7, 20);
        assert_eq!(first, mutations(&value, 7, 20));
        assert!(first.iter().any(|m| m != &value));
        assert_ne!(first, mutations(&value, 8, 20));
    }
}
