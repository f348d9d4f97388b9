"""Type-level evidence for UPOS and tree projection, learnt from the whole projected corpus.

Token-level projection copies each target word's tag from the source words it is linked to;
an alignment slip or a word that translates loosely gets a wrong tag, and an unlinked word
gets none. Across a corpus the same target word type is projected many times, and its tags
agree far more often than any one link is right. After Täckström et al. (2013), "Token and
type constraints for cross-lingual part-of-speech tagging" (TACL 1), the types' projected
tag distributions constrain the tokens:

- a token whose projected tag is rare for its type (share under ``pos_type_min_share``)
  takes the type's most frequent tag;
- an unlabeled token whose type is frequent enough (``pos_type_min_count`` projections) and
  whose most frequent tag has at least ``pos_type_fill_share`` of them gets that tag;
- the same for trees (``ArcEvidence``): a word that no link-borne arc reaches (unlinked,
  or linked to a source word whose head has no link) attaches as its type usually does,
  (relation, side of the head, head's tag), when that attachment has at least
  ``dep_type_fill_share`` of the type's projected arcs: to the nearest word on that side
  with that tag;
- the target's own writing decides where it is plain: punctuation is PUNCT and numbers NUM
  (``pos.project_tags``), and a lowercase word in a script with case is not a proper noun
  (PROPN is replaced by the type's most frequent other tag, else NOUN), which also undoes a
  treebank convention that differs between languages (month names PROPN in English UD).

The evidence is counted in passes over the whole corpus before projecting (tags first, then
the trees projected with the corrected tags: ``evidence_of_pairs``, ``evidence_of_records``)
and applied in the last (``constrain_tags``, ``ArcTypes``); a corpus projected in batches
shares one ``TypeEvidence``, so every batch sees the whole corpus's types.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from ..corpus import UNLABELED
from .links import Links
from .trees import project_tree_mst

PROPN, NOUN = "PROPN", "NOUN"


def type_key(token: str) -> str:
    """The type a token counts under: its lowercase form (sentence-initial capitals and the
    case of names do not split a type)."""
    return token.lower()


def is_lowercase_word(token: str) -> bool:
    """A word written in lowercase in a script with case: its first cased letter is lower."""
    for c in token:
        if c.isupper():
            return False
        if c.islower():
            return True
    return False  # no cased letter (digits, CJK, ...): says nothing


@dataclass
class TypeEvidence:
    """Projected tags per target word type over a corpus, how often each type was written
    lowercase outside the sentence's first word, and (``arcs``) how it attached in the
    projected trees."""

    tags: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    lower: Counter = field(default_factory=Counter)  # type -> non-initial lowercase tokens
    seen: Counter = field(default_factory=Counter)   # type -> non-initial tokens
    arcs: Optional["ArcEvidence"] = None

    def add(self, tokens: list[str], tags: Optional[list[str]] = None) -> None:
        """Count one target sentence: its token-level projected tags (``_`` counts nothing)
        and its casing."""
        for k, tok in enumerate(tokens):
            key = type_key(tok)
            if tags is not None and tags[k] != UNLABELED:
                self.tags[key][tags[k]] += 1
            if k > 0:
                self.seen[key] += 1
                self.lower[key] += is_lowercase_word(tok)

    def distribution(self, token: str) -> tuple[Counter, int]:
        dist = self.tags.get(type_key(token))
        return (dist, sum(dist.values())) if dist else (Counter(), 0)

    def mostly_lowercase(self, token: str) -> bool:
        """The type is written lowercase in most of its non-initial occurrences."""
        key = type_key(token)
        return self.seen[key] > 0 and self.lower[key] * 2 > self.seen[key]


def _not_propn(dist: Counter) -> str:
    rest = [(n, t) for t, n in dist.items() if t != PROPN]
    return max(rest)[1] if rest else NOUN


def constrain_tags(tokens: list[str], tags: list[str], evidence: TypeEvidence,
                   min_share: float = 0.2, fill_share: float = 0.6, min_count: int = 3,
                   casing: bool = True) -> list[str]:
    """Token-level projected ``tags`` corrected and filled by the corpus's type evidence
    (module docstring). A type seen fewer than ``min_count`` times changes nothing."""
    out = list(tags)
    for k, tok in enumerate(tokens):
        tag = out[k]
        dist, total = evidence.distribution(tok)
        if total >= min_count:
            top, top_n = max(dist.items(), key=lambda kv: (kv[1], kv[0]))
            if tag == UNLABELED:
                if top_n >= fill_share * total:
                    tag = top
            elif dist[tag] < min_share * total:
                tag = top
        if casing and tag == PROPN and (
                is_lowercase_word(tok) or (k == 0 and evidence.mostly_lowercase(tok))):
            tag = _not_propn(dist)
        out[k] = tag
    return out


ROOT = "ROOT"


@dataclass
class ArcEvidence:
    """Projected dependency arcs per target word type over a corpus: how each type attached,
    as (relation, side of the head: -1 left, 1 right, 0 root, head's tag)."""

    attach: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, tokens: list[str], tags: list[str], heads: list[Optional[int]],
            deprels: list[str]) -> None:
        """Count one projected tree (1-indexed ``heads``, None where no arc was projected)."""
        for d, (tok, h) in enumerate(zip(tokens, heads), 1):
            if h is not None:
                htag = ROOT if h == 0 else tags[h - 1]
                self.attach[type_key(tok)][(deprels[d - 1], (h > d) - (h < d), htag)] += 1


