"""tiktoken encodings read from the ranks files shipped inside the `tiktoken-rs` crate, so that nothing is
downloaded: the official pattern, special tokens and file hashes of `tiktoken_ext.openai_public`, with its
downloads redirected to the crate's local `.tiktoken` files (their SHA-256 is still checked).

    import local_tiktoken
    enc = local_tiktoken.encoding("o200k_base")      # a tiktoken.Encoding
    enc.encode_ordinary("Hello, world!")

The crate is found with `cargo metadata` run in the repository (it is a dependency of streamliner), or in
the directory named by STREAMLINER_TIKTOKEN_ASSETS.
"""

from __future__ import annotations

import json
import os
import subprocess

import tiktoken
from tiktoken_ext import openai_public

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def assets_dir() -> str:
    """The `assets` directory of the tiktoken-rs crate that streamliner builds with."""
    if os.environ.get("STREAMLINER_TIKTOKEN_ASSETS"):
        return os.environ["STREAMLINER_TIKTOKEN_ASSETS"]
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--manifest-path", os.path.join(REPO, "Cargo.toml")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for package in json.loads(meta)["packages"]:
        if package["name"] == "tiktoken-rs":
            return os.path.join(os.path.dirname(package["manifest_path"]), "assets")
    raise RuntimeError("tiktoken-rs is not among streamliner's dependencies")


def encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding `name` ("o200k_base" or "cl100k_base") from the crate's local ranks file."""
    assets = assets_dir()
    original = openai_public.load_tiktoken_bpe

    def local(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        return original(os.path.join(assets, url.rsplit("/", 1)[-1]), expected_hash=expected_hash)

    os.environ["TIKTOKEN_CACHE_DIR"] = ""  # no cache: read the local file itself
    openai_public.load_tiktoken_bpe = local
    try:
        spec = getattr(openai_public, name)()
    finally:
        openai_public.load_tiktoken_bpe = original
    return tiktoken.Encoding(**spec)
