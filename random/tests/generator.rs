//! The generator path in use, its bytes, its threads, `fork()`, and that the
//! vDSO path makes no system call.

use std::collections::HashSet;

use mrkenv_random::{fill, source, Source};

/// The kernel release as (major, minor), from procfs.
fn kernel_release() -> Option<(u32, u32)> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    let mut parts = release.trim().split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn vdso_expected() -> bool {
    cfg!(all(
        target_os = "linux",
        target_env = "gnu",
        not(target_feature = "crt-static"),
        any(target_arch = "x86_64", target_arch = "aarch64")
    )) && kernel_release().is_some_and(|release| release >= (6, 11))
}

#[test]
fn the_vdso_generator_is_used_where_the_kernel_has_one() {
    let expected = if vdso_expected() {
        Source::Vdso
    } else {
        Source::System
    };
    assert_eq!(source(), expected, "kernel {:?}", kernel_release());
}

#[test]
fn every_length_is_filled_and_no_two_fills_repeat() {
    let mut seen = HashSet::new();
    for len in [0usize, 1, 12, 16, 32, 76, 255, 4096, 1 << 20] {
        for _ in 0..4 {
            let mut bytes = vec![0u8; len];
            fill(&mut bytes).unwrap();
            if len >= 16 {
                assert!(bytes.iter().any(|&b| b != 0), "{len} bytes all zero");
                assert!(seen.insert(bytes), "a {len}-byte fill repeated");
            }
        }
    }
    // Every byte of a long fill is written: a zeroed 64 KiB tail would be
    // the sign of a short write taken as complete.
    let mut long = vec![0u8; 1 << 20];
    fill(&mut long).unwrap();
    for chunk in long.chunks(64) {
        assert!(chunk.iter().any(|&b| b != 0), "a 64-byte run stayed zero");
    }
}

#[test]
fn threads_have_their_own_state_and_new_threads_reuse_nothing() {
    for _round in 0..3 {
        let drawn: Vec<Vec<[u8; 32]>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        (0..500)
                            .map(|_| {
                                let mut id = [0u8; 32];
                                fill(&mut id).unwrap();
                                id
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let all: HashSet<[u8; 32]> = drawn.iter().flatten().copied().collect();
        assert_eq!(all.len(), 8 * 500, "two threads drew the same bytes");
    }
}

#[cfg(target_os = "linux")]
mod process {
    use super::*;

    /// Runs `child` in a forked process and returns the 32 bytes it writes to
    /// a pipe, or `None` if it wrote fewer (it failed). The child calls only
    /// `fill`, `write` and `_exit`: no allocation after `fork()`.
    fn in_child(child: fn() -> Option<[u8; 32]>) -> Option<[u8; 32]> {
        let mut fds = [0i32; 2];
        // SAFETY: `fds` has room for the two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: the child runs only async-signal-safe work and `fill`, whose
        // state for this thread is already mapped (the caller filled first).
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let written = child().map_or(0, |bytes| {
                // SAFETY: writing 32 bytes from a live array to our pipe.
                unsafe { libc::write(fds[1], bytes.as_ptr().cast(), 32) }
            });
            // SAFETY: ends the child without running the parent's exit work.
            unsafe { libc::_exit(if written == 32 { 0 } else { 1 }) };
        }
        // SAFETY: closing our copy of the write end.
        unsafe { libc::close(fds[1]) };
        let mut bytes = [0u8; 32];
        // SAFETY: reading into a live 32-byte array.
        let read = unsafe { libc::read(fds[0], bytes.as_mut_ptr().cast(), 32) };
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe {
            libc::close(fds[0]);
            libc::waitpid(pid, &mut status, 0);
        }
        (read == 32 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0).then_some(bytes)
    }

    fn draw() -> Option<[u8; 32]> {
        let mut bytes = [0u8; 32];
        fill(&mut bytes).ok().map(|_| bytes)
    }

    #[test]
    fn a_forked_child_never_draws_its_parents_bytes() {
        for _ in 0..20 {
            let mut warm = [0u8; 32];
            fill(&mut warm).unwrap();
            let child = in_child(draw).expect("the child could not draw");
            let parent = draw().unwrap();
            assert_ne!(
                child, parent,
                "parent and child drew the same bytes after fork"
            );
            // A second child from the same parent state differs from the first.
            let second = in_child(draw).expect("the child could not draw");
            assert_ne!(child, second, "two children drew the same bytes");
        }
    }

    /// In the child: forbid the `getrandom` system call with a seccomp filter
    /// (it fails with EPERM), then draw 1,000 times. Only a path that makes no
    /// system call can succeed.
    #[cfg(target_arch = "x86_64")]
    fn draw_with_the_system_call_forbidden() -> Option<[u8; 32]> {
        let mut bytes = draw()?; // seeds this child's state
        let filter = [
            // A = seccomp_data.arch; anything but x86_64 is allowed through.
            bpf(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 4),
            bpf(
                libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
                0,
                3,
                AUDIT_ARCH_X86_64,
            ),
            // A = seccomp_data.nr
            bpf(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 0),
            bpf(
                libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
                0,
                1,
                libc::SYS_getrandom as u32,
            ),
            bpf(
                libc::BPF_RET | libc::BPF_K,
                0,
                0,
                libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
            ),
            bpf(libc::BPF_RET | libc::BPF_K, 0, 0, libc::SECCOMP_RET_ALLOW),
        ];
        let program = libc::sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: a valid filter program for this process only.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &program) != 0
            {
                return None;
            }
        }
        let mut probe = [0u8; 1];
        // SAFETY: the raw system call into a live 1-byte buffer; the filter
        // must refuse it, or the test proves nothing.
        let direct = unsafe { libc::syscall(libc::SYS_getrandom, probe.as_mut_ptr(), 1, 0) };
        if direct != -1 {
            return None;
        }
        for _ in 0..1000 {
            let mut id = [0u8; 76];
            fill(&mut id).ok()?;
            bytes.iter_mut().zip(&id).for_each(|(b, i)| *b ^= i);
        }
        Some(bytes)
    }

    #[cfg(target_arch = "x86_64")]
    const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;

    #[cfg(target_arch = "x86_64")]
    fn bpf(code: u32, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
        libc::sock_filter {
            code: code as u16,
            jt,
            jf,
            k,
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vdso_path_makes_no_getrandom_system_call() {
        if !vdso_expected() {
            assert_eq!(source(), Source::System);
            return;
        }
        let mut warm = [0u8; 32];
        fill(&mut warm).unwrap();
        // The kernel reseeds its generator about once a minute, and the vDSO
        // then asks for a new key with the system call: a run may meet that
        // once, not three times.
        let passed = (0..3).any(|_| in_child(draw_with_the_system_call_forbidden).is_some());
        assert!(
            passed,
            "drawing with getrandom(2) forbidden failed: the vDSO path is not in use"
        );
    }
}
