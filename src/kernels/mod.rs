//! The host API of each kernel family; each call dispatches to the GPU wrapper or the CPU twin.

pub mod chain;
pub mod compact;
pub mod elementwise;
pub(crate) mod ids;
pub mod reduce;
pub mod scan;
pub mod search;
pub mod strings;
pub mod text_match;
pub mod time;

use arrow_array::{Array, PrimitiveArray};

use crate::column::Element;

/// The valid values of `array`, in order (a copy only when there are nulls).
pub(crate) fn valid_values<T: Element>(array: &PrimitiveArray<T::Arrow>) -> std::borrow::Cow<'_, [T]> {
    if array.null_count() == 0 {
        std::borrow::Cow::Borrowed(array.values().as_ref())
    } else {
        std::borrow::Cow::Owned(array.iter().flatten().collect())
    }
}
