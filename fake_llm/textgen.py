"""Deterministic text and vectors without a model: seeded by (seed, request content); a token is a word."""

from __future__ import annotations

import array
import base64
import functools
import hashlib
import json
import math
import random
from collections.abc import Iterator

__all__ = [
    "CACHED_PROMPT_BYTES",
    "TOKEN_CHUNK",
    "VOCABULARY",
    "VOCABULARY_JSON",
    "WHOLE_REPLY_TOKENS",
    "LazyTokens",
    "completion_tokens",
    "count_tokens",
    "embedding",
    "embedding_base64",
    "request_rng",
    "token_chunks",
    "words",
]

WHOLE_REPLY_TOKENS = 1024
"""Replies up to this many tokens are built whole (cached template, one write); longer ones lazily."""
CACHED_PROMPT_BYTES = 16 * 1024
"""Prompts (content keys) up to this size have their completions cached."""
TOKEN_CHUNK = 1024
"""Tokens generated at a time for a lazily built reply."""

_WORDS = (
    "the of and to in is that for it as with was on be by this are from at or an have not but "
    "which one all were when we there can more if no out so said what up its about into than them "
    "only other new some could time these two may then do first any my now such like our over man "
    "me even most made after also did many before must through back years where much your way well "
    "down should because each just those people how too little state good very make world still own "
    "see men work long get here between both life being under never day same another know while last "
    "might us great old year off come since against go came right used take three async await loop "
    "token model latency request server client stream event queue socket thread task future"
)
VOCABULARY: tuple[str, ...] = tuple(" " + w for w in _WORDS.split(" "))
# JSON-escaped once: streaming builds each chunk by concatenation instead of json.dumps per token.
VOCABULARY_JSON: tuple[str, ...] = tuple(json.dumps(w) for w in VOCABULARY)


def request_rng(seed: int, content: bytes) -> random.Random:
    """A generator that depends only on the server seed and the request's content."""
    digest = hashlib.blake2b(content, digest_size=8, key=seed.to_bytes(8, "little", signed=True)).digest()
    return random.Random(int.from_bytes(digest, "little"))


def words(rng: random.Random, n_tokens: int) -> list[int]:
    """Indices into VOCABULARY for `n_tokens` tokens."""
    return rng.choices(range(len(VOCABULARY)), k=n_tokens)


@functools.lru_cache(maxsize=1024)
def completion_tokens(seed: int, content_key: bytes, n_tokens: int) -> tuple[int, ...]:
    """The tokens of a completion, a pure function of (seed, prompt, length).

    Cached because load tests send the same prompt over and over: seeding a generator per request was
    the largest single cost on the hot path. Call it only within `WHOLE_REPLY_TOKENS` and
    `CACHED_PROMPT_BYTES` (the engine does), which bounds what the cache holds.
    """
    return tuple(words(request_rng(seed, content_key), n_tokens))


def token_chunks(
    seed: int, content_key: bytes, n_tokens: int, chunk: int = TOKEN_CHUNK
) -> Iterator[list[int]]:
    """The same tokens as `completion_tokens`, `chunk` at a time; each call starts again from the first.

    `random.choices` draws one number per element, so drawing k tokens in pieces yields the same sequence
    as drawing them at once.
    """
    rng = request_rng(seed, content_key)
    for start in range(0, n_tokens, chunk):
        yield words(rng, min(chunk, n_tokens - start))


class LazyTokens:
    """A completion's tokens as chunks, generated again on each iteration (never held whole)."""

    __slots__ = ("content_key", "n_tokens", "seed")

    def __init__(self, seed: int, content_key: bytes, n_tokens: int) -> None:
        self.seed = seed
        self.content_key = content_key
        self.n_tokens = n_tokens

    def __iter__(self) -> Iterator[list[int]]:
        return token_chunks(self.seed, self.content_key, self.n_tokens)


def count_tokens(text: str) -> int:
    """Estimated tokens in `text` (~4 characters each; at least 1 for non-empty text)."""
    return (len(text) + 3) // 4


def embedding(seed: int, text: str, dimensions: int) -> list[float]:
    """A unit vector that depends only on (seed, text): same text, same vector."""
    rng = request_rng(seed, text.encode("utf-8"))
    vec = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


def embedding_base64(vector: list[float]) -> str:
    """The wire form the SDK asks for by default: little-endian float32, base64."""
    return base64.b64encode(array.array("f", vector).tobytes()).decode("ascii")
