"""The word aligner: encoder -> similarity -> extraction -> symmetrisation -> word links."""
from __future__ import annotations

import inspect
import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import torch

from ..batching import plan_batches
from ..config import validate_settings
from ..models.builtin import align_defaults
from .band import band_prior
from .encoder import EncodedSentence, Encoder
from .extraction import get_method
from .boundaries import boundary_evidence, sentence_spans
from .sentences import EVIDENCE, align_sentences, merge_deletions, refine, word_cuts
from .settings import AlignerSettings
from .symmetrize import symmetrize

Link = tuple[int, int, float]


@dataclass
class PairAlignment:
    """Word links of one pair: ``(source word, target word, probability)``, 0-indexed."""

    links: list[Link] = field(default_factory=list)
    score: float = 0.0           # mean over all words of their best link probability
    error: str | None = None     # why the pair was not aligned (empty output line)

    def pharaoh(self) -> str:
        return " ".join(f"{i}-{j}" for i, j, _ in self.links)


def is_punctuation_only(words: Sequence[str]) -> bool:
    return all(all(unicodedata.category(c)[0] in "PS" for c in w) for w in words)


def unusable(src: Sequence[str], tgt: Sequence[str]) -> str | None:
    """What a pair lacks to be aligned (its error), or None for a usable pair."""
    if not src or not tgt:
        return "a non-empty source and target side"
    if is_punctuation_only(src) and is_punctuation_only(tgt):
        return "words, not only punctuation"
    return None


@dataclass
class _PairVectors:
    x: torch.Tensor          # (n, H) source vectors at the extraction granularity
    y: torch.Tensor          # (m, H)
    x_words: torch.Tensor    # (n,) word index of each row
    y_words: torch.Tensor    # (m,)
    n_words: int
    m_words: int


def _word_mean(enc: EncodedSentence) -> tuple[torch.Tensor, torch.Tensor]:
    """Average the subword vectors of each word (words with no vector get zeros)."""
    h = enc.vectors
    sums = torch.zeros(enc.n_words, h.shape[1]).index_add_(0, enc.word_ids, h)
    counts = torch.zeros(enc.n_words).index_add_(0, enc.word_ids, torch.ones(len(enc.word_ids)))
    return sums / counts.clamp(min=1).unsqueeze(-1), torch.arange(enc.n_words)


def word_cosine(src: EncodedSentence, tgt: EncodedSentence) -> torch.Tensor:
    """Cosine similarity of the two sentences' mean word vectors: (n_words, m_words)."""
    x, _ = _word_mean(src)
    y, _ = _word_mean(tgt)
    return torch.nn.functional.normalize(x, dim=-1) @ torch.nn.functional.normalize(y, dim=-1).T


def concat_encoded(parts: Sequence[EncodedSentence]) -> EncodedSentence:
    """Sentences encoded apart, as one: vectors side by side, word ids running on."""
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [p.n_words for p in parts[:-1]])
    return EncodedSentence(torch.cat([p.vectors for p in parts]),
                           torch.cat([p.word_ids + int(o) for p, o in zip(parts, offsets)]),
                           sum(p.n_words for p in parts))


