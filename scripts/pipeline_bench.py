"""The whole pipeline, stage by stage: streamliner against the existing pipeline's own way of doing each
stage (written out in Python from shared/docs/semantics.md), on the same WhatsApp export, in one run.

    python scripts/pipeline_bench.py EXPORT.txt [--parser-messages N] [--pipeline-windows K]
        [--repeat R] [--backend auto] [--plot docs/img/pipeline_stages.png] [--json FILE] [--note TEXT]

scripts/pipeline_bench.sh generates the export (`gen_history`) and the environment, then runs this.

1. export -> message table. streamliner: `streamliner.prepare(path)`. The pipeline: the file read with
   universal newlines, each line NFKC-normalized (non-ASCII lines), cleared of bidi controls, e-mails and
   phones redacted, HTML-escaped, matched against its line regex, continuation lines joined (the reference
   parser of tests/fixtures/make_fixtures.py, `pipeline_rows`), then per message: `uuid.uuid5` of the
   author, the message id `"{ms}_{row}"`, `attrs` as JSON, and the table built with pyarrow. The two
   tables are checked equal (every column the pipeline fills; `prepare` also drops command messages, so
   they are dropped from the pipeline's table before comparing).
2. message table -> windows (count windows, 100 messages, overlap 0.2, egregora semantics).
   streamliner: `streamliner.egregora.create_windows(table)`, every window with its rows as a zero-copy
   `pyarrow.Table`. The pipeline: one Ibis query per window on an Ibis memtable (DuckDB),
   `t.order_by(t.ts).limit(size, offset=start).to_pyarrow()`, timed on --pipeline-windows windows spread
   over the history (each sorts the whole table); their rows are checked equal to streamliner's.
3. windows -> prompts, signatures and token counts. streamliner: `render_prompts` (every message
   rendered once), `.signatures` (SHA-256 of every prompt), `.prompts` (joined), exact o200k_base counts
   of every prompt (`token_counts`), and the full `"{A}:{B}:{MODEL}"` signatures. The pipeline, window
   by window: the rows as dicts (`to_pylist()`), `filter_commands`, `build_conversation_xml` (a new Jinja
   Environment with autoescape per window, scripts/bench_prompts.py), `generate_window_signature`
   (`hashlib.sha256`), and its token estimate `len(xml) // 4`. Every signature is checked equal.
   Apart: exact counts with tiktoken (`encode_ordinary` per prompt, vocabulary from the tiktoken-rs
   crate's files, scripts/local_tiktoken.py) against `token_counts`, checked equal; the pipeline's
   render with its template compiled once.

Also apart (not in the total): media references of every message (`streamliner.media_references`
against the pipeline's `find_media_references`, tests/fixtures/make_llm_fixtures.py) and the opt-out of two
authors (`streamliner.opt_out_mask` against an Ibis count per opted-out author and an `isin` filter).

Every streamliner figure is the first call in the process (what one run of a pipeline pays), then the
best of --repeat more calls is printed. Every pipeline figure is one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid

import pyarrow as pa
import pyarrow.compute as pc

import streamliner
from streamliner.egregora import create_windows

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(REPO, "tests", "fixtures")]
import bench_prompts  # noqa: E402  (the pipeline's build_conversation_xml)
import make_fixtures  # noqa: E402  (the pipeline's WhatsApp parser)
import make_llm_fixtures  # noqa: E402  (the pipeline's find_media_references)

# The columns of the message table the pipeline expects (semantics.md), in its order.
PIPELINE_COLUMNS = ["event_id", "tenant_id", "source", "thread_id", "msg_id", "ts", "author_raw", "author_uuid",
                    "text", "media_url", "media_type", "attrs", "pii_flags", "created_at", "created_by_run"]
# The writer's prompt template, instructions and model, as they enter the window signature (any text will do).
WRITER_TEMPLATE, INSTRUCTIONS, MODEL = "writer.jinja {{ conversation_xml }}", "", "gemini-2.5-flash"
STEP, OVERLAP = 100, 0.2


def log(msg: str = "") -> None:
    print(msg, flush=True)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown"


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def ours(repeat: int, f):
    """(first call's seconds, best of `repeat` later calls or None, the first call's result). Each later
    call starts with the previous call's results dropped."""
    first, out = timed(f)
    best = None
    for _ in range(repeat):
        gc.collect()
        t, _ = timed(f)
        best = t if best is None else min(best, t)
    return first, best, out


