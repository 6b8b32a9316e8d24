//! What the typed views [`Store<T>`](crate::Store) and
//! [`Reader<T>`](crate::Reader) add to the [`RawStore`] they wrap: the cast
//! of its bytes to `&[T]`, and with it the whole slice API through
//! `Deref<Target = [T]>` (`len`, `get(i)`, `get(range)`, `iter`, `first`,
//! `binary_search_by`, ...) with no method of their own shadowing it.

use zerocopy::FromBytes;

use crate::raw::RawStore;
use crate::schema::Record;

/// The records of `raw` as `&[T]`, borrowed from its mapping.
#[inline]
pub(crate) fn records<T: Record>(raw: &RawStore) -> &[T] {
    // The data region starts page-aligned in a page-aligned mapping and
    // holds `len` whole records of `T`'s schema, whose stride is
    // `size_of::<T>()`: all checked when the store was opened, so this
    // cannot fail. (`with_elems` checks the length with a multiplication
    // where `ref_from_bytes` would divide: this is on every `get`.)
    <[T]>::ref_from_bytes_with_elems(raw.data(), raw.len())
        .expect("whole records in an aligned data region")
}

/// `Deref<Target = [T]>` and `IntoIterator for &_` for a typed view
/// holding its `RawStore` in a field named `raw`.
macro_rules! slice_view {
    ($view:ident) => {
        impl<T: Record> std::ops::Deref for $view<T> {
            type Target = [T];
            #[inline]
            fn deref(&self) -> &[T] {
                crate::view::records(&self.raw)
            }
        }

        impl<'a, T: Record> IntoIterator for &'a $view<T> {
            type Item = &'a T;
            type IntoIter = std::slice::Iter<'a, T>;
            #[inline]
            fn into_iter(self) -> Self::IntoIter {
                std::ops::Deref::deref(self).iter()
            }
        }
    };
}
pub(crate) use slice_view;
