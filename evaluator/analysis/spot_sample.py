"""The stations a spot check samples (抽样), drawn so that anyone can redo the draw.

A share or a number of the contract's stations is drawn by ranking every station by the
SHA-256 digest of ``"<seed>:<station code>"`` (UTF-8, hexadecimal, ties by code) and taking
the lowest ``k``; the seed is the spot check's round id. The draw needs nothing but the round
id, the station codes and any SHA-256 tool: no random generator whose algorithm could change
between Python versions. A share asks for at least that share: ``k = ⌈share × N⌉`` (30 % of
7 stations is 3)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence


def sample_size(population: int, *, share: float | None = None, count: int | None = None) -> int:
    """How many of ``population`` stations a share (rounded up, at least one) or a count asks
    for; the whole population when neither is given."""
    if count is not None:
        return count
    if share is not None:
        # a float product such as 0.3 × 10 = 3.0000000000000004 must not round up to 4
        return max(1, math.ceil(round(share * population, 9)))
    return population


def rank_key(seed: str, code: str) -> str:
    """The digest a station is ranked by in a draw seeded by ``seed``."""
    return hashlib.sha256(f"{seed}:{code}".encode()).hexdigest()


def draw(population: Sequence[str], k: int, seed: str) -> list[str]:
    """``k`` of the ``population`` codes (0 ≤ k ≤ N), the ones of lowest :func:`rank_key`,
    returned sorted by code. The same seed and population always draw the same stations;
    the order the population is listed in never matters."""
    if not 0 <= k <= len(population):
        raise ValueError(f"cannot draw {k} of {len(population)} stations")
    ranked = sorted(set(population), key=lambda code: (rank_key(seed, code), code))
    return sorted(ranked[:k])
