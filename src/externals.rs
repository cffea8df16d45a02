//! Native objects handed to JS as `External`s, for functions shared by all
//! of them.
//!
//! One set of native functions serves every cache of a kind: the cache is
//! their first argument, so that each JS call site calls one function
//! whatever the cache (a function per cache made every call site that sees
//! several caches polymorphic). A native function may be handed any value,
//! another addon's `External` included, so an `External` carries an id
//! (index and generation into this table, scrambled with the table's own
//! address so that an id of another table reads as none of this one's) and
//! never a pointer: the id is checked before anything is dereferenced, and
//! a wrong argument is a `TypeError`. An object stays in the table until its `External` is
//! collected (or the environment torn down), so a live `External` always
//! finds its object.

use std::cell::RefCell;
use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::ptr;
use std::rc::Rc;

use napi::sys::{self, napi_env, napi_value};

use crate::ffi::{napi_call, type_error, Args, Env, JsResult};

/// Bits of an id that hold the index; the rest hold the generation.
const INDEX_BITS: u32 = usize::BITS / 2;

/// A fast id (see [`Externals::fast_id`]): the table's serial, then the
/// generation's low bits, then the index, in the 53 bits a double holds
/// exactly.
const FAST_INDEX_BITS: u32 = 20;
const FAST_GENERATION_BITS: u32 = 17;
const FAST_SERIAL_BITS: u32 = 53 - FAST_INDEX_BITS - FAST_GENERATION_BITS;