def ratio(x: float) -> str:
    return f"{x:.2f}x" if x < 10 else f"{x:,.0f}x"


def fmt_best(best: float | None) -> str:
    return "" if best is None else f" (best of the next calls: {best:.3f} s)"


# ---- stage 1: export -> message table ------------------------------------------------------------------

def pipeline_parse(path: str, group: str) -> pa.Table:
    """The pipeline's WhatsApp parser and message table, row by row in Python."""
    with open(path, encoding="utf-8") as f:  # universal newlines, as the pipeline opens it
        text = f.read()
    rows = make_fixtures.pipeline_rows(text)
    del text
    n = len(rows)
    # msg_id: milliseconds from the first message (half to even), then the row's place in (ts, input order).
    order = sorted(range(n), key=lambda i: rows[i]["ts"])
    msg_id: list[str | None] = [None] * n
    if n:
        t0 = rows[order[0]]["ts"]
        micro = dt.timedelta(microseconds=1)
        for pos, i in enumerate(order):
            msg_id[i] = f"{round(((rows[i]['ts'] - t0) // micro) / 1000)}_{pos}"
    authors, uuids, texts, attrs, ts = [], [], [], [], []
    for r in rows:
        authors.append(r["author"])
        uuids.append(str(uuid.uuid5(uuid.NAMESPACE_OID, "whatsapp:" + r["author"].strip())))
        texts.append(r["text"])
        attrs.append(json.dumps({"original_line": r["original_line"], "tagged_line": None,
                                 "message_date": r["message_date"]}, ensure_ascii=False, separators=(",", ":")))
        ts.append(r["ts"])
    del rows
    slug = group.lower().replace(" ", "-")
    ts_arr = pa.array(ts, pa.timestamp("us", "UTC"))
    ids = pa.array(msg_id, pa.string())
    null = pa.nulls(n, pa.string())
    return pa.table({
        "event_id": ids, "tenant_id": pa.array([slug] * n), "source": pa.array(["whatsapp"] * n),
        "thread_id": pa.array([slug] * n), "msg_id": ids, "ts": ts_arr, "author_raw": pa.array(authors),
        "author_uuid": pa.array(uuids), "text": pa.array(texts), "media_url": null, "media_type": null,
        "attrs": pa.array(attrs), "pii_flags": null, "created_at": ts_arr,
        "created_by_run": pa.array(["adapter:whatsapp"] * n),
    })


