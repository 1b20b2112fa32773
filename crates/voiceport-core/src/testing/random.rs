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
        2..=4 => arbitrary_number(rng),
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

/// An arbitrary JSON number, drawn from one of fourteen classes picked evenly: small
/// integers (0 to 100, and -100 to -1), fractions (below 1000, positive and negative),
/// large fractions (1e6 to 1e12, either sign), epoch seconds and milliseconds (2017 to
/// 2036, whole and with a fraction), huge magnitudes (±1e15 to ±1e307, some of them whole
/// integers below 1e18), tiny ones (±1e-4 down to subnormals), `0.0` and `-0.0`, the
/// integer limits (`i64::MIN`, `i64::MAX`, `u64::MAX`, 2^53 ± 1, `i32`'s and `u32`'s), and
/// any finite `f64` bit pattern. (A `Value` cannot hold a non-finite number.)
///
/// Classes rather than random bits, which are nearly all tiny or huge: the values a mapper
/// misreads (a negative duration, seconds taken for milliseconds, an integer past `i64`) each
/// come up often.
pub fn arbitrary_number(rng: &mut Rng) -> Value {
    match rng.below(14) {
        0 => Value::from(rng.below(101) as u64),
        1 => Value::from(-1 - rng.below(100) as i64),
        2 => Value::from(rng.below(1000) as f64 + fraction(rng)),
        3 => Value::from(-(rng.below(1000) as f64 + fraction(rng))),
        4 => {
            let whole = scientific(rng, 6..=11).abs().trunc();
            Value::from(sign(rng) * (whole + fraction(rng)))
        }
        5 => Value::from(epoch_seconds(rng)),
        6 => Value::from(epoch_seconds(rng) as f64 + fraction(rng)),
        7 => Value::from(epoch_seconds(rng) * 1000 + rng.below(1000) as u64),
        8 => Value::from((epoch_seconds(rng) * 1000) as f64 + fraction(rng)),
        9 => {
            let huge = scientific(rng, 15..=307);
            // Some whole ones, within what an `i64` holds.
            if huge.abs() < 1e18 && rng.below(2) == 0 {
                Value::from(huge as i64)
            } else {
                Value::from(huge)
            }
        }
        10 => Value::from(scientific(rng, -320..=-4)),
        11 => Value::from(if rng.below(2) == 0 { 0.0 } else { -0.0 }),
        12 => {
            const LIMITS: [i128; 10] = [
                i64::MIN as i128,
                i64::MIN as i128 + 1,
                i64::MAX as i128,
                u64::MAX as i128,
                1 << 53,
                (1 << 53) + 1,
                -(1 << 53) - 1,
                i32::MIN as i128,
                i32::MAX as i128,
                u32::MAX as i128,
            ];
            let limit = LIMITS[rng.below(LIMITS.len())];
            match i64::try_from(limit) {
                Ok(signed) => Value::from(signed),
                Err(_) => Value::from(limit as u64),
            }
        }
        _ => loop {
            let any = f64::from_bits(rng.next_u64());
            if any.is_finite() {
                break Value::from(any);
            }
        },
    }
}

/// 1 or -1.
fn sign(rng: &mut Rng) -> f64 {
    if rng.below(2) == 0 { 1.0 } else { -1.0 }
}

/// A fraction in (0, 1) that is never whole, even added to 2e12.
fn fraction(rng: &mut Rng) -> f64 {
    (rng.below(1000) as f64 + 0.5) / 1000.0
}

/// A moment from 2017 to 2036, in seconds since the epoch.
fn epoch_seconds(rng: &mut Rng) -> u64 {
    1_500_000_000 + rng.below(600_000_000) as u64
}