thread_local! {
    /// The serial the next table made on this thread takes.
    static NEXT_SERIAL: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

struct Slot<T> {
    /// Bumped each time the slot is emptied, so that an old id misses.
    generation: usize,
    /// Boxed: a reference to it stays valid while the table grows.
    object: Option<Box<T>>,
}

/// The objects of one kind in one environment (thread).
pub struct Externals<T> {
    slots: RefCell<Vec<Slot<T>>>,
    free: RefCell<Vec<usize>>,
    /// What a wrong argument should have been, for its `TypeError`.
    what: &'static str,
    /// This table's number among the tables made on its thread, which
    /// tells its fast ids from another's (the addon initialized twice in
    /// one environment makes two tables there).
    serial: u32,
}

impl<T: 'static> Externals<T> {
    pub fn new(what: &'static str) -> Rc<Self> {
        Rc::new(Externals {
            slots: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
            what,
            serial: NEXT_SERIAL.with(|next| {
                let serial = next.get();
                next.set(serial.saturating_add(1));
                serial
            }),
        })
    }

    /// A new `External` for `object`, which the table holds until the
    /// `External` is collected.
    pub fn external(self: &Rc<Self>, env: Env, object: T) -> JsResult<napi_value> {
        let index = self.free.borrow_mut().pop();
        let mut slots = self.slots.borrow_mut();
        let index = match index {
            Some(i) => i,
            None if slots.len() < (1 << INDEX_BITS) - 1 => {
                slots.push(Slot {
                    // Generation 0 is never used: a null `External` is no id.
                    generation: 1,
                    object: None,
                });
                slots.len() - 1
            }
            None => return type_error(format!("too many {}s alive at once", self.what)),
        };
        let slot = &mut slots[index];
        slot.object = Some(Box::new(object));
        let id = (slot.generation << INDEX_BITS | index) ^ self.salt();
        drop(slots);
        let owner = Rc::into_raw(Rc::clone(self)) as *mut c_void;
        let mut value = ptr::null_mut();
        let created = napi_call!(
            env,
            napi_create_external(id as *mut c_void, Some(finalize::<T>), owner, &mut value)
        );
        if let Err(e) = created {
            // SAFETY: no finalizer took `owner`; reclaim it once.
            drop(unsafe { Rc::from_raw(owner as *const Self) });
            self.remove(id);
            return Err(e);
        }
        Ok(value)
    }

    /// The object `value` (an `External` this table made) stands for;
    /// anything else is a `TypeError`.
    ///
    /// # Safety
    /// `value` is an argument of the native call being run, which the
    /// returned reference does not outlive. (An object leaves the table only
    /// when its `External` is collected, and an argument stays reachable
    /// until the call returns; the object is boxed, so the table may grow
    /// meanwhile.)
    #[inline(always)]
    pub unsafe fn get<'call>(&self, env: Env, value: napi_value) -> JsResult<&'call T> {
        let mut id = MaybeUninit::<*mut c_void>::uninit();
        let status = napi_call!(status env, napi_get_value_external(value, id.as_mut_ptr()));
        if status == sys::Status::napi_ok {
            // SAFETY: the call succeeded, so it wrote the id.
            let id = unsafe { id.assume_init() };
            if let Some(object) = self.find(id as usize) {
                // SAFETY: see the function's contract.
                return Ok(unsafe { &*object });
            }
        } else if status != sys::Status::napi_invalid_arg {
            env.check(status, "napi_get_value_external")?;
        }
        self.not_one()
    }

    /// The fast id of the object `value` (an `External` this table made)
    /// stands for: a number for callers that cannot read the `External`
    /// (see `fast`), unique among the live objects of every table of this
    /// thread. `Ok(None)` for anything else; `Ok(Some(None))` for an object
    /// that has none (an index or a serial beyond a fast id's bits: more
    /// than a million objects at once, or tables made on this thread).
    pub fn fast_id(&self, env: Env, value: napi_value) -> JsResult<Option<Option<u64>>> {
        let mut id: *mut c_void = ptr::null_mut();
        match napi_call!(status env, napi_get_value_external(value, &mut id)) {
            sys::Status::napi_ok => {}
            sys::Status::napi_invalid_arg => return Ok(None),
            status => env.check(status, "napi_get_value_external")?,
        }
        let id = id as usize;
        if self.find(id).is_none() {
            return Ok(None);
        }
        let (index, generation) = self.unscrambled(id);
        if index >> FAST_INDEX_BITS != 0 || self.serial >> FAST_SERIAL_BITS != 0 {
            return Ok(Some(None));
        }
        let generation = generation & ((1 << FAST_GENERATION_BITS) - 1);
        let serial = self.serial as u64;
        Ok(Some(Some(
            serial << (FAST_GENERATION_BITS + FAST_INDEX_BITS)
                | (generation as u64) << FAST_INDEX_BITS
                | index as u64,
        )))
    }

    /// The object of a fast id [`Externals::fast_id`] gave; `None` for an
    /// id of another table. (An id whose object is gone finds nothing, or,
    /// once its slot has been reused 2^17 times, the object now there.)
    ///
    /// # Safety
    /// No JS and no garbage collection runs until the returned reference is
    /// dropped: an object leaves the table only when its `External` is
    /// collected.
    #[inline(always)]
    pub unsafe fn by_fast_id<'call>(&self, fast: u64) -> Option<&'call T> {
        if fast >> (FAST_GENERATION_BITS + FAST_INDEX_BITS) != self.serial as u64 {
            return None;
        }
        let index = (fast & ((1 << FAST_INDEX_BITS) - 1)) as usize;
        let mask = (1 << FAST_GENERATION_BITS) - 1;
        let generation = (fast >> FAST_INDEX_BITS) as usize & mask;
        // SAFETY: see the function's contract.
        self.object_at(index, generation, mask)
            .map(|object| unsafe { &*object })
    }

    /// What ids are scrambled with: this table's address, unique among live tables.
    #[inline]
    fn salt(&self) -> usize {
        self as *const Self as usize
    }

    /// The index and generation an id of this table holds.
    #[inline(always)]
    fn unscrambled(&self, id: usize) -> (usize, usize) {
        let id = id ^ self.salt();
        (id & ((1 << INDEX_BITS) - 1), id >> INDEX_BITS)
    }

    #[inline(always)]
    fn find(&self, id: usize) -> Option<*const T> {
        let (index, generation) = self.unscrambled(id);
        self.object_at(index, generation, usize::MAX)
    }

    /// The object in slot `index` if the slot's generation, masked with
    /// `mask`, is `generation`.
    #[inline(always)]
    fn object_at(&self, index: usize, generation: usize, mask: usize) -> Option<*const T> {
        // SAFETY: the reference does not outlive this function, which runs
        // nothing that could borrow the table mutably; and no mutable borrow
        // is held now: `external` and `remove` hold theirs without running
        // JS or a garbage collection (so no native call or finalizer, the
        // only callers of this, can start meanwhile), and drop it before
        // returning. (Unchecked: the test of the borrow flag was on every call.)
        let slots = unsafe { &*self.slots.as_ptr() };
        let slot = slots.get(index)?;
        if slot.generation & mask != generation {
            return None;
        }
        slot.object.as_deref().map(|o| o as *const T)
    }

    #[cold]
    fn not_one<'call>(&self) -> JsResult<&'call T> {
        type_error(format!(
            "the first argument must be {} (an object its create function returned)",
            self.what
        ))
    }

    /// Empties the slot of `id` and drops its object.
    fn remove(&self, id: usize) {
        let (index, generation) = self.unscrambled(id);
        let object = {
            let mut slots = self.slots.borrow_mut();
            let Some(slot) = slots.get_mut(index) else {
                return;
            };
            if slot.generation != generation {
                return;
            }
            slot.generation = (slot.generation + 1) & (usize::MAX >> INDEX_BITS);
            if slot.generation == 0 {
                slot.generation = 1;
            }
            slot.object.take()
        };
        self.free.borrow_mut().push(index);
        // Dropped with no borrow held: dropping may run code that uses the table.
        drop(object);
    }
}