def write_prefix(path: str, messages: int, out: str) -> None:
    """The first `messages` messages of an export (its lines up to the next message's first line)."""
    header = make_fixtures.HEADER
    seen = 0
    with open(path, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for line in src:
            if header.match(line.rstrip("\n")):
                seen += 1
                if seen > messages:
                    break
            dst.write(line)


def check_tables(theirs: pa.Table, mine: pa.Table) -> str:
    commands = pc.starts_with(pc.utf8_lower(theirs.column("text")), "/egregora")
    theirs = theirs.filter(pc.invert(commands))
    if theirs.num_rows != mine.num_rows:
        return f"DIFFER: {theirs.num_rows} rows against {mine.num_rows}"
    bad = [c for c in PIPELINE_COLUMNS if not theirs.column(c).equals(mine.column(c).cast(theirs.column(c).type))]
    return "equal in every column" if not bad else f"DIFFER in {bad}"


def stage_parse(args, engine, results) -> pa.Table:
    path = args.export
    group = os.path.splitext(os.path.basename(path))[0]
    log(f"## 1. export -> message table ({load()})")
    first, best, (table, info) = ours(args.repeat, lambda: streamliner.prepare(path, engine=engine, summary=True))
    n = info["messages"] + info["dropped_commands"] + info["dropped_opted_out"]
    log(f"streamliner.prepare: {first:.3f} s{fmt_best(best)}; {info}")
    sub, measured = path, n
    if args.parser_messages and args.parser_messages < n:
        sub = os.path.join(tempfile.mkdtemp(prefix="pipeline_bench_"), os.path.basename(path))
        write_prefix(path, args.parser_messages, sub)
        measured = args.parser_messages
        ours_sub, _, (mine, _) = ours(0, lambda: streamliner.prepare(sub, engine=engine, summary=True))
        log(f"streamliner.prepare on the first {measured} messages: {ours_sub:.3f} s")
    else:
        mine = table
    gc.collect()
    t_pipe, theirs = timed(lambda: pipeline_parse(sub, group))
    log(f"the pipeline's parser (Python, row by row) on {measured} messages: {t_pipe:.2f} s, "
        f"{t_pipe / measured * 1e6:.1f} us a message")
    log(f"tables: {check_tables(theirs, mine)}")
    del theirs, mine
    gc.collect()
    results["parse"] = dict(ours=first, ours_best=best, pipeline=t_pipe, pipeline_messages=measured, messages=n)
    log(f"({load()})")
    return table.select(PIPELINE_COLUMNS)


# ---- stage 2: message table -> windows ------------------------------------------------------------------

def canonical(t: pa.Table) -> list:
    """Rows sorted (DuckDB's order_by(ts) keeps no order among rows at one timestamp)."""
    return sorted(t.to_pylist(), key=lambda r: tuple(str(v) for v in r.values()))


def stage_windows(args, engine, table, results):
    import ibis

    log(f"## 2. message table -> windows ({load()})")
    first, best, wins = ours(args.repeat, lambda: list(
        create_windows(table, step_size=STEP, overlap_ratio=OVERLAP, engine=engine)))
    count = len(wins)
    log(f"streamliner.egregora.create_windows: {count} windows in {first:.3f} s{fmt_best(best)}")
    bounds = streamliner.window(table, step=STEP, overlap=OVERLAP, semantics="egregora", engine=engine)
    starts = bounds.table.column("start_row").to_pylist()
    t = ibis.memtable(table)  # executed by Ibis's default backend, DuckDB
    t.order_by(t.ts).limit(1, offset=1).to_pyarrow()  # connection and first compilation, not timed
    k = min(args.pipeline_windows or count, count)
    picked = sorted({round(i * (count - 1) / max(k - 1, 1)) for i in range(k)}) if count else []
    fetched = []
    t0 = time.perf_counter()
    for i in picked:
        fetched.append(t.order_by(t.ts).limit(wins[i].size, offset=starts[i]).to_pyarrow())
    t_pipe = time.perf_counter() - t0
    equal = sum(canonical(got) == canonical(wins[i].table) for i, got in zip(picked, fetched))
    per = t_pipe / max(len(picked), 1)
    log(f"the pipeline's per-window Ibis query: {len(picked)} of {count} windows in {t_pipe:.2f} s, "
        f"{per * 1e3:.1f} ms a window")
    log(f"rows equal in {equal} of {len(picked)} windows fetched")
    results["windows"] = dict(ours=first, ours_best=best, pipeline=per * count, pipeline_windows=len(picked),
                              windows=count, pipeline_measured=t_pipe)
    log(f"({load()})")
    return bounds


# ---- stage 3: windows -> prompts, signatures, token counts ------------------------------------------------

def filter_commands(records: list[dict]) -> list[dict]:
    """The pipeline's `filter_commands`: drops rows whose text, lowercased, starts with /egregora."""
    return [r for r in records if not (r.get("text") or "").lower().startswith("/egregora")]


def pipeline_window(window: pa.Table, template_dir: str, cached) -> tuple[str, str, int]:
    """One window as the pipeline handles it: (xml, its full signature, its token estimate)."""
    records = filter_commands(bench_prompts.pipeline_records(window))
    xml = bench_prompts.pipeline_xml_records(records, template_dir, cached)
    digest = hashlib.sha256(xml.encode("utf-8")).hexdigest()
    logic = hashlib.sha256(f"{WRITER_TEMPLATE}:{INSTRUCTIONS}".encode("utf-8")).hexdigest()
    return xml, f"{digest}:{logic}:{MODEL}", len(xml) // 4


def stage_prompts(args, engine, bounds, results):
    import jinja2

    import local_tiktoken

    log(f"## 3. windows -> prompts, signatures, token counts ({load()})")
    history = bounds.history()
    # The vocabulary is read once per process, before timing (tiktoken's below too).
    streamliner.token_counts(pa.array(["warm-up"]), "o200k_base", engine=engine)

    def run():
        parts = {}
        t = time.perf_counter()
        p = streamliner.render_prompts(history, bounds.table, engine=engine)
        parts["render"] = time.perf_counter() - t
        t = time.perf_counter()
        sigs = p.signatures
        parts["sign"] = time.perf_counter() - t
        t = time.perf_counter()
        prompts = p.prompts
        parts["join"] = time.perf_counter() - t
        t = time.perf_counter()
        tokens = streamliner.token_counts(prompts, "o200k_base", engine=engine)
        parts["tokens"] = time.perf_counter() - t
        t = time.perf_counter()
        full = [streamliner.window_signature(s, WRITER_TEMPLATE, INSTRUCTIONS, MODEL) for s in sigs.to_pylist()]
        parts["signatures"] = time.perf_counter() - t
        return parts, full, tokens

    first_parts, full, tokens = run()
    first = sum(first_parts.values())
    best = None
    for _ in range(args.repeat):
        gc.collect()
        parts, _, _ = run()
        best = sum(parts.values()) if best is None else min(best, sum(parts.values()))
    log("streamliner: " + " + ".join(f"{k} {v:.3f}" for k, v in first_parts.items()) + f" = {first:.3f} s"
        + fmt_best(best))
    count = len(bounds)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "conversation.xml.jinja"), "w", encoding="utf-8") as f:
            f.write(bench_prompts.TEMPLATE)
        t0 = time.perf_counter()
        xmls, theirs, estimate = [], [], 0
        for w in bounds.iter_rows():
            xml, sig, est = pipeline_window(w[1], tmp, None)
            xmls.append(xml)
            theirs.append(sig)
            estimate += est
        t_pipe = time.perf_counter() - t0
        log(f"the pipeline, window by window (rows as dicts, filter_commands, a Jinja Environment per window, "
            f"sha256, len // 4): {count} windows in {t_pipe:.2f} s, {t_pipe / count * 1e3:.2f} ms a window")
        log(f"signatures: {'every one equal' if theirs == full else 'DIFFER'}")
        compiled = jinja2.Environment(autoescape=True).from_string(bench_prompts.TEMPLATE)
        t_once, again = timed(lambda: [pipeline_window(w[1], tmp, compiled)[1] for w in bounds.iter_rows()])
        log(f"the same with the template compiled once: {t_once:.2f} s ({'equal' if again == theirs else 'DIFFER'})")
    del again
    enc = local_tiktoken.encoding("o200k_base")
    enc.encode_ordinary(xmls[0])
    t_tik, tik = timed(lambda: [len(enc.encode_ordinary(x)) for x in xmls])
    exact = tokens.to_pylist()
    log(f"exact o200k_base counts of every prompt: tiktoken encode_ordinary per prompt {t_tik:.2f} s; "
        f"streamliner.token_counts {first_parts['tokens']:.3f} s; {sum(exact)} tokens, counts "
        f"{'equal' if tik == exact else 'DIFFER'}; the pipeline's estimate len // 4 gives {estimate}")
    results["prompts"] = dict(ours=first, ours_best=best, ours_parts=first_parts, pipeline=t_pipe,
                              pipeline_compiled_once=t_once, windows=count, tiktoken=t_tik,
                              tokens=sum(exact), estimate=estimate)
    log(f"({load()})")


