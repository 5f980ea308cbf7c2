//! Linux's vDSO generator (`vgetrandom`): finding the kernel's function,
//! mapping each thread's state the way the kernel asks, and calling it.
//!
//! The kernel describes its state (size, `mmap` protection and flags) when
//! asked with a null buffer and an opaque length of `usize::MAX`. Its flags
//! include `MAP_DROPPABLE`, which makes the mapping wiped on `fork()`, left out
//! of core dumps and zero-filled if memory is reclaimed; the vDSO reseeds from
//! the kernel whenever it finds the state zeroed or the kernel's generation
//! moved. One state serves one thread at a time, so each thread maps its own
//! and unmaps it when the thread ends.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::ptr::{self, NonNull};
use std::sync::OnceLock;

/// `ssize_t vgetrandom(void *buf, size_t len, unsigned int flags,
/// void *opaque_state, size_t opaque_len)`: the system call's first three
/// arguments and result, plus the caller's state.
type VgetrandomFn = unsafe extern "C" fn(*mut c_void, usize, c_uint, *mut c_void, usize) -> isize;

/// glibc's `dlopen`, found at run time: a program that names `dlopen` and is
/// linked statically gets a linker warning, and has no vDSO to find anyway.
type DlopenFn = unsafe extern "C" fn(*const c_char, c_int) -> *mut c_void;

/// The vDSO's name and symbol version for the function on this architecture
/// (the kernel's `vdso.lds` files).
#[cfg(target_arch = "x86_64")]
const SYMBOL: (&CStr, &CStr) = (c"__vdso_getrandom", c"LINUX_2.6");
#[cfg(target_arch = "aarch64")]
const SYMBOL: (&CStr, &CStr) = (c"__kernel_getrandom", c"LINUX_2.6.39");

/// What the kernel tells about its state (`struct vgetrandom_opaque_params`).
#[repr(C)]
#[derive(Default)]
struct OpaqueParams {
    size_of_opaque_state: u32,
    mmap_prot: u32,
    mmap_flags: u32,
    reserved: [u32; 13],
}

/// The function and how to map a state for it, found once per process.
struct Vgetrandom {
    function: VgetrandomFn,
    state_size: usize,
    mapping_len: usize,
    prot: c_int,
    flags: c_int,
}

static VGETRANDOM: OnceLock<Option<Vgetrandom>> = OnceLock::new();

thread_local! {
    /// This thread's state, mapped on first use.
    static STATE: RefCell<Option<ThreadState>> = const { RefCell::new(None) };
}

/// Whether this process can use the vDSO generator.
pub(crate) fn available() -> bool {
    vgetrandom().is_some()
}

/// Fills as much of `dest` as the vDSO generator gives and returns the rest:
/// empty when it is all filled, all of `dest` when the vDSO path is not
/// available (no vDSO function, no state, a re-entered or ending thread) and
/// whatever follows an error other than `EINTR`, for the system call to fill.
pub(crate) fn fill(dest: &mut [u8]) -> &mut [u8] {
    let Some(vgetrandom) = vgetrandom() else {
        return dest;
    };
    let filled = STATE
        .try_with(|slot| {
            let Ok(mut slot) = slot.try_borrow_mut() else {
                return 0;
            };
            if slot.is_none() {
                *slot = ThreadState::map(vgetrandom);
            }
            match slot.as_ref() {
                Some(state) => fill_with(vgetrandom, state, dest),
                None => 0,
            }
        })
        .unwrap_or(0);
    &mut dest[filled..]
}

fn fill_with(vgetrandom: &Vgetrandom, state: &ThreadState, dest: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < dest.len() {
        let rest = &mut dest[filled..];
        // SAFETY: `rest` is writable for `rest.len()` bytes; `state` is a
        // live mapping made with the kernel's parameters, of at least
        // `state_size` bytes, used by this thread only (the thread-local
        // `RefCell` is borrowed mutably for the whole call).
        let result = unsafe {
            (vgetrandom.function)(
                rest.as_mut_ptr().cast(),
                rest.len(),
                0,
                state.start.as_ptr(),
                vgetrandom.state_size,
            )
        };
        if result > 0 {
            filled += (result as usize).min(rest.len());
        } else if result != -(libc::EINTR as isize) {
            break;
        }
    }
    filled
}

