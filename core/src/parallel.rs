//! Frames of a large message on several threads.
//!
//! Frames are independent (each has its own IV and AAD), so the one-shot and
//! bulk paths of [`stream`](crate::stream) hand a list of frame jobs to
//! [`run`], whose threads (`std::thread::scope`, the calling thread among
//! them) take one frame at a time from a shared queue. Each job writes only
//! its own frame's bytes, so the output is byte-identical to the
//! single-threaded path; a failure is reported as the lowest failing job,
//! which is the one the single-threaded path would have stopped at.
//!
//! How many threads [`threads_for`] picks: one below
//! [`PARALLEL_MIN_BYTES`], or without the `parallel` cargo feature (the
//! default, and always on WebAssembly), else one per core but no more than
//! one per [`BYTES_PER_THREAD`].

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock, PoisonError};

/// Below this many bytes of frames, one thread does all the work (starting
/// a thread costs more than it saves).
pub const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Each extra thread gets at least this many bytes of frames.
pub const BYTES_PER_THREAD: usize = 256 << 10;

/// Whether this build may start threads at all.
const ENABLED: bool = cfg!(all(feature = "parallel", not(target_family = "wasm")));

/// The number of threads to use for `bytes` bytes of frames.
pub(crate) fn threads_for(bytes: usize) -> usize {
    #[cfg(test)]
    if let Some(threads) = tests::forced() {
        return threads;
    }
    if !ENABLED || bytes < PARALLEL_MIN_BYTES {
        return 1;
    }
    cores().min(bytes / BYTES_PER_THREAD).max(1)
}

/// The cores this process may use, asked once (the question costs system
/// calls, too many for every message).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `work` on every job, on up to `threads` threads (the calling thread
/// is one of them). Threads take the next job from a shared queue, in
/// order, so a thread that the system leaves waiting holds back one job,
/// not a share of them all. Returns the failure of the lowest-numbered
/// failing job, with its index; jobs after a known failure are skipped.
pub(crate) fn run<T, E, F>(jobs: &mut [T], threads: usize, work: F) -> Option<(usize, E)>
where
    T: Send,
    E: Send,
    F: Fn(&mut T) -> Result<(), E> + Sync,
{
    let threads = threads.clamp(1, jobs.len().max(1));
    if threads == 1 {
        return jobs
            .iter_mut()
            .enumerate()
            .find_map(|(i, job)| work(job).err().map(|e| (i, e)));
    }
    let queue = Mutex::new(jobs.iter_mut().enumerate());
    let lowest_failure = AtomicUsize::new(usize::MAX);
    let worker = || {
        let mut first = None;
        loop {
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            // Jobs come in order: past a known failure, none is needed.
            let Some((i, job)) = next.filter(|(i, _)| *i < lowest_failure.load(Relaxed)) else {
                return first;
            };
            if let Err(e) = work(job) {
                lowest_failure.fetch_min(i, Relaxed);
                // A thread's jobs increase, so its first failure is its lowest.
                first.get_or_insert((i, e));
            }
        }
    };
    let worker = &worker;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(worker)).collect();
        let mut failures = vec![worker()];
        for handle in handles {
            // A job's work never panics (the frame AEAD has no failing
            // path but the tag check); if one did, pass it on as is.
            failures.push(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        failures.into_iter().flatten().min_by_key(|(i, _)| *i)
    })
}

#[cfg(test)]
mod identical_output;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static FORCED: Cell<Option<usize>> = const { Cell::new(None) };
    }

    /// The thread count a test forced on this thread, whatever the size.
    pub(crate) fn forced() -> Option<usize> {
        FORCED.with(Cell::get)
    }

    /// Runs `f` with [`threads_for`] answering `threads` on this thread.
    pub(crate) fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
        let before = FORCED.with(|c| c.replace(Some(threads)));
        let result = f();
        FORCED.with(|c| c.set(before));
        result
    }

    #[test]
    fn small_inputs_use_one_thread() {
        assert_eq!(threads_for(0), 1);
        assert_eq!(threads_for(PARALLEL_MIN_BYTES - 1), 1);
        if !ENABLED {
            assert_eq!(threads_for(1 << 30), 1);
        } else {
            assert_eq!(threads_for(1 << 30), cores(), "one thread per core");
        }
    }

    #[test]
    fn a_held_up_thread_holds_back_one_job_not_a_share() {
        // Job 0 waits until every other job is done: only possible when the
        // other thread takes the jobs after it, one at a time.
        let done = AtomicUsize::new(0);
        let mut jobs: Vec<usize> = (0..10).collect();
        let failure = run(&mut jobs, 2, |job| {
            if *job == 0 {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while done.load(Relaxed) < 9 {
                    if std::time::Instant::now() > deadline {
                        return Err("the other jobs waited for job 0");
                    }
                    std::thread::yield_now();
                }
            } else {
                done.fetch_add(1, Relaxed);
            }
            Ok(())
        });
        assert_eq!(failure, None);
    }

    #[test]
    fn every_job_runs_once_and_the_lowest_failure_wins() {
        for threads in 1..=5 {
            for len in [0usize, 1, 2, 7, 64] {
                let mut jobs: Vec<(usize, u32)> = (0..len).map(|i| (i, 0)).collect();
                let failure = run(&mut jobs, threads, |job| {
                    job.1 += 1;
                    Ok::<(), ()>(())
                });
                assert!(failure.is_none());
                assert!(jobs.iter().all(|job| job.1 == 1), "{threads} {len}");

                let failure = run(&mut jobs, threads, |job| {
                    if job.0 % 5 == 3 {
                        Err(job.0)
                    } else {
                        Ok(())
                    }
                });
                let expected = (len > 3).then_some((3, 3));
                assert_eq!(failure, expected, "{threads} {len}");
            }
        }
    }
}