# ---- apart: media references, opt-out --------------------------------------------------------------------

def stage_apart(args, engine, table, results):
    import ibis

    log(f"## apart: media references, opt-out ({load()})")
    text = table.column("text")
    t_mine, refs = ours(0, lambda: streamliner.media_references(text, engine=engine))[0::2]
    values = text.to_pylist()
    t_theirs, theirs = timed(lambda: [make_llm_fixtures.find_media_references(v) for v in values])
    same = [sorted(r) for r in theirs] == [r or [] for r in refs.to_pylist()]
    found = sum(len(r) for r in theirs)
    log(f"media references of {len(values)} messages ({found} found): streamliner.media_references "
        f"{t_mine:.3f} s; the pipeline's find_media_references per message {t_theirs:.2f} s (texts already "
        f"Python strings); {'equal' if same else 'DIFFER'}")
    del values, theirs
    uuids = table.column("author_uuid")
    opted = sorted(set(uuids.slice(0, 1000).to_pylist()))[:2]

    parts = {}

    def mine():
        t = time.perf_counter()
        mask = streamliner.opt_out_mask(uuids, opted, engine=engine)
        parts["mask"] = time.perf_counter() - t
        t = time.perf_counter()
        kept = table.filter(pc.invert(mask))
        parts["filter (pyarrow)"] = time.perf_counter() - t
        t = time.perf_counter()
        counts = pc.value_counts(uuids.filter(mask)).to_pylist()
        parts["counts (pyarrow)"] = time.perf_counter() - t
        return kept, counts

    t_opt, (kept, counts) = ours(0, mine)[0::2]
    t = ibis.memtable(table)
    t.count().execute()

    def pipeline_opt_out():
        per_author = {u: t.filter(t.author_uuid == u).count().execute() for u in opted}
        return t.filter(~t.author_uuid.isin(opted)).to_pyarrow(), per_author

    t_ibis, (kept2, per_author) = timed(pipeline_opt_out)
    same = kept2.num_rows == kept.num_rows and {c["values"]: c["counts"] for c in counts} == per_author
    log(f"opt-out of 2 authors ({sum(per_author.values())} messages dropped): opt_out_mask, filter and counts "
        f"{t_opt:.3f} s (" + ", ".join(f"{k} {v:.3f}" for k, v in parts.items()) + f"); Ibis, a count per author and an isin filter {t_ibis:.2f} s; "
        f"{'equal' if same else 'DIFFER'}")
    results["media"] = dict(ours=t_mine, pipeline=t_theirs, found=found)
    results["opt_out"] = dict(ours=t_opt, ours_parts=parts, pipeline=t_ibis)


