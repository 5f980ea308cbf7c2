//! Status codes, the one mapping from core errors, the panic boundary and the
//! per-thread last error message.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, c_int};
use std::panic::{catch_unwind, AssertUnwindSafe};

use mrkenv::ErrorKind;

/// The result of every fallible mrkenv function.
///
/// `MRKENV_STATUS_OK` is 0. Codes are grouped by hundreds (1xx: the caller's
/// arguments, 2xx: keys, keyrings and KMS, 3xx: the message, 9xx: the library
/// itself) and are never renumbered; new codes are only added.
/// `mrkenv_status_name` gives a stable name for each, and
/// `mrkenv_last_error_message` the details of the last failure on this thread.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 100,
    /// An argument is out of range, the wrong size, not UTF-8, or used in the
    /// wrong state (core kind `InvalidArgument`).
    InvalidArgument = 101,
    /// An output (`mrkenv_bytes`, or a `char *` for a returned string) was
    /// not empty on entry: outputs must be zero-initialised
    /// (`mrkenv_bytes out = {0};`, `char *json = NULL;`) or released with
    /// the matching free function before reuse. The output is left
    /// untouched (overwriting it would leak what it holds).
    OutputNotEmpty = 102,
    /// A KMS key identifier or ARN is malformed (core kind `InvalidArn`).
    InvalidArn = 200,
    /// A keyring is misconfigured, or a KMS response was not acceptable
    /// (core kind `Keyring`).
    Keyring = 201,
    /// No encrypted data key could be decrypted; the message lists every
    /// attempt (core kind `NoDecryptableKey`).
    NoDecryptableKey = 202,
    /// A KMS callback returned a non-zero status while encrypting (when
    /// decrypting, a failed callback is one attempt of `NO_DECRYPTABLE_KEY`).
    KmsCallbackFailed = 203,
    /// The message bytes are not a well-formed mrkenv message
    /// (core kind `MalformedMessage`).
    MalformedMessage = 300,
    /// A key commitment, header tag or frame tag did not verify
    /// (core kind `Authentication`).
    Authentication = 301,
    /// A required encryption context pair is missing or different
    /// (core kind `ContextMismatch`).
    ContextMismatch = 302,
    /// A configured limit was exceeded (core kind `LimitExceeded`).
    LimitExceeded = 303,
    /// The library panicked; this is a bug in mrkenv. The operation had no
    /// effect on the outputs.
    Panic = 900,
}

impl status {
    /// Every status, in code order.
    pub(crate) const ALL: [status; 13] = [
        status::Ok,
        status::NullArgument,
        status::InvalidArgument,
        status::OutputNotEmpty,
        status::InvalidArn,
        status::Keyring,
        status::NoDecryptableKey,
        status::KmsCallbackFailed,
        status::MalformedMessage,
        status::Authentication,
        status::ContextMismatch,
        status::LimitExceeded,
        status::Panic,
    ];

    /// The one mapping from the core's error kinds.
    pub(crate) fn from_kind(kind: ErrorKind) -> status {
        match kind {
            ErrorKind::InvalidArn => status::InvalidArn,
            ErrorKind::MalformedMessage => status::MalformedMessage,
            ErrorKind::Authentication => status::Authentication,
            ErrorKind::NoDecryptableKey => status::NoDecryptableKey,
            ErrorKind::Keyring => status::Keyring,
            ErrorKind::LimitExceeded => status::LimitExceeded,
            ErrorKind::ContextMismatch => status::ContextMismatch,
            ErrorKind::InvalidArgument => status::InvalidArgument,
        }
    }

    /// The stable name; for codes mapped from the core, the core's kind name.
    pub(crate) fn name(self) -> &'static std::ffi::CStr {
        match self {
            status::Ok => c"Ok",
            status::NullArgument => c"NullArgument",
            status::InvalidArgument => c"InvalidArgument",
            status::OutputNotEmpty => c"OutputNotEmpty",
            status::InvalidArn => c"InvalidArn",
            status::Keyring => c"Keyring",
            status::NoDecryptableKey => c"NoDecryptableKey",
            status::KmsCallbackFailed => c"KmsCallbackFailed",
            status::MalformedMessage => c"MalformedMessage",
            status::Authentication => c"Authentication",
            status::ContextMismatch => c"ContextMismatch",
            status::LimitExceeded => c"LimitExceeded",
            status::Panic => c"Panic",
        }
    }
}

/// A failure inside the binding: a status and a message for the caller.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn null(what: &str) -> Failure {
        Failure::new(status::NullArgument, format!("{what} is NULL"))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(status::InvalidArgument, message)
    }
}

impl From<mrkenv::Error> for Failure {
    fn from(error: mrkenv::Error) -> Failure {
        Failure::new(status::from_kind(error.kind()), error.to_string())
    }
}