/// Finalizer of an `External`: its object leaves the table.
unsafe extern "C" fn finalize<T: 'static>(_env: napi_env, id: *mut c_void, owner: *mut c_void) {
    // SAFETY: `owner` is the `Rc` that `external` leaked for this finalizer,
    // reclaimed exactly once, here, on the table's thread.
    let table = unsafe { Rc::from_raw(owner as *const Externals<T>) };
    // Nothing here may unwind into Node.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        table.remove(id as usize);
        drop(table);
    }));
}

/// Reads the arguments of a call of a function shared by the objects of
/// `Externals<T>` (`N` of them, the first included; see
/// [`Args::read_after_first`]), and the object the first stands for.
///
/// # Safety
/// `info` is the callback info of the call being run with `env`, of a
/// function whose data pointer is an `Rc<Externals<T>>` that the function
/// owns (`Env::owning_function`).
#[inline(always)]
pub unsafe fn object_of<'call, T: 'static, const N: usize>(
    env: Env,
    info: sys::napi_callback_info,
) -> JsResult<(&'call T, Args<N>)> {
    // SAFETY: `info` is this call's.
    let (first, args) = unsafe { Args::<N>::read_after_first(env, info) }?;
    // SAFETY: as for this function.
    let table = unsafe { table_in::<T, N>(&args) };
    // SAFETY: `first` is an argument of this call, which the caller's
    // `'call` does not outlive.
    let object = unsafe { table.get(env, first) }?;
    Ok((object, args))
}

/// The table whose objects the first argument of `args` stands for. (Not
/// returned with the arguments in one `Result`: its test would then be
/// of the reference, whose null is the error's niche.)
///
/// # Safety
/// As for [`object_of`]; `args` are the call's.
#[inline(always)]
pub unsafe fn table_in<'call, T: 'static, const N: usize>(args: &Args<N>) -> &'call Externals<T> {
    // SAFETY: the function owns the `Rc` its data points to, and it is
    // alive while it runs, which the caller's `'call` does not outlive.
    unsafe { &*(args.data as *const Externals<T>) }
}

/// Borrows the `Rc<Externals<T>>` a function owns as its data pointer.
///
/// # Safety
/// As for [`object_of`]; `data` is that function's data pointer.
pub unsafe fn table_of<T: 'static>(data: *mut c_void) -> std::mem::ManuallyDrop<Rc<Externals<T>>> {
    // SAFETY: the function keeps its count (`ManuallyDrop`: nothing is
    // released here), and is alive while it runs.
    std::mem::ManuallyDrop::new(unsafe { Rc::from_raw(data as *const Externals<T>) })
}

/// Defines a native function shared by the objects of `Externals<$ty>`: its
/// first argument says which object (`$this`); `$args` are the others.
macro_rules! external_method {
    ($name:ident, $ty:ty, $argc:literal, |$env:ident, $this:ident, $args:ident| $body:block) => {
        $crate::ffi::native_fn!(pub $name, |$env, info| {
            // SAFETY: this function owns an `Rc<Externals<$ty>>` as its data
            // (see the module that made it), and `info` is this call's.
            let found = unsafe { $crate::externals::object_of::<$ty, { $argc + 1 }>($env, info) };
            let ($this, $args): (&$ty, _) = found?;
            #[allow(clippy::redundant_closure_call)]
            (|| -> $crate::ffi::JsResult<napi::sys::napi_value> { $body })()
        });
    };
}
pub(crate) use external_method;
