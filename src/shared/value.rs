//! Values of a shared cache: bytes in one allocation, off the V8 heap.
//!
//! A value is `[header][payload]` in a single `Arc<[u8]>`: the header byte
//! holds the kind and two flags; a per-entry time to live and time to idle
//! follow when set (milliseconds, `f64`). Strings are stored as Latin-1 when
//! every UTF-16 unit fits in a byte, as UTF-16 otherwise (exact, lone
//! surrogates included); `Uint8Array`s and `Buffer`s as their bytes; anything
//! else arrives serialized by the JS layer. `get` hands out a copy: a value is
//! never exposed as memory JS could write while another thread reads it.

use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::time::Duration;

use triomphe::{Arc, UniqueArc};

use napi::sys::{self, napi_value};

use super::js::EnvExt;
use crate::expiry::EntryDeadlines;
use crate::ffi::{range_error, type_error, Env, JsError, JsResult};

/// Value kinds, as the JS layer passes and receives them.
pub const STRING: u8 = 0;
const UTF16: u8 = 1;
pub const BYTES: u8 = 2;
pub const BUFFER: u8 = 3;
pub const SERIALIZED: u8 = 4;

const KIND_MASK: u8 = 0x0f;
const HAS_TTL: u8 = 0x10;
const HAS_TTI: u8 = 0x20;

#[derive(Clone)]
pub struct Value(Arc<[u8]>);

/// Per-entry deadlines in milliseconds, as validated by the caller.
#[derive(Clone, Copy, Default)]
pub struct EntryTimes {
    pub ttl: Option<f64>,
    pub tti: Option<f64>,
}

thread_local! {
    /// Scratch space for reading string values (no allocation per `set`).
    static UNITS: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

impl Value {
    fn header_len(&self) -> usize {
        let flags = self.0[0];
        1 + 8 * ((flags & HAS_TTL != 0) as usize + (flags & HAS_TTI != 0) as usize)
    }

    pub fn kind(&self) -> u8 {
        self.0[0] & KIND_MASK
    }

    pub fn payload(&self) -> &[u8] {
        &self.0[self.header_len()..]
    }

    /// The very same stored value (not merely equal bytes).
    pub fn same(&self, other: &Value) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    fn time(&self, flag: u8, at: usize) -> Option<Duration> {
        if self.0[0] & flag == 0 {
            return None;
        }
        let bytes: [u8; 8] = self.0[at..at + 8].try_into().ok()?;
        Duration::try_from_secs_f64(f64::from_le_bytes(bytes) / 1000.0).ok()
    }

    /// Builds a value of `len` payload bytes written by `fill`.
    pub fn build(
        kind: u8,
        times: EntryTimes,
        len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> JsResult<Value> {
        let mut flags = kind;
        let mut header = vec![0u8];
        for (flag, ms) in [(HAS_TTL, times.ttl), (HAS_TTI, times.tti)] {
            if let Some(ms) = ms {
                flags |= flag;
                header.extend_from_slice(&ms.to_le_bytes());
            }
        }
        header[0] = flags;
        let total = header.len() + len;
        // A value too large to allocate is a RangeError, not an abort.
        let mut uninit = UniqueArc::<[MaybeUninit<u8>]>::try_new_uninit_slice(total)
            .or_else(|_| range_error(format!("cannot allocate a value of {total} bytes")))?;
        uninit.fill(MaybeUninit::new(0));
        // SAFETY: every byte was just initialized.
        let mut bytes = unsafe { UniqueArc::assume_init_slice(uninit) };
        bytes[..header.len()].copy_from_slice(&header);
        fill(&mut bytes[header.len()..]);
        Ok(Value(bytes.shareable()))
    }

    /// Reads a JS value of `kind` (see the constants): a string for `STRING`,
    /// a `Uint8Array` for the others (the serialized bytes for `SERIALIZED`).
    pub fn read(env: Env, value: napi_value, kind: u8, times: EntryTimes) -> JsResult<Value> {
        match kind {
            STRING => {
                if env.type_of(value)? != sys::ValueType::napi_string {
                    return type_error("value of kind string must be a string");
                }
                UNITS.with(|units| {
                    let mut units = units
                        .try_borrow_mut()
                        .map_err(|_| JsError::Internal("string scratch in use".into()))?;
                    env.string_utf16(value, &mut units)?;
                    if units.iter().all(|&u| u < 0x100) {
                        Value::build(STRING, times, units.len(), |out| {
                            for (o, u) in out.iter_mut().zip(units.iter()) {
                                *o = *u as u8;
                            }
                        })
                    } else {
                        Value::build(UTF16, times, 2 * units.len(), |out| {
                            for (o, u) in out.chunks_exact_mut(2).zip(units.iter()) {
                                o.copy_from_slice(&u.to_le_bytes());
                            }
                        })
                    }
                })
            }
            BYTES | BUFFER | SERIALIZED => env.read_uint8_array(value, "value", |len, copy| {
                Value::build(kind, times, len, copy)
            }),
            _ => range_error(format!("unknown value kind {kind}")),
        }
    }

    /// A new JS value holding a copy: a string, a `Uint8Array`, a `Buffer`,
    /// or an `ArrayBuffer` of serialized bytes for the JS layer to decode.
    pub fn to_js(&self, env: Env) -> JsResult<napi_value> {
        let payload = self.payload();
        match self.kind() {
            STRING => env.string_latin1(payload),
            UTF16 => env.string_from_utf16_le(payload),
            BYTES => env.uint8_array_copy(payload),
            BUFFER => env.buffer_copy(payload),
            _ => env.arraybuffer_copy(payload),
        }
    }
}

impl EntryDeadlines for Value {
    fn ttl(&self) -> Option<Duration> {
        self.time(HAS_TTL, 1)
    }

    fn tti(&self) -> Option<Duration> {
        let at = if self.0[0] & HAS_TTL != 0 { 9 } else { 1 };
        self.time(HAS_TTI, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_carries_kind_and_deadlines() {
        let plain = Value::build(BYTES, EntryTimes::default(), 3, |b| {
            b.copy_from_slice(b"abc")
        })
        .unwrap();
        assert_eq!(plain.kind(), BYTES);
        assert_eq!(plain.payload(), b"abc");
        assert_eq!((plain.ttl(), plain.tti()), (None, None));

        let both = EntryTimes {
            ttl: Some(1500.0),
            tti: Some(250.0),
        };
        let v = Value::build(SERIALIZED, both, 2, |b| b.copy_from_slice(b"xy")).unwrap();
        assert_eq!(v.kind(), SERIALIZED);
        assert_eq!(v.payload(), b"xy");
        assert_eq!(v.ttl(), Some(Duration::from_millis(1500)));
        assert_eq!(v.tti(), Some(Duration::from_millis(250)));

        let idle = Value::build(
            STRING,
            EntryTimes {
                ttl: None,
                tti: Some(10.0),
            },
            0,
            |_| {},
        )
        .unwrap();
        assert_eq!(
            (idle.ttl(), idle.tti()),
            (None, Some(Duration::from_millis(10)))
        );
        assert!(idle.payload().is_empty());
    }

    #[test]
    fn sameness_is_identity() {
        let a = Value::build(BYTES, EntryTimes::default(), 1, |b| b[0] = 1).unwrap();
        let b = Value::build(BYTES, EntryTimes::default(), 1, |b| b[0] = 1).unwrap();
        assert!(a.same(&a.clone()));
        assert!(!a.same(&b));
    }
}
