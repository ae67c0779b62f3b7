//! Turns a WhatsApp export into the message table the existing pipeline expects.
//!
//! ```text
//! cargo run --release --example prepare -- EXPORT [--tz ZONE] [--group NAME] [--opt-out FILE]
//!     [--backend auto|cpu|gpu] [--output FILE]
//! ```
//!
//! EXPORT is a `.txt` export or a `.zip` holding one. Lines are normalized as the pipeline does (NFKC,
//! bidi controls, e-mail and phone redaction on non-ASCII lines; HTML escaping on all), so texts and
//! authors, hence pseudonyms, are the pipeline's. Wall-clock times are in `--tz` (default UTC). The group
//! name (default: from the file name) gives `tenant_id` and `thread_id` as a slug. `--opt-out FILE` lists
//! author names or pseudonyms, one per line, whose messages are dropped; command messages (`/egregora`
//! ...) are dropped too. The table goes to FILE (`.parquet` or `.csv`, by extension; CSV joins urls with
//! a space) or as CSV to stdout; a summary line goes to stderr.

use std::path::PathBuf;
use std::time::Instant;

use streamliner::Backend;
use streamliner::etl::{MessageTableOptions, message_table, opt_out_keys};
use streamliner::io::whatsapp::{WhatsAppOptions, read_whatsapp};
use streamliner::io::{write_csv, write_table};

#[path = "common/mod.rs"]
mod common;

const USAGE: &str =
    "usage: prepare EXPORT [--tz ZONE] [--group NAME] [--opt-out FILE] [--backend auto|cpu|gpu] [--output FILE]";

struct Options {
    export: PathBuf,
    tz: String,
    group: Option<String>,
    opt_out: Option<PathBuf>,
    backend: Option<Backend>,
    output: Option<PathBuf>,
}

fn parse_args() -> Result<Options, Box<dyn std::error::Error>> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let (mut export, mut tz, mut group, mut opt_out, mut backend, mut output) =
        (None, "UTC".to_string(), None, None, None, None);
    while let Some(arg) = p.next()? {
        match arg {
            Long("tz") => tz = p.value()?.string()?,
            Long("group") => group = Some(p.value()?.string()?),
            Long("opt-out") => opt_out = Some(PathBuf::from(p.value()?)),
            Long("backend") => backend = Some(p.value()?.string()?.parse::<Backend>()?),
            Long("output") | Short('o') => output = Some(PathBuf::from(p.value()?)),
            Long("help") | Short('h') => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(v) if export.is_none() => export = Some(PathBuf::from(v)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(Options { export: export.ok_or(USAGE)?, tz, group, opt_out, backend, output })
}

/// The group's name from an export's file name: "WhatsApp Chat with Blog club.zip" gives "Blog club".
fn group_from_path(path: &std::path::Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("whatsapp");
    stem.strip_prefix("WhatsApp Chat with ")
        .or_else(|| stem.strip_prefix("WhatsApp Chat - "))
        .unwrap_or(stem)
        .to_string()
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let opts = parse_args()?;
    let engine = common::engine(opts.backend)?;
    let started = Instant::now();
    let chat =
        read_whatsapp(&opts.export, &WhatsAppOptions { tz: opts.tz.clone(), normalize: true, ..Default::default() })?;
    let opt_out = match &opts.opt_out {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            opt_out_keys(text.lines())
        }
        None => Vec::new(),
    };
    let table_opts = MessageTableOptions {
        group: opts.group.clone().unwrap_or_else(|| group_from_path(&opts.export)),
        tz: opts.tz.clone(),
        opt_out,
        drop_commands: true,
    };
    let (table, summary) = message_table(&engine, &chat, &table_opts)?;
    let elapsed = started.elapsed();
    match &opts.output {
        Some(path) => write_table(&table, path)?,
        None => write_csv(&table, &mut std::io::stdout().lock())?,
    }
    let backend = common::backend_label(&engine);
    eprintln!(
        "prepare: {} messages, {} authors, dropped {} ({} commands, {} opted out, {} empty), {} system notices, backend {backend}, elapsed {:.1} ms",
        summary.messages,
        summary.authors,
        summary.dropped_commands + summary.dropped_opted_out + chat.dropped_empty as usize,
        summary.dropped_commands,
        summary.dropped_opted_out,
        chat.dropped_empty,
        chat.system_notices,
        elapsed.as_secs_f64() * 1e3,
    );
    Ok(())
}

fn main() {
    common::quiet_mesa();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    if let Err(e) = run() {
        eprintln!("prepare: {e}");
        std::process::exit(1);
    }
}