pub(crate) type Result<T, E = Failure> = std::result::Result<T, E>;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set_last_error(message: &str) {
    // A C string cannot hold NUL; core messages quote user input with escapes,
    // but be safe.
    let message = message.replace('\0', "\\0");
    LAST_ERROR.with(|last| *last.borrow_mut() = message);
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// What an exported function returns when its body panicked (rustls-ffi's
/// `PanicOrDefault`): a status says `Panic`, the rest a harmless default.
pub(crate) trait PanicOrDefault {
    /// The value returned after a panic.
    fn on_panic() -> Self;
}

impl PanicOrDefault for status {
    fn on_panic() -> Self {
        status::Panic
    }
}

impl PanicOrDefault for () {
    fn on_panic() -> Self {}
}

impl PanicOrDefault for usize {
    fn on_panic() -> Self {
        0
    }
}

impl PanicOrDefault for *const c_char {
    fn on_panic() -> Self {
        c"Unknown".as_ptr()
    }
}

/// What the body of an exported function gives back, turned into its C
/// return value: a `Result` records its failure as the last error and
/// becomes a status; anything else is returned as it is.
pub(crate) trait IntoReturn {
    /// The C return type.
    type Return: PanicOrDefault;
    /// Converts, recording a failure's message.
    fn into_return(self) -> Self::Return;
}

impl IntoReturn for Result<()> {
    type Return = status;
    fn into_return(self) -> status {
        match self {
            Ok(()) => status::Ok,
            Err(failure) => {
                set_last_error(&failure.message);
                failure.status
            }
        }
    }
}

macro_rules! plain_return {
    ($($t:ty),*) => {$(
        impl IntoReturn for $t {
            type Return = $t;
            fn into_return(self) -> $t {
                self
            }
        }
    )*};
}

plain_return!((), usize, *const c_char);

/// The one panic boundary: every `extern "C"` body runs inside it. A panic
/// is caught, recorded as the last error and turned into the return type's
/// [`PanicOrDefault`] value; a failure becomes its status.
pub(crate) fn boundary<R: IntoReturn>(body: impl FnOnce() -> R) -> R::Return {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value.into_return(),
        Err(payload) => {
            set_last_error(&format!(
                "internal error (panic, a bug in mrkenv): {}",
                panic_message(payload.as_ref())
            ));
            R::Return::on_panic()
        }
    }
}

/// Copies this thread's last error message into `buf` and returns the number
/// of bytes needed to hold all of it, including the terminating NUL.
///
/// The message is NUL-terminated whenever `buf_len > 0`; a message longer
/// than `buf_len - 1` bytes is cut (at a UTF-8 character boundary). Pass
/// `buf = NULL, buf_len = 0` to ask for the size. With no failure yet on this
/// thread the message is empty (returns 1). The message is only replaced by
/// the next failure on the same thread: a successful call leaves it as it is.
///
/// ```c
/// char message[512];
/// if (mrkenv_decrypt(keyring, ct, ct_len, &out) != MRKENV_STATUS_OK) {
///     mrkenv_last_error_message(message, sizeof message);
///     fprintf(stderr, "decrypt failed: %s\n", message);
/// }
/// ```
///
/// # Safety
///
/// `buf` must be NULL or point to `buf_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_last_error_message(buf: *mut c_char, buf_len: usize) -> usize {
    boundary(|| {
        LAST_ERROR.with(|last| {
            let last = last.borrow();
            let needed = last.len() + 1;
            if !buf.is_null() && buf_len > 0 {
                let mut n = last.len().min(buf_len - 1);
                while !last.is_char_boundary(n) {
                    n -= 1;
                }
                // SAFETY: the caller gives `buf_len` writable bytes; n < buf_len.
                unsafe {
                    std::ptr::copy_nonoverlapping(last.as_ptr(), buf.cast::<u8>(), n);
                    *buf.add(n) = 0;
                }
            }
            needed
        })
    })
}

/// The stable name of a status code, e.g. `"NoDecryptableKey"` for
/// `MRKENV_STATUS_NO_DECRYPTABLE_KEY` (for codes mapped from the core, the
/// core's error kind name, as in the test vectors). Unknown codes give
/// `"Unknown"`. The string is static: do not free it.
#[no_mangle]
pub extern "C" fn mrkenv_status_name(code: c_int) -> *const c_char {
    // Cannot panic, but every export sits behind the boundary all the same.
    boundary(|| {
        status::ALL
            .iter()
            .find(|s| **s as c_int == code)
            .map_or(c"Unknown", |s| s.name())
            .as_ptr()
    })
}

/// FOR THE TEST SUITE ONLY (built with the `testing` feature, declared with
/// `-DMRKENV_TESTING`): panics inside the panic boundary, as a bug in mrkenv
/// would. Returns `MRKENV_STATUS_PANIC` and sets the last error message; the
/// process goes on.
#[cfg(feature = "testing")]
#[no_mangle]
pub extern "C" fn mrkenv_testing_panic() -> status {
    boundary(|| -> Result<()> {
        panic!("mrkenv_testing_panic: a panic injected by the test suite")
    })
}
