//! The safetensors file format: an 8-byte little-endian header length, a JSON header
//! naming each tensor's type, shape and byte range, then the raw data.

use std::collections::HashMap;

/// Largest header accepted; real headers are a few kilobytes.
const MAX_HEADER: u64 = 16 << 20;

struct Entry {
    dtype: String,
    shape: Vec<usize>,
    start: usize,
    end: usize,
}

/// The tensors of one file.
pub struct Tensors {
    data: Vec<u8>,
    base: usize,
    entries: HashMap<String, Entry>,
}

impl Tensors {
    pub fn parse(data: Vec<u8>) -> Result<Self, String> {
        let len_bytes: [u8; 8] = data
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or("shorter than its header")?;
        let header_len = u64::from_le_bytes(len_bytes);
        if header_len > MAX_HEADER || 8 + header_len as usize > data.len() {
            // (MAX_HEADER keeps the sum far from overflowing.)
            return Err(format!("header of {header_len} bytes does not fit the file"));
        }
        let base = 8 + header_len as usize;
        let header: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&data[8..base]).map_err(|e| format!("header: {e}"))?;
        let mut entries = HashMap::new();
        for (name, v) in header {
            if name == "__metadata__" {
                continue;
            }
            let dtype = v.get("dtype").and_then(|d| d.as_str()).unwrap_or_default();
            let shape: Vec<usize> = v
                .get("shape")
                .and_then(|s| s.as_array())
                .map(|s| s.iter().filter_map(|n| n.as_u64()).map(|n| n as usize).collect())
                .unwrap_or_default();
            let offsets: Vec<usize> = v
                .get("data_offsets")
                .and_then(|s| s.as_array())
                .map(|s| s.iter().filter_map(|n| n.as_u64()).map(|n| n as usize).collect())
                .unwrap_or_default();
            let [start, end] = offsets[..] else {
                return Err(format!("{name}: no data offsets"));
            };
            if start > end || base.checked_add(end).is_none_or(|e| e > data.len()) {
                return Err(format!("{name}: data past the end of the file"));
            }
            entries.insert(
                name,
                Entry {
                    dtype: dtype.to_string(),
                    shape,
                    start,
                    end,
                },
            );
        }
        Ok(Self { data, base, entries })
    }

    /// The tensor `name` (with or without a `bert.` prefix) as f32 values, checked to
    /// have `shape`.
    pub fn f32(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
        let entry = self
            .entries
            .get(name)
            .or_else(|| self.entries.get(&format!("bert.{name}")))
            .ok_or_else(|| format!("no tensor {name}"))?;
        if entry.shape != shape {
            return Err(format!("{name} has shape {:?}, expected {shape:?}", entry.shape));
        }
        let bytes = &self.data[self.base + entry.start..self.base + entry.end];
        let count: usize = shape.iter().product();
        match entry.dtype.as_str() {
            "F32" if bytes.len() == count * 4 => Ok(bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()),
            "F16" if bytes.len() == count * 2 => Ok(bytes
                .chunks_exact(2)
                .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect()),
            "BF16" if bytes.len() == count * 2 => Ok(bytes
                .chunks_exact(2)
                .map(|b| crate::bf16::to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect()),
            other => Err(format!(
                "{name}: type {other} with {} bytes is not read",
                bytes.len()
            )),
        }
    }
}

/// IEEE half precision to single.
fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: value is frac * 2^-24.
            let v = frac as f32 * f32::from_bits(0x3380_0000);
            return if sign != 0 { -v } else { v };
        }
        (0x1f, _) => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 112) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_f32_and_f16_and_refuses_what_does_not_fit() {
        let mut data = Vec::new();
        data.extend_from_slice(&1.5f32.to_le_bytes());
        data.extend_from_slice(&(-2.0f32).to_le_bytes());
        data.extend_from_slice(&0x3c00u16.to_le_bytes()); // 1.0 in half precision
        let t = Tensors::parse(file(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"bert.h":{"dtype":"F16","shape":[1],"data_offsets":[8,10]}}"#,
            &data,
        ))
        .unwrap();
        assert_eq!(t.f32("a", &[2]).unwrap(), [1.5, -2.0]);
        assert_eq!(t.f32("h", &[1]).unwrap(), [1.0]);
        assert!(t.f32("a", &[3]).unwrap_err().contains("shape"));
        assert!(t.f32("missing", &[1]).is_err());
        assert!(
            Tensors::parse(file(
                r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,80]}}"#,
                &data
            ))
            .is_err()
        );
        assert!(Tensors::parse(vec![0xff; 12]).is_err());
    }
}
