"""Windows made ready for an LLM: every message rendered once into the prompt text, each window's
prompt a range of it, the SHA-256 of every prompt, and the media file names messages refer to.

>>> import pyarrow as pa, streamliner
>>> t = pa.table({"msg_id": ["a1", "b2"], "ts": pa.array([0, 60], pa.timestamp("s", "UTC")), "text": ["hi", "a & b"]})
>>> p = streamliner.render_prompts(t, [(0, 2), (1, 1)])
>>> print(p[0])
<chat>
<BLANKLINE>
<m id="a1" author="unknown" ts="1970-01-01 00:00:00+00:00">hi</m>
<BLANKLINE>
<m id="b2" author="unknown" ts="1970-01-01 00:01:00+00:00">a &amp; b</m>
<BLANKLINE>
</chat>
>>> p[1]
'<chat></chat>'
>>> len(p.signatures[0].as_py())
64
"""

from __future__ import annotations

import hashlib
from typing import Any

import pyarrow as pa

from . import _streamliner as _ext
from ._streamliner import Engine

__all__ = ["Prompts", "media_references", "render_prompts", "sha256", "window_signature"]


def window_signature(prompt_sha256: str, template: str, instructions: str | None, model: str) -> str:
    """The pipeline's window signature (``generate_window_signature``): ``"{A}:{B}:{MODEL}"``, where A is
    the prompt's SHA-256 (hex, as :attr:`Prompts.signatures` gives it), B the SHA-256 of
    ``f"{template}:{instructions}"`` (``None`` instructions count as empty) and MODEL the writer model's
    name as given."""
    logic = hashlib.sha256(f"{template}:{instructions or ''}".encode()).hexdigest()
    return f"{prompt_sha256}:{logic}:{model}"


class Prompts:
    """The prompts of windows over one message table (from :func:`render_prompts`).

    Every message was rendered once; a window's prompt is the template's header, its messages' text (a
    range of that rendering) and the footer. ``len(prompts)`` windows; ``prompts[i]`` is window ``i``'s
    prompt as a ``str``; :attr:`prompts` all of them as one ``pyarrow.LargeStringArray`` (joined on
    first use); :attr:`signatures` their SHA-256, computed over the rendering without joining.
    """

    __slots__ = ("_ext", "_prompts", "_signatures")

    def __init__(self, ext: Any) -> None:
        self._ext = ext
        self._prompts: pa.LargeStringArray | None = None
        self._signatures: pa.StringArray | None = None

    def __len__(self) -> int:
        return len(self._ext)

    def __getitem__(self, i: int) -> str:
        prompt: str = self._ext.prompt(i)
        return prompt

    def __repr__(self) -> str:
        return f"<streamliner.Prompts: {len(self)} windows over {self._ext.messages()} messages>"

    @property
    def prompts(self) -> pa.LargeStringArray:
        """Every window's prompt, one row each."""
        if self._prompts is None:
            self._prompts = self._ext.prompts()
        return self._prompts

    @property
    def signatures(self) -> pa.StringArray:
        """The SHA-256 of every window's prompt (UTF-8) as 64 lowercase hex digits: what the pipeline's
        ``hashlib.sha256(xml.encode()).hexdigest()`` gives, on the GPU when the engine has one."""
        if self._signatures is None:
            self._signatures = self._ext.signatures()
        return self._signatures

    def signature(self, i: int, template: str, instructions: str | None, model: str) -> str:
        """Window ``i``'s full signature as the pipeline writes it (see :func:`window_signature`)."""
        return window_signature(self.signatures[i].as_py(), template, instructions, model)