# ---- report ----------------------------------------------------------------------------------------------

def report(results, args) -> None:
    p, w, r = results["parse"], results["windows"], results["prompts"]
    n = p["messages"]
    # A stage the pipeline ran on a part only is shown as measured (time for that part, and the rate): no
    # total is extrapolated from it.
    rows = [
        (f"1. export -> message table ({n:,} messages)", p["ours"], p["pipeline"], p["pipeline_messages"], n,
         "message"),
        (f"2. message table -> windows ({w['windows']:,} windows)", w["ours"], w["pipeline_measured"],
         w["pipeline_windows"], w["windows"], "window"),
        ("3. windows -> prompts, signatures, tokens", r["ours"], r["pipeline"], r["windows"], r["windows"], "window"),
    ]
    partial = any(k != total for *_, k, total, _ in rows)
    log()
    best = [p["ours_best"], w["ours_best"], r["ours_best"]]
    log("| stage | streamliner (s) | streamliner, later calls (best, s) | pipeline's way (s) | speed-up "
        "| pipeline measured on |")
    log("|---|---:|---:|---:|---:|---|")
    for (name, a, b, k, total, unit), later in zip(rows, best):
        later_s = "" if later is None else f"{later:.3f}"
        if k == total:
            log(f"| {name} | {a:.3f} | {later_s} | {b:.1f} | {ratio(b / a)} | all of it |")
        else:
            rate = b / max(k, 1)
            log(f"| {name} | {a:.3f} | {later_s} | {b:.1f} for {k:,} {unit}s ({rate * 1e3:.1f} ms a {unit}) "
                f"| {ratio(rate / (a / total))} a {unit} | {k:,} of the {total:,} {unit}s |")
    ta = sum(a for _, a, *_ in rows)
    tl = "" if None in best else f"**{sum(best):.2f}**"
    if partial:
        log(f"| **total** | **{ta:.2f}** | {tl} | | | the pipeline ran a part of a stage: no total |")
    else:
        tb = sum(b for _, _, b, *_ in rows)
        log(f"| **total** | **{ta:.2f}** | {tl} | **{tb:.0f}** | **{ratio(tb / ta)}** | |")
    log()
    log("Per message / per window:")
    log(f"- parse: streamliner {p['ours'] / n * 1e6:.2f} us a message ({n:,}); the pipeline "
        f"{p['pipeline'] / p['pipeline_messages'] * 1e6:.1f} us a message ({p['pipeline_messages']:,} measured)")
    log(f"- windows: streamliner {w['ours'] / w['windows'] * 1e6:.1f} us a window; the pipeline "
        f"{w['pipeline_measured'] / max(w['pipeline_windows'], 1) * 1e3:.1f} ms a window "
        f"({w['pipeline_windows']:,} measured)")
    log(f"- prompts: streamliner {r['ours'] / r['windows'] * 1e6:.1f} us a window; the pipeline "
        f"{r['pipeline'] / r['windows'] * 1e3:.2f} ms a window ({r['windows']:,} measured)")
    log()
    log("Apart (not in the total):")
    log(f"- exact o200k_base counts of every prompt: tiktoken per prompt {r['tiktoken']:.2f} s, "
        f"streamliner.token_counts {r['ours_parts']['tokens']:.3f} s ({ratio(r['tiktoken'] / r['ours_parts']['tokens'])})")
    log(f"- stage 3 with the pipeline's template compiled once: {r['pipeline_compiled_once']:.2f} s "
        f"({ratio(r['pipeline_compiled_once'] / r['ours'])})")
    if "media" in results:
        m, o = results["media"], results["opt_out"]
        log(f"- media references: {m['pipeline']:.2f} s against {m['ours']:.3f} s ({ratio(m['pipeline'] / m['ours'])})")
        log(f"- opt-out: {o['pipeline']:.2f} s against {o['ours']:.3f} s ({ratio(o['pipeline'] / o['ours'])})")
    if args.plot:
        plot(rows, args.plot, f"{n:,} messages, {w['windows']:,} windows: time per message or window, log scale")
        log(f"plot: {args.plot}")