def _to_words(links: np.ndarray, prob: np.ndarray, xw: np.ndarray, yw: np.ndarray,
              n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Subword links -> word links (two words link if any of their pieces do); a word
    link's probability is the best of its linked pieces."""
    word_links = np.zeros((n, m), dtype=bool)
    word_prob = np.zeros((n, m), dtype=np.float32)
    ii, jj = np.nonzero(links)
    wi, wj = xw[ii], yw[jj]
    word_links[wi, wj] = True
    np.maximum.at(word_prob, (wi, wj), prob[ii, jj])
    return word_links, word_prob


class Aligner:
    """An awesome-align-style word aligner over any Hugging Face encoder.

    Built from a model name (hub id, local directory, built-in name) or from an
    :class:`Encoder` already loaded, with :class:`AlignerSettings` or their keywords; every
    setting left unset takes the model's own value (``models.builtin.align_defaults``).
    ``with_settings`` returns another aligner over the same encoder; ``cache=True`` keeps
    each sentence's vectors, so aligners made from it with other settings encode nothing
    twice (calibration's grid, benchmark sweeps).

    >>> al = Aligner("e5-small", extraction="softmax")            # doctest: +SKIP
    >>> al.align_pairs([("a cat".split(), "eine Katze".split())])  # doctest: +SKIP
    [PairAlignment(links=[(0, 0, 0.93), (1, 1, 0.97)], score=0.95, error=None)]
    """

    pair_batch = 64            # pairs per extraction batch
    distortion = 3.0           # the band's penalty slope (band.band_prior)
    split_sentences = True     # align long pairs sentence by sentence (sentences.py)
    split_min_words = 40       # ... from this many words (both sides together)

    def __init__(self, model: str | Encoder = "e5-small",
                 settings: AlignerSettings | None = None, *,
                 cache: bool | dict | None = None, **options: Any):
        data = settings.model_dump(exclude_unset=True) if settings is not None else {}
        self.settings = validate_settings(AlignerSettings, {**data, **options})
        s = self.settings
        if s.threads:
            torch.set_num_threads(s.threads)
        if isinstance(model, Encoder):
            if s.layer is not None and s.layer != model.layer:
                raise ValueError(f"the encoder reads layer {model.layer}, not {s.layer}")
            self.encoder = model
        else:
            self.encoder = Encoder(model, layer=s.layer, device=s.device, dtype=s.dtype)
        defaults = align_defaults(self.encoder.name, self.encoder.num_layers)
        self.extraction = s.extraction or defaults.extraction
        self.method, self.sim_kind, default_gran = get_method(self.extraction)
        self.symmetrization = s.symmetrization
        self.granularity = s.granularity or default_gran
        self.options = dict(s.extraction_options or {})
        if s.threshold is not None:
            self.options["threshold"] = s.threshold
        elif self.extraction == "softmax" and "threshold" not in self.options:
            self.options["threshold"] = defaults.softmax_threshold  # 1e-3 suits mBERT only
        self.min_prob = s.min_prob
        self.token_budget = s.token_budget
        self.band = defaults.band if s.band is None else (s.band or None)
        self.cache: dict | None = {} if cache is True else (cache if isinstance(cache, dict)
                                                             else None)

    @property
    def layer(self) -> int:
        return self.encoder.layer

    @property
    def threshold(self) -> float | None:
        """The link threshold in use: the option given, else the method's own default."""
        if "threshold" in self.options:
            return self.options["threshold"]
        param = inspect.signature(self.method).parameters.get("threshold")
        return param.default if param is not None else None

    def with_settings(self, **changes: Any) -> "Aligner":
        """Another aligner over the same encoder (and encoding cache) with some settings
        changed, e.g. ``with_settings(threshold=0.05, band=32)``; this one is unchanged."""
        data = {**self.settings.model_dump(exclude_unset=True), **changes}
        return Aligner(self.encoder, cache=self.cache, **data)

    def cached(self) -> "Aligner":
        """The same aligner with an encoding cache of its own (held in memory: for a gold
        set or a benchmark sample, not a corpus)."""
        return Aligner(self.encoder, self.settings, cache={})

    def encode(self, sentences: Sequence[Sequence[str]]) -> list[EncodedSentence]:
        """Vectors of word-split sentences at the aligner's layer (from the cache if any)."""
        if self.cache is None:
            return self.encoder.encode(sentences, token_budget=self.token_budget)
        keys = [tuple(s) for s in sentences]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if todo:
            self.cache.update(zip(todo, self.encoder.encode(todo, token_budget=self.token_budget)))
        return [self.cache[k] for k in keys]

    def align_pairs(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]
                    ) -> list[PairAlignment]:
        return self.align(list(pairs))

    def iter_align(self, pairs: Iterable[tuple[Sequence[str], Sequence[str]]],
                   chunk_size: int = 2048) -> Iterable[PairAlignment]:
        """Stream over a corpus of any size, in input order, a chunk at a time (memory flat
        in corpus size)."""
        from ..batching import chunked
        for chunk in chunked(pairs, chunk_size):
            yield from self.align(chunk)

    def align(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[PairAlignment]:
        """Align usable pairs; unusable ones come back with ``error`` set and no links.
        A long pair is split into sentences, its sentences are aligned to each other and
        each group of corresponding sentences is word-aligned on its own (sentences.py)."""
        plans, piece_vectors = (self._plan_cuts(pairs) if self.split_sentences
                                else ([None] * len(pairs), {}))
        flat: list[tuple[Sequence[str], Sequence[str]]] = []
        flat_encoded: dict[int, tuple[EncodedSentence, EncodedSentence]] = {}
        for k, ((src, tgt), plan) in enumerate(zip(pairs, plans)):
            for p, ((a, b), (c, d)) in enumerate(plan or [((0, len(src)), (0, len(tgt)))]):
                if (k, p) in piece_vectors:
                    flat_encoded[len(flat)] = piece_vectors[k, p]
                flat.append((src[a:b], tgt[c:d]))
        results = iter(self._align(flat, flat_encoded))
        out = []
        for (src, tgt), plan in zip(pairs, plans):
            if plan is None:
                out.append(next(results))
                continue
            parts = [next(results) for _ in plan]
            links = [(i + a, j + c, p) for ((a, _), (c, _)), part in zip(plan, parts)
                     for i, j, p in part.links]
            words = [(b - a) + (d - c) for (a, b), (c, d) in plan]
            score = sum(p.score * w for p, w in zip(parts, words)) / max(1, sum(words))
            out.append(PairAlignment(sorted(links), round(score, 4)))
        return out

    def pieces(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[list | None]:
        """The word spans ``[((a, b), (c, d)), ...]`` each pair is cut into before word
        alignment (None: a short pair, aligned whole): what the sentence level found."""
        return self._plan_cuts(pairs)[0]

    def _plan_cuts(self, pairs) -> tuple[list, dict]:
        """Pieces of each long pair (None: a short pair, aligned whole) and the encodings of
        the pieces, by (pair, piece): each sentence of a long pair is encoded once, alone,
        the sentences are aligned (``align_sentences``), the pieces cut again where one side
        ends a sentence and the similarity agrees (``refine``), and a piece made of whole
        sentences gets its sentences' vectors side by side."""
        plans: list = [None] * len(pairs)
        vectors: dict = {}
        spans, evidence = {}, {}   # long, usable pairs with a sentence end inside one side
        for k, (s, t) in enumerate(pairs):
            if len(s) + len(t) >= self.split_min_words and not unusable(s, t):
                ev = (boundary_evidence(s), boundary_evidence(t))
                if any(e <= EVIDENCE for side in ev for e in side[1:-1]):
                    spans[k], evidence[k] = (sentence_spans(s), sentence_spans(t)), ev
        long = list(spans)
        if not long:
            return plans, vectors
        sentences = [side[a:b] for k in long for side, sp in zip(pairs[k], spans[k]) for a, b in sp]
        encoded = iter(self.encode(sentences))
        for k in long:
            src_spans, tgt_spans = spans[k]
            src_enc = [next(encoded) for _ in src_spans]
            tgt_enc = [next(encoded) for _ in tgt_spans]
            sim = word_cosine(concat_encoded(src_enc), concat_encoded(tgt_enc)).numpy()   # (n, m)
            beads = merge_deletions(align_sentences(sim, src_spans, tgt_spans))
            content = [[not is_punctuation_only([w]) for w in side] for side in pairs[k]]
            plans[k] = refine(sim, word_cuts(beads, src_spans, tgt_spans), *evidence[k], *content)
            # a piece made of whole sentences reuses their vectors; one cut inside a
            # sentence is encoded again, alone
            src_at = {a: i for i, (a, _) in enumerate(src_spans)} | {len(pairs[k][0]): len(src_spans)}
            tgt_at = {c: i for i, (c, _) in enumerate(tgt_spans)} | {len(pairs[k][1]): len(tgt_spans)}
            for p, ((a, b), (c, d)) in enumerate(plans[k]):
                if {a, b} <= src_at.keys() and {c, d} <= tgt_at.keys():
                    vectors[k, p] = (concat_encoded(src_enc[src_at[a]:src_at[b]]),
                                     concat_encoded(tgt_enc[tgt_at[c]:tgt_at[d]]))
        return plans, vectors

    def _align(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]],
               encoded: dict | None = None) -> list[PairAlignment]:
        encoded = encoded or {}
        results: list[PairAlignment | None] = [None] * len(pairs)
        usable = []
        for k, (src, tgt) in enumerate(pairs):
            why = unusable(src, tgt)
            if why:
                results[k] = PairAlignment(error=why)
            else:
                usable.append(k)
        todo = [k for k in usable if k not in encoded]
        if todo:
            fresh = self.encode([pairs[k][0] for k in todo] + [pairs[k][1] for k in todo])
            encoded = {**encoded, **{k: (fresh[i], fresh[i + len(todo)]) for i, k in enumerate(todo)}}
        vecs = [self._pair_vectors(*encoded[k]) for k in usable]
        for k, res in zip(usable, self._extract(vecs) if vecs else []):
            results[k] = res
        return results  # type: ignore[return-value]

    def _pair_vectors(self, src: EncodedSentence, tgt: EncodedSentence) -> _PairVectors:
        if self.granularity == "word":
            x, xw = _word_mean(src)
            y, yw = _word_mean(tgt)
        else:
            x, xw, y, yw = src.vectors, src.word_ids, tgt.vectors, tgt.word_ids
        return _PairVectors(x, y, xw, yw, src.n_words, tgt.n_words)

    @torch.inference_mode()
    def _extract(self, vecs: list[_PairVectors]) -> list[PairAlignment]:
        device = self.encoder.device
        out: list[PairAlignment | None] = [None] * len(vecs)
        sizes = [len(v.x) * len(v.y) for v in vecs]
        for batch in plan_batches(sizes, max(max(sizes), 1 << 20)):
            for sub in [batch[i:i + self.pair_batch] for i in range(0, len(batch), self.pair_batch)]:
                n = max(len(vecs[b].x) for b in sub)
                m = max(len(vecs[b].y) for b in sub)
                hid = vecs[sub[0]].x.shape[1]
                X = torch.zeros(len(sub), n, hid)
                Y = torch.zeros(len(sub), m, hid)
                mask = torch.zeros(len(sub), n, m, dtype=torch.bool)
                for r, b in enumerate(sub):
                    v = vecs[b]
                    X[r, :len(v.x)] = v.x
                    Y[r, :len(v.y)] = v.y
                    mask[r, :len(v.x), :len(v.y)] = True
                X, Y, mask = X.to(device), Y.to(device), mask.to(device)
                if self.sim_kind == "cos":
                    X = torch.nn.functional.normalize(X, dim=-1)
                    Y = torch.nn.functional.normalize(Y, dim=-1)
                sim = X @ Y.transpose(1, 2)                             # (B, n, m)
                if self.band:
                    sim, mask = self._banded(sim, mask, sub, vecs)
                ext = self.method(sim, mask, **self.options)
                fwd, bwd = ext.forward.cpu().numpy(), ext.backward.cpu().numpy()
                prob = ext.prob.float().cpu().numpy()
                for r, b in enumerate(sub):
                    out[b] = self._finish(vecs[b], fwd[r], bwd[r], prob[r])
        return out  # type: ignore[return-value]

    def _banded(self, sim, mask, sub, vecs):
        """Long pairs: keep cells within ``band`` of the anchor path and lower the similarity
        of cells far from it (``band.band_prior``)."""
        for r, b in enumerate(sub):
            n, m = len(vecs[b].x), len(vecs[b].y)
            prior = band_prior(sim[r, :n, :m], self.band, self.distortion)
            if prior is not None:
                penalty, keep = prior
                mask[r, :n, :m] &= keep
                sim[r, :n, :m] -= penalty
        return sim, mask

    def _finish(self, v: _PairVectors, fwd, bwd, prob) -> PairAlignment:
        n, m = len(v.x), len(v.y)
        links = symmetrize(fwd[:n, :m], bwd[:n, :m], self.symmetrization)
        links, prob = _to_words(links, prob[:n, :m], v.x_words.numpy(), v.y_words.numpy(),
                                v.n_words, v.m_words)
        if self.min_prob > 0:
            links &= prob >= self.min_prob
        ii, jj = np.nonzero(links)
        result = [(int(i), int(j), round(float(prob[i, j]), 4)) for i, j in zip(ii, jj)]
        best_x = np.where(links, prob, 0).max(axis=1) if m else np.zeros(n)
        best_y = np.where(links, prob, 0).max(axis=0) if n else np.zeros(m)
        total = v.n_words + v.m_words
        score = float((best_x.sum() + best_y.sum()) / total) if total else 0.0
        return PairAlignment(result, round(score, 4) if math.isfinite(score) else 0.0)