@dataclass
class ArcTypes:
    """Arc evidence bound to one sentence's target tags: what ``trees.project_tree_mst``
    asks of it (``fill``)."""

    evidence: ArcEvidence
    tags: list[str]
    fill_share: float = 0.5
    min_count: int = 3

    def fill(self, tokens: list[str], scores) -> dict[int, tuple[int, str, float]]:
        """For each word (1-indexed) that no link-borne arc reaches (an all-zero column of
        ``scores``): the head, relation and weight (the attachment's share) its type's usual
        attachment gives, when that attachment has at least ``fill_share`` of the type's
        projected arcs: the nearest word on the usual side with the usual head tag."""
        out: dict[int, tuple[int, str, float]] = {}
        m = len(tokens)
        for d in range(1, m + 1):
            dist = self.evidence.attach.get(type_key(tokens[d - 1]))
            if not dist or scores[:, d].sum() > 0:
                continue
            total = sum(dist.values())
            (rel, side, htag), n = max(dist.items(), key=lambda kv: (kv[1], str(kv[0])))
            if total < self.min_count or n < self.fill_share * total or side == 0:
                continue
            h = d + side
            while 1 <= h <= m and self.tags[h - 1] != htag:
                h += side
            if 1 <= h <= m:
                out[d] = (h, rel, n / total)
        return out


def uses_evidence(opts) -> bool:
    """Whether ``opts`` (ProjectionOptions) project with corpus-level type evidence."""
    return opts.method != "heuristic" and (opts.pos_types or opts.dep_types)


Item = tuple  # (source tags, source heads, source deprels, links, target tokens)


def tags_of(item: Item, opts, evidence: Optional[TypeEvidence]) -> list[str]:
    """The target tags of one item as the last pass gives them (token-level, then corrected
    by ``evidence`` where the options ask for it)."""
    from .pos import project_tags
    src_tags, heads, _, links, toks = item
    tags = project_tags(src_tags, links, toks, rules=opts.pos_rules,
                        src_heads=heads if opts.pos_phrase_heads else None)
    if evidence is not None and opts.pos_types:
        tags = constrain_tags(toks, tags, evidence, opts.pos_type_min_share,
                              opts.pos_type_fill_share, opts.pos_type_min_count, opts.pos_casing)
    return tags


def arc_types(evidence: Optional[TypeEvidence], tags: Optional[list[str]], opts
              ) -> Optional[ArcTypes]:
    """The tree projector's type evidence for one sentence, or None where there is none."""
    if evidence is None or evidence.arcs is None or tags is None or not opts.dep_types:
        return None
    return ArcTypes(evidence.arcs, tags, opts.dep_type_fill_share, opts.dep_type_min_count)


def corpus_evidence(items: Callable[[], Iterable[Item]], opts) -> TypeEvidence:
    """The passes before projecting: ``items()`` yields the corpus's items (called once per
    pass). First each target type's token-level tags and casing; then, where the source has
    trees, each type's attachment in the trees projected with the corrected tags."""
    from .pos import project_tags
    ev = TypeEvidence()
    with_trees = False
    for item in items():
        src_tags, heads, _, links, toks = item
        ev.add(toks, project_tags(src_tags, links, toks, rules=opts.pos_rules,
                                  src_heads=heads if opts.pos_phrase_heads else None)
               if opts.pos_types else None)
        with_trees = with_trees or (heads is not None and item[2] is not None)
    if opts.dep_types and with_trees:
        ev.arcs = ArcEvidence()
        for item in items():
            src_tags, heads, rels, links, toks = item
            if heads is None or rels is None:
                continue
            tree = project_tree_mst(heads, rels, links, toks, decay=opts.dep_decay,
                                    threshold=opts.dep_threshold, punct=opts.dep_punct,
                                    fallback=opts.dep_fallback)
            ev.arcs.add(toks, tags_of(item, opts, ev), tree.heads, tree.deprels)
    return ev


def evidence_of_pairs(pairs: list, opts) -> TypeEvidence:
    """The passes over loaded pairs (``projection.inputs.Pair``) held in memory."""
    def items():
        for p in pairs:
            s = p.source
            if s.tags is not None and p.links is not None and p.tgt_tokens is not None:
                ok = s.heads is not None and s.deprels is not None
                yield (s.tags, s.heads, s.deprels if ok else None, p.links,
                       p.tgt_tokens)
    return corpus_evidence(items, opts)


def evidence_of_records(records: Callable[[], Iterable[dict]], opts) -> TypeEvidence:
    """The passes over aligned records as JSON, streamed once per pass (``records()`` opens
    the stream: an alignment JSONL, as the pipeline's project stage reads it before its
    first batch). A record that cannot be read is passed over here; the last pass reports
    it with its line."""
    def items():
        for rec in records():
            tr = rec.get("translation") or {}
            toks = tr.get("tokens") or (tr.get("text") or "").split()
            src = rec.get("tokens") or []
            tags, al = rec.get("tags"), rec.get("alignment")
            if not toks or tags is None or al is None or len(tags) != len(src):
                continue
            try:
                links = Links.from_triples(al, len(src), len(toks))
            except (ValueError, TypeError, IndexError):
                continue
            heads, rels = rec.get("heads"), rec.get("deprels")
            ok = heads is not None and len(heads) == len(src) and all(
                h is None or (isinstance(h, int) and 0 <= h <= len(src)) for h in heads)
            tree = ok and rels is not None and len(rels) == len(src)
            yield tags, heads if ok else None, rels if tree else None, links, toks
    return corpus_evidence(items, opts)
