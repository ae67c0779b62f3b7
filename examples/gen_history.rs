//! Writes a realistic synthetic chat history.
//!
//! ```text
//! cargo run --release --example gen_history -- --messages N [--seed S] [--authors K] [--ties P]
//!     [--start 2024-01-01T08:00:00Z] --output FILE
//! ```
//!
//! FILE's extension picks the format: `.parquet`, `.csv`, `.arrow` (columns `ts`, `author`, `text`), or
//! `.txt`, a WhatsApp export (Android shape, day-first, 24-hour, times in UTC to the minute).
//! The history has bursts of quick replies between long pauses, a share `P` of messages (default 0.05)
//! at the same instant as the one before, 1- to 4-byte UTF-8 text (Latin, accents, CJK, emoji), lengths
//! with a heavy tail (most short, a few thousands of characters), some multi-line messages, links in
//! about one message in thirty, and a rare `/egregora` command.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};

#[path = "common/mod.rs"]
mod common;

const AUTHORS: [&str; 12] =
    ["Alice", "Bob", "José", "Zoë", "李雷", "Ana María", "Olu", "Priya", "Mateus", "Ингрид", "Sam", "Noor"];

const WORDS: [&str; 24] = [
    "the", "meeting", "tomorrow", "ok", "sounds", "good", "café", "naïve", "über", "日本", "天气", "很好", "😀", "🎉",
    "👍", "plan", "blog", "post", "draft", "review", "€20", "ça", "va", "🙏🏽",
];

struct Options {
    messages: u64,
    seed: u64,
    authors: usize,
    ties: f64,
    start: i64,
    output: PathBuf,
}

fn usage() -> ! {
    common::errln!(
        "usage: gen_history --messages N [--seed S] [--authors K] [--ties P] [--start RFC3339] --output FILE\n\
         FILE: .parquet, .csv, .arrow, or .txt (WhatsApp export)"
    );
    std::process::exit(2)
}

fn parse_args() -> Result<Options, Box<dyn std::error::Error>> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let (mut messages, mut seed, mut authors, mut ties, mut start, mut output) = (None, 1u64, 6usize, 0.05, None, None);
    while let Some(arg) = p.next()? {
        match arg {
            Long("messages") | Short('n') => messages = Some(p.value()?.parse::<u64>()?),
            Long("seed") => seed = p.value()?.parse()?,
            Long("authors") => authors = p.value()?.parse::<usize>()?.clamp(1, AUTHORS.len()),
            Long("ties") => ties = p.value()?.parse::<f64>()?.clamp(0.0, 1.0),
            Long("start") => start = Some(p.value()?.string()?),
            Long("output") | Short('o') => output = Some(PathBuf::from(p.value()?)),
            Long("help") | Short('h') => usage(),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let (Some(messages), Some(output)) = (messages, output) else { usage() };
    let start = match start {
        Some(s) => s.parse::<jiff::Timestamp>()?.as_microsecond(),
        None => "2024-01-01T08:00:00Z".parse::<jiff::Timestamp>()?.as_microsecond(),
    };
    Ok(Options { messages, seed, authors, ties, start, output })
}

const LINKS: [&str; 4] = [
    "https://example.org/posts/2024/draft?id=42",
    "http://blog.example.com/a/b",
    "https://www.example.net/wiki/Caf%C3%A9",
    "<https://docs.example.io/guide#intro>",
];

const COMMANDS: [&str; 2] = ["/egregora opt-out", "/EGREGORA set alias"];

/// A message's text: a heavy-tailed number of words, sometimes over several lines, now and then with a
/// link; rarely a command to the pipeline.
fn text(rng: &mut common::Rng) -> String {
    if rng.below(500) == 0 {
        return COMMANDS[rng.below(COMMANDS.len() as u64) as usize].to_string();
    }
    // Pareto-like: most messages have a few words, some have hundreds.
    let words = ((1.0 / (1.0 - rng.unit()).powf(0.9)) * 2.0) as u64;
    let words = words.clamp(1, 1500);
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(if rng.below(25) == 0 { '\n' } else { ' ' });
        }
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    if rng.below(30) == 0 {
        s.push(' ');
        s.push_str(LINKS[rng.below(LINKS.len() as u64) as usize]);
    }
    s
}