/// ±m × 10^e, e in `exponents`, m in [1, 10), parsed from its text so that extreme
/// exponents neither overflow nor flush to zero on the way.
fn scientific(rng: &mut Rng, exponents: std::ops::RangeInclusive<i32>) -> f64 {
    let span = (exponents.end() - exponents.start()) as usize + 1;
    let exponent = exponents.start() + rng.below(span) as i32;
    let mantissa = 1.0 + rng.below(9000) as f64 / 1000.0;
    let value: f64 = format!("{mantissa}e{exponent}").parse().unwrap_or(0.0);
    sign(rng) * value
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

/// `count` mutants of `value`: in each, a few nodes are replaced with arbitrary JSON (a
/// number, half the time, with another number), removed, or emptied. The structure around
/// them is kept, so the mutants reach deep into the mapper rather than failing at the first
/// field.
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
            // Another number where one is read: past the type check, into the arithmetic.
            1 | 2 if value.is_number() => arbitrary_number(rng),
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

    type NumberClass = fn(&Value) -> bool;

    /// The classes of numbers a mapper can misread, each told by the value alone.
    fn number_classes() -> Vec<(&'static str, NumberClass)> {
        fn float(v: &Value) -> Option<f64> {
            v.is_f64().then(|| v.as_f64()).flatten()
        }
        fn fractional(v: &Value, low: f64, high: f64) -> bool {
            float(v).is_some_and(|x| x.fract() != 0.0 && low <= x && x < high)
        }
        vec![
            ("small positive integer", |v| {
                v.as_u64().is_some_and(|n| (1..=100).contains(&n))
            }),
            ("small negative integer", |v| {
                v.as_i64().is_some_and(|n| (-100..0).contains(&n))
            }),
            ("positive fraction", |v| fractional(v, 0.0, 1e3)),
            ("negative fraction", |v| fractional(v, -1e3, 0.0)),
            ("large positive fraction", |v| fractional(v, 1e6, 1e12)),
            ("large negative fraction", |v| fractional(v, -1e12, -1e6)),
            ("epoch seconds", |v| {
                v.as_u64()
                    .is_some_and(|n| (1_500_000_000..2_100_000_000).contains(&n))
            }),
            ("epoch seconds with a fraction", |v| {
                fractional(v, 1.5e9, 2.1e9)
            }),
            ("epoch milliseconds", |v| {
                v.as_u64()
                    .is_some_and(|n| (1_500_000_000_000..2_100_000_000_000).contains(&n))
            }),
            ("epoch milliseconds with a fraction", |v| {
                fractional(v, 1.5e12, 2.1e12)
            }),
            ("huge whole integer", |v| {
                v.as_i64()
                    .is_some_and(|n| n.unsigned_abs() >= 1_000_000_000_000_000)
                    && v.as_i64() != Some(i64::MIN)
                    && v.as_i64() != Some(i64::MAX)
            }),
            ("huge positive float", |v| {
                float(v).is_some_and(|x| (1e15..1e300).contains(&x))
            }),
            ("huge negative float", |v| {
                float(v).is_some_and(|x| (-1e300..=-1e15).contains(&x))
            }),
            ("beyond 1e300", |v| {
                float(v).is_some_and(|x| x.abs() >= 1e300)
            }),
            ("tiny", |v| {
                float(v).is_some_and(|x| x != 0.0 && x.abs() < 1e-4)
            }),
            ("subnormal", |v| float(v).is_some_and(f64::is_subnormal)),
            ("0.0", |v| {
                float(v).is_some_and(|x| x == 0.0 && x.is_sign_positive())
            }),
            ("-0.0", |v| {
                float(v).is_some_and(|x| x == 0.0 && x.is_sign_negative())
            }),
            ("i64::MIN", |v| v.as_i64() == Some(i64::MIN)),
            ("i64::MAX", |v| v.as_i64() == Some(i64::MAX)),
            ("u64::MAX", |v| v.as_u64() == Some(u64::MAX)),
            ("2^53 + 1", |v| v.as_u64() == Some((1 << 53) + 1)),
        ]
    }

    /// The numbers of `value`, at any depth.
    fn numbers(value: &Value, into: &mut Vec<Value>) {
        match value {
            Value::Number(_) => into.push(value.clone()),
            Value::Array(items) => items.iter().for_each(|item| numbers(item, into)),
            Value::Object(map) => map.values().for_each(|item| numbers(item, into)),
            _ => {}
        }
    }

    #[test]
    fn arbitrary_json_has_numbers_of_every_class() {
        let mut rng = Rng::new(11);
        let mut found = Vec::new();
        for _ in 0..5_000 {
            numbers(&arbitrary_json(&mut rng, 3), &mut found);
        }
        for (class, is) in number_classes() {
            let count = found.iter().filter(|v| is(v)).count();
            assert!(count > 0, "no {class} among {} numbers", found.len());
        }
    }

    /// A mutant's number is often another number, of any class.
    #[test]
    fn mutants_put_numbers_of_every_class_where_numbers_were() {
        let value = serde_json::json!({"duration": 12, "cost": 0.5});
        let mut found = Vec::new();
        for mutant in mutations(&value, 3, 5_000) {
            for field in ["duration", "cost"] {
                // Only changed numbers: the fixture's own would pass for two classes.
                let changed = mutant
                    .get(field)
                    .filter(|v| v.is_number() && *v != &value[field]);
                if let Some(number) = changed {
                    found.push(number.clone());
                }
            }
        }
        for (class, is) in number_classes() {
            assert!(
                found.iter().any(is),
                "no {class} among {} numbers",
                found.len()
            );
        }
    }
}
