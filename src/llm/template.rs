//! [`PromptTemplate`]: what each message of a table becomes, and what frames a window's messages.

use super::values::Escape;
use crate::error::{Error, Result};

/// Where a field of a message takes its value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Field {
    /// Python's `str()` of the first of `names` that the table has.
    Value {
        names: Vec<String>,
        /// The text of a null value.
        null: &'static str,
        /// NaN prints as `null` too (the pipeline's `_stringify_value`).
        nan_is_null: bool,
        /// The text when the table has none of the columns; `None` makes that an error.
        missing: Option<String>,
    },
    /// The pipeline's message id: `msg_id` when truthy, else `message_id` (the empty text when the
    /// table has only `msg_id`), else, when the table has neither column, a hash of the row.
    PipelineId,
}

/// A piece of a message's text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Piece {
    Text(String),
    Field(Field),
}

/// The columns of the conversation XML ([`PromptTemplate::conversation_xml`]); `None` keeps the
/// existing pipeline's choice for that field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationColumns {
    /// The message id (a null prints empty). Default: the pipeline's rule: `msg_id` when not empty,
    /// else `message_id`, else (neither column in the table) the first 16 hex digits of the SHA-256
    /// of the row's `msg_id`, `timestamp`, `author`, `message`, `content`, `text` values that are not
    /// empty, joined by `||`.
    pub id: Option<String>,
    /// The author (a null prints `None`). Default: `author`, or the text `unknown` when the table has
    /// no such column (the pipeline's message table has `author_raw` and `author_uuid`, so its prompts
    /// say `unknown`).
    pub author: Option<String>,
    /// The time (a null prints `None`). Default: `ts`, else `timestamp`, else the empty text.
    pub ts: Option<String>,
    /// The message's text (a null prints `None`). Default: `text`, else the empty text.
    pub text: Option<String>,
}

/// What each message of a table becomes, and what frames a window's messages: a window of rows
/// renders as `header`, the rows' messages one after another, then `footer`; a window without rows
/// renders as `empty`. A message is literal text and fields; each field prints a column's value as
/// Python's `str()` does (the value `pyarrow`'s `to_pylist` gives), escaped as [`Escape`] says.
///
/// [`PromptTemplate::egregora`] is the existing pipeline's conversation XML.
///
/// # Example
/// ```
/// use streamliner::llm::PromptTemplate;
/// let t = PromptTemplate::new("{author}: {text}\n")?.header("Chat:\n").footer("End.");
/// assert_eq!(t.frame(), ("Chat:\n", "End.", "Chat:\nEnd."));
/// # Ok::<(), streamliner::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PromptTemplate {
    pub(crate) header: String,
    pub(crate) footer: String,
    /// The text of a window without messages, and whether it was set (else header ++ footer).
    pub(crate) empty: String,
    pub(crate) empty_set: bool,
    pub(crate) message: Vec<Piece>,
    pub(crate) escape: Escape,
}

impl PromptTemplate {
    /// The existing pipeline's conversation XML (`build_conversation_xml`, its Jinja template with
    /// autoescape), with the pipeline's columns: `<chat>\n`, then per message
    /// `\n<m id="ID" author="AUTHOR" ts="TS">CONTENT</m>\n`, then `\n</chat>`; `<chat></chat>` for no
    /// message. See [`ConversationColumns`] for where each field comes from.
    pub fn egregora() -> Self {
        Self::conversation_xml(&ConversationColumns::default())
    }

    /// The conversation XML of [`PromptTemplate::egregora`] with the columns named in `columns`.
    pub fn conversation_xml(columns: &ConversationColumns) -> Self {
        let named = |name: &Option<String>, null: &'static str, nan_is_null: bool| {
            name.as_ref().map(|n| Field::Value { names: vec![n.clone()], null, nan_is_null, missing: None })
        };
        let id = named(&columns.id, "", true).unwrap_or(Field::PipelineId);
        let author = named(&columns.author, "None", false).unwrap_or(Field::Value {
            names: vec!["author".into()],
            null: "None",
            nan_is_null: false,
            missing: Some("unknown".into()),
        });
        let ts = named(&columns.ts, "None", false).unwrap_or(Field::Value {
            names: vec!["ts".into(), "timestamp".into()],
            null: "None",
            nan_is_null: false,
            missing: Some(String::new()),
        });
        let text = named(&columns.text, "None", false).unwrap_or(Field::Value {
            names: vec!["text".into()],
            null: "None",
            nan_is_null: false,
            missing: Some(String::new()),
        });
        let t = |s: &str| Piece::Text(s.to_string());
        PromptTemplate {
            header: "<chat>\n".into(),
            footer: "\n</chat>".into(),
            empty: "<chat></chat>".into(),
            empty_set: true,
            message: vec![
                t("\n<m id=\""),
                Piece::Field(id),
                t("\" author=\""),
                Piece::Field(author),
                t("\" ts=\""),
                Piece::Field(ts),
                t("\">"),
                Piece::Field(text),
                t("</m>\n"),
            ],
            escape: Escape::Html,
        }
    }

    /// A template whose message is `message` with `{column}` fields (`{{` and `}}` for braces): each
    /// prints the column's value as Python's `str()` does, a null as the empty text. No header or
    /// footer, HTML escaping ([`Escape::Html`]); change them with the builder methods.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unclosed `{`, a lone `}` or an empty field name.
    pub fn new(message: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid("message template", crate::error::excerpt(message), why.to_string());
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = message.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some('{') | None => return Err(bad("a '{' is not closed by '}'")),
                            Some(c) => name.push(c),
                        }
                    }
                    if name.is_empty() {
                        return Err(bad("a field names no column ('{}')"));
                    }
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Field(Field::Value {
                        names: vec![name],
                        null: "",
                        nan_is_null: false,
                        missing: None,
                    }));
                }
                '}' => return Err(bad("a '}' closes no field (write '}}' for a brace)")),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(PromptTemplate {
            header: String::new(),
            footer: String::new(),
            empty: String::new(),
            empty_set: false,
            message: pieces,
            escape: Escape::Html,
        })
    }

    /// The text before a window's messages.
    pub fn header(mut self, header: &str) -> Self {
        self.header = header.into();
        self.default_empty();
        self
    }

    /// The text after a window's messages.
    pub fn footer(mut self, footer: &str) -> Self {
        self.footer = footer.into();
        self.default_empty();
        self
    }

    fn default_empty(&mut self) {
        if !self.empty_set {
            self.empty = format!("{}{}", self.header, self.footer);
        }
    }

    /// The whole text of a window without messages (by default the header, then the footer).
    pub fn empty(mut self, empty: &str) -> Self {
        self.empty = empty.into();
        self.empty_set = true;
        self
    }

    /// How field values are escaped.
    pub fn escape(mut self, escape: Escape) -> Self {
        self.escape = escape;
        self
    }

    /// The header, the footer, and the text of a window without messages.
    pub fn frame(&self) -> (&str, &str, &str) {
        (&self.header, &self.footer, &self.empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_braces() {
        let t = PromptTemplate::new("{{x}} {a}-{b c}}}").unwrap();
        let text = |s: &str| Piece::Text(s.into());
        let field =
            |s: &str| Piece::Field(Field::Value { names: vec![s.into()], null: "", nan_is_null: false, missing: None });
        assert_eq!(t.message, vec![text("{x} "), field("a"), text("-"), field("b c"), text("}")]);
        for bad in ["{a", "a}", "{}", "{a{b}}"] {
            assert!(PromptTemplate::new(bad).is_err(), "{bad}");
        }
    }
}