/// Messages generated and written at a time: memory stays bounded by one chunk whatever `--messages` is.
/// (2^20, the Parquet writer's row group size, so row groups are as when the history was written whole.)
const CHUNK: u64 = 1 << 20;

/// One chunk of messages.
#[derive(Default)]
struct Chunk {
    ts: Vec<i64>,
    authors: Vec<&'static str>,
    texts: Vec<String>,
}

/// Where the messages go: a WhatsApp export written line by line, or a table written chunk by chunk.
enum Sink {
    Txt(std::io::BufWriter<std::fs::File>),
    Table(Box<streamliner::io::TableWriter>),
}

impl Sink {
    fn write(&mut self, chunk: &mut Chunk) -> Result<(), Box<dyn std::error::Error>> {
        match self {
            Sink::Txt(w) => {
                for ((ts, author), text) in chunk.ts.iter().zip(&chunk.authors).zip(&chunk.texts) {
                    let when = jiff::Timestamp::from_microsecond(*ts)?.strftime("%d/%m/%Y, %H:%M");
                    writeln!(w, "{when} - {author}: {text}")?;
                }
                chunk.ts.clear();
                chunk.authors.clear();
                chunk.texts.clear();
            }
            Sink::Table(w) => {
                let c = std::mem::take(chunk);
                let batch = RecordBatch::try_from_iter([
                    ("ts", Arc::new(TimestampMicrosecondArray::from(c.ts).with_timezone("UTC")) as ArrayRef),
                    ("author", Arc::new(StringArray::from(c.authors)) as ArrayRef),
                    ("text", Arc::new(StringArray::from(c.texts)) as ArrayRef),
                ])?;
                w.write(&batch)?;
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<(), Box<dyn std::error::Error>> {
        match self {
            Sink::Txt(mut w) => w.flush()?,
            Sink::Table(w) => {
                w.finish()?;
            }
        }
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let opts = parse_args()?;
    let started = Instant::now();
    let mut rng = common::Rng(opts.seed);
    let n = opts.messages;
    let is_txt = opts.output.extension().is_some_and(|e| e.eq_ignore_ascii_case("txt"));
    let mut sink = if is_txt {
        Sink::Txt(std::io::BufWriter::new(std::fs::File::create(&opts.output)?))
    } else {
        let schema = Arc::new(arrow_schema::Schema::new(vec![
            arrow_schema::Field::new(
                "ts",
                arrow_schema::DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            arrow_schema::Field::new("author", arrow_schema::DataType::Utf8, false),
            arrow_schema::Field::new("text", arrow_schema::DataType::Utf8, false),
        ]));
        Sink::Table(Box::new(streamliner::io::TableWriter::create(&opts.output, schema)?))
    };
    let mut chunk = Chunk::default();
    let mut t = opts.start;
    for i in 0..n {
        // Bursts: mostly seconds to minutes apart, now and then hours; some ties.
        if i > 0 && rng.unit() >= opts.ties {
            let r = rng.unit();
            let gap_s = if r < 0.7 {
                1 + rng.below(90)
            } else if r < 0.95 {
                60 + rng.below(1800)
            } else {
                3600 + rng.below(36_000)
            };
            t += gap_s as i64 * 1_000_000 + rng.below(1_000_000) as i64;
        }
        chunk.ts.push(t);
        chunk.authors.push(AUTHORS[rng.below(opts.authors as u64) as usize]);
        chunk.texts.push(text(&mut rng));
        if (i + 1) % CHUNK == 0 || i + 1 == n {
            sink.write(&mut chunk)?;
            if n >= CHUNK {
                let secs = started.elapsed().as_secs_f64();
                common::errln!(
                    "gen_history: {} of {n} messages ({}%), {:.0} messages/s",
                    i + 1,
                    (i + 1) * 100 / n,
                    (i + 1) as f64 / secs.max(1e-9)
                );
            }
        }
    }
    sink.finish()?;
    common::errln!(
        "gen_history: wrote {n} messages to {} in {:.2} s",
        opts.output.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
