"""Settings of the projection stage, one typed object (validated by pydantic)."""
from __future__ import annotations

from pydantic import Field

from ..config import Settings


class ProjectionOptions(Settings):
    """Every knob of ``project``; the defaults are the ones the benchmark uses."""

    method: str = "xlie"
    threshold: float = Field(0.0, ge=0.0, le=1.0,
                             description="drop projected spans scoring below this")
    # heuristic
    max_hull_ratio: float = Field(2.0, gt=0, description="heuristic: hull / linked words")
    # xlie's method
    max_len_ratio: float = Field(3.0, gt=1, description="reject target spans longer than "
                                 "ratio * source words + 1")
    weak_link: float = Field(0.2, ge=0, description="a target word's link counts above this")
    gap_cost: float = Field(0.15, ge=0, description="cost of an unlinked word inside a span")
    trim: bool = Field(True, description="trim punctuation and function words at span edges")
    function_words: int = Field(100, ge=0, description="the N most frequent lowercase target "
                                "words count as function words when trimming")
    function_link_weight: float = Field(0.5, ge=0, le=1, description="weight of a link to a "
                                        "source function word or punctuation when charging a "
                                        "word inside a span for belonging outside it")
    keep_linked: bool = Field(True, description="never trim the target word a content word of "
                              "the span is best linked to (if it has no link outside the span)")
    grow: bool = Field(True, description="extend a span over unlinked target words beside it "
                       "when the source span has as many unlinked words at that edge")
    grow_pairs: bool = Field(True, description="extend a span over an unlinked target word "
                             "beside it that forms a fixed pair with its edge word in the "
                             "target corpus (EU -> Unione europea)")
    neighbours: bool = Field(False, description="a span with no links goes to the unlinked "
                             "target words between its linked neighbours' targets")
    string_match: bool = Field(True, description="also look for the source span's words in "
                               "the target text (names often survive translation)")
    string_bonus: float = Field(0.5, ge=0)
    # markers
    marker_fallback: bool = Field(True, description="markers: project spans whose markers "
                                  "were lost through the alignment instead")
    # dependency trees (xlie's method; the heuristic method uses the seed rule)
    dep_decay: float = Field(0.0, ge=0, le=1, description="weight of a source arc whose head "
                             "has no link, per ancestor climbed to find one that has")
    dep_fallback: float = Field(0.0, ge=0, le=1, description="for a linked word no other "
                                "evidence reaches: weight of a source arc whose head has no "
                                "link, per ancestor climbed to find one that has (as "
                                "dep_decay, but only where nothing else attaches the word)")
    dep_punct: bool = Field(True, description="attach punctuation by the UD rule (to the "
                            "phrase beside it) instead of through its links")
    dep_threshold: float = Field(0.0, ge=0, le=1, description="leave out projected arcs whose "
                                 "confidence is below this (HEAD _ in the output)")
    dep_types: bool = Field(True, description="a word no link-borne arc reaches attaches as "
                            "its type usually does in the corpus's projected trees "
                            "(projection.type_constraints; needs source tags)")
    dep_type_fill_share: float = Field(0.5, ge=0, le=1, description="... when that attachment "
                                       "(relation, side, head tag) has at least this share of "
                                       "the type's projected arcs")
    dep_type_min_count: int = Field(3, ge=1, description="types with fewer projected arcs "
                                    "than this attach nothing by type")
    dep_relabel: bool = Field(True, description="make relations agree with the target's tags "
                              "and word order by UD's definitions (projection.tree_labels)")
    # POS
    pos_rules: bool = Field(True, description="tag unlinked punctuation PUNCT and numbers NUM")
    pos_phrase_heads: bool = Field(True, description="a target word linked to several "
                                   "source words takes the tag of the head of that source "
                                   "phrase (needs the source tree; else all links vote)")
    pos_types: bool = Field(True, description="correct and fill token-level tags with each "
                            "target word type's projected tags over the whole corpus "
                            "(projection.type_constraints; xlie's method)")
    pos_type_min_share: float = Field(0.2, ge=0, le=1, description="a projected tag with less "
                                      "than this share of its type's projections takes the "
                                      "type's most frequent tag")
    pos_type_fill_share: float = Field(0.6, ge=0, le=1, description="an untagged word gets its "
                                       "type's most frequent tag when that tag has at least "
                                       "this share of the type's projections")
    pos_type_min_count: int = Field(3, ge=1, description="types projected fewer times than "
                                    "this are left as the tokens give them")
    pos_casing: bool = Field(True, description="a lowercase word (in a script with case) is "
                             "not PROPN: it takes its type's most frequent other tag, else NOUN")
