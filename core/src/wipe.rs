//! Growing a buffer that holds secrets without leaving a copy behind.
//!
//! `Vec::reserve` (and every push past the capacity) moves the contents to
//! a new allocation and frees the old one as it is: the plaintext in it
//! stays in freed memory until something else overwrites it. [`reserve`]
//! moves it itself and wipes the old allocation before it is freed.

use zeroize::Zeroize;

/// Makes room for `additional` more bytes in `buffer`, like
/// `Vec::reserve`, but wipes the old allocation (its whole capacity) when
/// the contents have to move.
pub(crate) fn reserve(buffer: &mut Vec<u8>, additional: usize) {
    if buffer.capacity() - buffer.len() >= additional {
        return;
    }
    let needed = buffer.len().saturating_add(additional);
    let mut grown = Vec::with_capacity(needed.max(buffer.capacity().saturating_mul(2)));
    grown.extend_from_slice(buffer);
    // Zeroizes the full capacity, then the old allocation is freed.
    buffer.zeroize();
    *buffer = grown;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_keeping_the_contents() {
        let mut buffer = vec![1u8, 2, 3];
        buffer.shrink_to_fit();
        reserve(&mut buffer, 100);
        assert_eq!(buffer, [1, 2, 3]);
        assert!(buffer.capacity() >= 103);
        let before = buffer.as_ptr();
        reserve(&mut buffer, 10);
        assert_eq!(buffer.as_ptr(), before, "no move when there is room");
    }
}
