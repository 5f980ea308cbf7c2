//! Key material left in memory: the hash and HMAC state that HKDF keys with
//! the data key wipes itself on drop (the `zeroize` feature of `sha2`, which
//! turns on `digest`'s and `block-buffer`'s).

use sha2::digest::block_api::{Buffer, CoreProxy, EagerHash};
use zeroize::ZeroizeOnDrop;

/// Compiles only for types that wipe themselves when dropped.
fn wiped_on_drop<T: ZeroizeOnDrop>() {}

#[test]
fn the_hkdf_state_keyed_by_the_data_key_is_wiped_on_drop() {
    // HKDF-SHA512 holds an `Hmac<Sha512>` keyed with the pseudorandom key
    // (derived from the data key): two SHA-512 block cores (the inner and
    // outer pads' states) and a block buffer. Each wipes itself on drop, so
    // the HMAC does (hmac 0.13 does not mark the wrapper itself).
    wiped_on_drop::<<sha2::Sha512 as EagerHash>::Core>();
    wiped_on_drop::<<sha2::Sha512 as CoreProxy>::Core>();
    wiped_on_drop::<Buffer<<sha2::Sha512 as CoreProxy>::Core>>();
    wiped_on_drop::<sha2::Sha512>();
}
