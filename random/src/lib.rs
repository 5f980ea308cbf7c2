//! Random bytes for mrkenv's data keys, message ids and IVs, always from the
//! kernel's generator.
//!
//! [`fill`] asks Linux's vDSO generator (`vgetrandom`, Linux 6.11 and later)
//! where the kernel offers one, and the `getrandom` crate everywhere else or
//! whenever the vDSO path is not available. Both are the kernel's generator:
//! the vDSO runs the kernel's own algorithm in the caller's process, keyed
//! from the kernel, in a per-thread state that the kernel wipes on `fork()`
//! and that reseeds when the kernel's generation changes (a reseed, or a
//! restored VM snapshot through vmgenid). It saves the system call, which is
//! most of the cost of the few bytes one record needs.
//!
//! No user-space generator is kept here on purpose: a generator state that
//! `fork()` or a VM snapshot duplicates would repeat data keys and message
//! ids across processes, and so repeat AES-GCM nonces.
//!
//! This crate holds the only `unsafe` code mrkenv's core depends on (the vDSO
//! call and its state mapping), so that the core itself can forbid `unsafe`.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

// glibc's loader finds the vDSO function; a statically linked glibc program
// has no such loader, so it takes the system call.
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    not(target_feature = "crt-static"),
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod vdso;

/// Everywhere else the vDSO path is never available.
#[cfg(not(all(
    target_os = "linux",
    target_env = "gnu",
    not(target_feature = "crt-static"),
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod vdso {
    pub(crate) fn available() -> bool {
        false
    }

    pub(crate) fn fill(dest: &mut [u8]) -> &mut [u8] {
        dest
    }
}

/// Where [`fill`] takes its bytes from in this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The kernel's generator through the vDSO (`vgetrandom`), without a
    /// system call.
    Vdso,
    /// The kernel's generator through the `getrandom` crate (on Linux, the
    /// `getrandom` system call).
    System,
}

/// Fills `dest` with random bytes from the kernel's generator: through the
/// vDSO where the kernel has it, else through the `getrandom` crate.
///
/// Errors are the `getrandom` crate's: the vDSO path never fails on its own,
/// it hands anything it cannot do to the system call.
pub fn fill(dest: &mut [u8]) -> Result<(), getrandom::Error> {
    let dest = vdso::fill(dest);
    if dest.is_empty() {
        return Ok(());
    }
    getrandom::fill(dest)
}

/// Which generator path [`fill`] uses in this process, for diagnostics and
/// tests. Looking it up the first time also prepares the vDSO path.
pub fn source() -> Source {
    if vdso::available() {
        return Source::Vdso;
    }
    Source::System
}