fn vgetrandom() -> Option<&'static Vgetrandom> {
    VGETRANDOM.get_or_init(look_up).as_ref()
}

/// Finds the vDSO function through glibc's loader (its `dlopen` looked up at
/// run time, so that a statically linked program needs no `dlopen`) and asks it for its state
/// parameters. `None` when the kernel has no such function (before Linux
/// 6.11) or describes a state this code cannot map.
fn look_up() -> Option<Vgetrandom> {
    let (name, version) = SYMBOL;
    // SAFETY: a lookup of a NUL-terminated name in the global scope.
    let dlopen = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"dlopen".as_ptr()) };
    if dlopen.is_null() {
        // A statically linked program has no loader to ask.
        return None;
    }
    // SAFETY: the global scope's `dlopen` is glibc's, with this signature.
    let dlopen = unsafe { std::mem::transmute::<*mut c_void, DlopenFn>(dlopen) };
    // SAFETY: with RTLD_NOLOAD, dlopen only looks for an object the loader
    // already has (glibc registers the vDSO under this name); it loads and
    // runs nothing. The handle is never closed: the vDSO is never unloaded.
    let handle = unsafe {
        dlopen(
            c"linux-vdso.so.1".as_ptr(),
            libc::RTLD_NOLOAD | libc::RTLD_LAZY,
        )
    };
    if handle.is_null() {
        return None;
    }
    // SAFETY: a symbol lookup in a live handle with NUL-terminated names.
    let symbol = unsafe { libc::dlvsym(handle, name.as_ptr(), version.as_ptr()) };
    if symbol.is_null() {
        return None;
    }
    // SAFETY: the kernel exports this symbol, at this version, with the
    // `vgetrandom` signature.
    let function = unsafe { std::mem::transmute::<*mut c_void, VgetrandomFn>(symbol) };
    let mut params = OpaqueParams::default();
    // SAFETY: a null buffer, zero length and flags with an opaque length of
    // `usize::MAX` asks the kernel to write its parameters to `params`, a
    // `struct vgetrandom_opaque_params` of the kernel's layout.
    let asked = unsafe {
        function(
            ptr::null_mut(),
            0,
            0,
            (&mut params as *mut OpaqueParams).cast(),
            usize::MAX,
        )
    };
    // SAFETY: sysconf with a valid name has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let state_size = params.size_of_opaque_state as usize;
    if asked != 0 || page <= 0 || state_size == 0 || state_size > page as usize {
        return None;
    }
    Some(Vgetrandom {
        function,
        state_size,
        mapping_len: page as usize,
        prot: params.mmap_prot as c_int,
        flags: params.mmap_flags as c_int,
    })
}

/// One thread's state: a page mapped with the kernel's protection and flags,
/// the state at its start, unmapped when the thread ends.
struct ThreadState {
    start: NonNull<c_void>,
    len: usize,
}

impl ThreadState {
    fn map(vgetrandom: &Vgetrandom) -> Option<ThreadState> {
        // SAFETY: an anonymous mapping at an address of the kernel's choice,
        // with the protection and flags the kernel asked for.
        let start = unsafe {
            libc::mmap(
                ptr::null_mut(),
                vgetrandom.mapping_len,
                vgetrandom.prot,
                vgetrandom.flags,
                -1,
                0,
            )
        };
        if start == libc::MAP_FAILED {
            return None;
        }
        NonNull::new(start).map(|start| ThreadState {
            start,
            len: vgetrandom.mapping_len,
        })
    }
}

impl Drop for ThreadState {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `map` with this length and is used
        // by nothing else: its thread is ending.
        unsafe {
            libc::munmap(self.start.as_ptr(), self.len);
        }
    }
}