def plot(rows, path: str, title: str) -> None:
    """Each stage's time per unit (a message or a window), streamliner's beside the pipeline's, on a log
    scale: what was measured, with nothing extrapolated."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.4))
    fig.suptitle(title, fontsize=10)
    labels, ours, theirs = [], [], []
    for name, a, b, k, total, unit in rows:
        labels.append(f"{name.split(' (')[0]}\n(per {unit})")
        ours.append(a / total)
        theirs.append(b / max(k, 1))
    y = list(range(len(rows)))
    ax.barh([v + 0.2 for v in y], ours, height=0.38, color="#4c72b0", label="streamliner")
    ax.barh([v - 0.2 for v in y], theirs, height=0.38, color="#dd8452", label="the pipeline's way")
    for v, (o, t) in enumerate(zip(ours, theirs)):
        for x, dy in ((o, 0.2), (t, -0.2)):
            shown = f"{x * 1e6:.1f} us" if x < 1e-3 else f"{x * 1e3:.1f} ms"
            ax.text(x * 1.15, v + dy, shown, va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(min(ours) / 3, max(theirs) * 30)
    ax.set_xlabel("seconds per message (stage 1) or per window (stages 2 and 3), log scale", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("export", help="a WhatsApp export (.txt), e.g. from gen_history")
    ap.add_argument("--parser-messages", type=int, default=0,
                    help="time the pipeline's parser on the first N messages only (default: all)")
    ap.add_argument("--pipeline-windows", type=int, default=200,
                    help="time the pipeline's per-window query on N windows spread over the history (0: all)")
    ap.add_argument("--repeat", type=int, default=2, help="streamliner's calls after the first")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--plot", default="")
    ap.add_argument("--json", default="")
    ap.add_argument("--note", default="", help="printed with the machine (e.g. that it was shared)")
    ap.add_argument("--skip-apart", action="store_true", help="skip media references and opt-out")
    ap.add_argument("--report", default="", help="print the table and draw the plot of a --json file; measure nothing")
    args = ap.parse_args()
    if args.report:
        with open(args.report, encoding="utf-8") as f:
            report(json.load(f), args)
        return

    import duckdb
    import ibis
    import jinja2
    import tiktoken

    engine = streamliner.Engine(args.backend)
    log(f"# {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; nproc {len(os.sched_getaffinity(0))}; "
        f"CPU {cpu_model()}; {platform.system()} {platform.release()}; {load()}")
    if args.note:
        log(f"# {args.note}")
    log(f"# Python {platform.python_version()}, streamliner {streamliner.__version__} "
        f"(engine: {engine.info()['description']}), pyarrow {pa.__version__}, Jinja2 {jinja2.__version__}, "
        f"DuckDB {duckdb.__version__}, Ibis {ibis.__version__}, tiktoken {tiktoken.__version__}")
    log(f"# export: {args.export}, {os.path.getsize(args.export) / 1e6:.1f} MB; windows: {STEP} messages, "
        f"overlap {OVERLAP}, egregora semantics")
    results: dict = {}
    table = stage_parse(args, engine, results)
    bounds = stage_windows(args, engine, table, results)
    stage_prompts(args, engine, bounds, results)
    if not args.skip_apart:
        stage_apart(args, engine, table, results)
    report(results, args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