def render_prompts(
    messages: Any,
    windows: Any,
    template: str = "egregora",
    *,
    message: str | None = None,
    header: str | None = None,
    footer: str | None = None,
    empty: str | None = None,
    id_column: str | None = None,
    author_column: str | None = None,
    ts_column: str | None = None,
    text_column: str | None = None,
    escape: str = "html",
    backend: str = "auto",
    engine: Engine | None = None,
) -> Prompts:
    """Render every message of ``messages`` once and frame each window's prompt.

    Args:
        messages: the message table, rows in the order the windows number them (for windows from
            :func:`streamliner.window`, ``windows.history(p)``): a ``pyarrow.Table`` or anything
            :func:`streamliner.as_table` takes.
        windows: a window table (Arrow data with ``start_row`` and ``end_row``, e.g.
            ``streamliner.window(...).table``) or a sequence of ``(start, end)`` row ranges.
        template: ``"egregora"``: the pipeline's conversation XML (``<chat>`` of
            ``<m id=".." author=".." ts="..">text</m>``, Jinja's autoescape and every quirk of the
            pipeline's rendering; see the repository's ``docs/llm.md``).
        message: instead, a per-message template with ``{column}`` fields (``{{``/``}}`` for braces),
            each printing the column's value as Python's ``str()`` does (a null as empty text).
        header, footer: with ``message``: the text before and after a window's messages.
        empty: with ``message``: the whole prompt of a window without messages (default: header then
            footer).
        id_column, author_column, ts_column, text_column: with the egregora template, the columns of
            each field (default: the pipeline's: ``msg_id``/``message_id``/a hash, ``author`` or
            ``"unknown"``, ``ts`` or ``timestamp``, ``text``).
        escape: ``"html"`` (Jinja's autoescape of ``& < > " '``) or ``"none"``.
        backend, engine: where the SHA-256 runs (see :func:`streamliner.window`).

    Returns:
        the :class:`Prompts`.

    Raises:
        ValueError: a missing column, a column type that cannot be printed, a window outside the
            messages, or bad parameters.
    """
    from . import as_table

    ext = _ext.render_prompts(
        as_table(messages),
        windows,
        template,
        message,
        header,
        footer,
        empty,
        id_column,
        author_column,
        ts_column,
        text_column,
        escape,
        backend=backend,
        engine=engine,
    )
    return Prompts(ext)


def media_references(text: Any, backend: str = "auto", engine: Engine | None = None) -> Any:
    """The media file names each text refers to (a ``pyarrow.Array``, or each chunk of a
    ``ChunkedArray``), as the pipeline's ``find_media_references`` finds them: a list of distinct
    strings per row, sorted (the pipeline returns ``list(set(...))``, whose order changes between runs);
    a null text gives a null list.

    A name is found by any of: ``NAME`` before optional whitespace and ``(arquivo anexado)``,
    ``(file attached)``, ``(archivo adjunto)`` or ``\\u200e<attached:`` (case ignored), NAME matching
    ``[\\w\\-\\.]+\\.\\w+``; a WhatsApp name ``(IMG|VID|AUD|PTT|DOC)-\\d+-WA\\d+\\.\\w+`` between word
    boundaries; the same name after U+200E (case ignored). Python ``re`` semantics (Unicode ``\\w``).

    >>> import pyarrow as pa, streamliner
    >>> streamliner.media_references(pa.array(["IMG-20250101-WA0001.jpg (arquivo anexado)", None])).to_pylist()
    [['IMG-20250101-WA0001.jpg'], None]
    """
    from . import _per_chunk

    return _per_chunk(_ext.media_references, text, backend=backend, engine=engine)


def sha256(text: Any, backend: str = "auto", engine: Engine | None = None) -> Any:
    """The SHA-256 of each text's UTF-8 bytes as 64 lowercase hex digits (a null gives a null), for a
    ``pyarrow.Array`` or each chunk of a ``ChunkedArray``.

    >>> import pyarrow as pa, streamliner
    >>> streamliner.sha256(pa.array(["abc"]))[0].as_py()[:16]
    'ba7816bf8f01cfea'
    """
    from . import _per_chunk

    return _per_chunk(_ext.sha256, text, backend=backend, engine=engine)

