//! A string column as the text kernels read it: [`TextParts`], one UTF-8 buffer and offsets from 0 (a
//! view of the Arrow array, copied only where the array needs it), and [`Text`], those parts made ready
//! once on an engine: on a GPU engine its rows are uploaded at the first kernel that needs them, and
//! every later kernel over the same text reads that upload.

use std::borrow::Cow;
use std::cell::OnceCell;

use arrow_array::cast::AsArray;
use arrow_array::{Array, GenericStringArray, OffsetSizeTrait, StringViewArray};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu::text::DeviceText;

/// A string column as one UTF-8 buffer and `n + 1` offsets into it starting at 0, where every null
/// row is empty (a copy is made only when the input needs one).
pub(crate) struct TextParts<'a> {
    pub offsets: Vec<u64>,
    pub values: Cow<'a, [u8]>,
    pub nulls: Option<NullBuffer>,
}

impl TextParts<'_> {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The bytes of row `i`.
    pub fn row(&self, i: usize) -> &[u8] {
        &self.values[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Whether row `i` is null.
    pub fn is_null(&self, i: usize) -> bool {
        self.nulls.as_ref().is_some_and(|nb| nb.is_null(i))
    }
}

fn generic_parts<O: OffsetSizeTrait>(a: &GenericStringArray<O>) -> TextParts<'_> {
    let offs = a.value_offsets();
    let first = offs[0].as_usize();
    let last = offs[offs.len() - 1].as_usize();
    let nulls = a.nulls().cloned();
    let dirty = nulls
        .as_ref()
        .is_some_and(|n| n.null_count() > 0 && (0..a.len()).any(|i| n.is_null(i) && offs[i + 1] != offs[i]));
    if !dirty {
        let offsets = offs.iter().map(|o| (o.as_usize() - first) as u64).collect();
        return TextParts { offsets, values: Cow::Borrowed(&a.value_data()[first..last]), nulls };
    }
    // Null rows that hold bytes: copy the valid rows' bytes so that every null row is empty.
    copied_parts(a.len(), nulls, |i| a.value(i))
}

fn view_parts(a: &StringViewArray) -> TextParts<'_> {
    copied_parts(a.len(), a.nulls().cloned(), |i| a.value(i))
}

/// Parts built by copying the valid rows' bytes into one buffer.
fn copied_parts<'a>(n: usize, nulls: Option<NullBuffer>, row: impl Fn(usize) -> &'a str) -> TextParts<'static> {
    let mut values = Vec::new();
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0);
    for i in 0..n {
        if nulls.as_ref().is_none_or(|nb| nb.is_valid(i)) {
            values.extend_from_slice(row(i).as_bytes());
        }
        offsets.push(values.len() as u64);
    }
    TextParts { offsets, values: Cow::Owned(values), nulls }
}

/// What a text column may be, as errors say it.
pub(crate) const TEXT_TYPES: &str = "expected Utf8, LargeUtf8 or Utf8View, or a dictionary of one of them";

/// Whether `t` is a type of text the kernels read: `Utf8`, `LargeUtf8`, `Utf8View`, or a dictionary of
/// one of them (decoded when read).
pub(crate) fn is_text_type(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => {
            matches!(**values, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
        }
        _ => false,
    }
}

/// The parts of a `Utf8`, `LargeUtf8` or `Utf8View` array, or of a dictionary of one of them (decoded: its
/// values taken for every row, a copy).
pub(crate) fn text_parts(text: &dyn Array) -> Result<TextParts<'_>> {
    let any = text.as_any();
    let invalid = || Error::invalid("text column type", text.data_type(), TEXT_TYPES);
    match text.data_type() {
        DataType::Utf8 => any.downcast_ref::<GenericStringArray<i32>>().map(generic_parts),
        DataType::LargeUtf8 => any.downcast_ref::<GenericStringArray<i64>>().map(generic_parts),
        DataType::Utf8View => any.downcast_ref::<StringViewArray>().map(view_parts),
        t if is_text_type(t) => {
            let dict = text.as_any_dictionary_opt().ok_or_else(invalid)?;
            let decoded = arrow_select::take::take(dict.values().as_ref(), dict.keys(), None)
                .map_err(|e| Error::invalid("text column", "dictionary", format!("cannot be decoded: {e}")))?;
            let parts = text_parts(decoded.as_ref())?;
            let values = Cow::Owned(parts.values.into_owned());
            return Ok(TextParts { offsets: parts.offsets, values, nulls: parts.nulls });
        }
        _ => None,
    }
    .ok_or_else(invalid)
}

/// The running byte length of the rows of `text` (a string array) from `start`: `n + 1` values, `start`
/// plus the Arrow offsets rebased to 0, in one pass (a null row adds 0).
pub(crate) fn byte_offsets(text: &dyn Array, start: u64) -> Result<Vec<u64>> {
    fn rebased<O: OffsetSizeTrait>(a: &GenericStringArray<O>, start: u64) -> Option<Vec<u64>> {
        let offs = a.value_offsets();
        // A null row holding bytes needs the copy of `text_parts`.
        if a.nulls().is_some_and(|n| n.null_count() > 0 && (0..a.len()).any(|i| n.is_null(i) && offs[i + 1] != offs[i]))
        {
            return None;
        }
        let first = offs[0].as_usize() as u64;
        let last = offs[offs.len() - 1].as_usize() as u64;
        // When the last total fits, no sum overflows: plain additions (they vectorize), else saturating ones.
        Some(match start.checked_add(last - first) {
            Some(_) => offs.iter().map(|o| o.as_usize() as u64 - first + start).collect(),
            None => offs.iter().map(|o| (o.as_usize() as u64 - first).saturating_add(start)).collect(),
        })
    }
    let any = text.as_any();
    let fast = match text.data_type() {
        DataType::Utf8 => any.downcast_ref::<GenericStringArray<i32>>().and_then(|a| rebased(a, start)),
        DataType::LargeUtf8 => any.downcast_ref::<GenericStringArray<i64>>().and_then(|a| rebased(a, start)),
        _ => None,
    };
    match fast {
        Some(v) => Ok(v),
        None => Ok(text_parts(text)?.offsets.into_iter().map(|o| o.saturating_add(start)).collect()),
    }
}

/// A string column made ready once for the text kernels of one engine: its parts, and on a GPU engine
/// its rows on the device, uploaded by the first kernel that reads them there and shared by the rest
/// (the message table's code points, command mask and URLs read one upload).
///
/// A text serves the kernels of one engine: its upload is that engine's device's.
pub(crate) struct Text<'a> {
    pub parts: TextParts<'a>,
    device: OnceCell<DeviceText>,
}

impl<'a> Text<'a> {
    /// The parts of `text` (a string array).
    pub(crate) fn new(text: &'a dyn Array) -> Result<Self> {
        Ok(Text::from_parts(text_parts(text)?))
    }

    /// Parts already made.
    pub(crate) fn from_parts(parts: TextParts<'a>) -> Self {
        Text { parts, device: OnceCell::new() }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// The rows on `engine`'s device, uploaded on the first call; `None` on a CPU engine or for no rows.
    pub(crate) fn device(&self, engine: &Engine) -> Result<Option<&DeviceText>> {
        let Some(ctx) = engine.gpu() else { return Ok(None) };
        if self.len() == 0 {
            return Ok(None);
        }
        if let Some(d) = self.device.get() {
            return Ok(Some(d));
        }
        let uploaded = DeviceText::new(ctx, &self.parts.offsets, &self.parts.values)?;
        Ok(Some(self.device.get_or_init(|| uploaded)))
    }
}
