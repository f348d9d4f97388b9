"""Projection on real text: Europarl en->de with e5-small links (slow: loads the encoder)."""
from __future__ import annotations

import pytest

N = 60


@pytest.mark.slow
def test_europarl_projection_beats_the_heuristic(test_data, e5_small):
    import torch
    from xlie.aligners import Aligner
    from xlie.corpus import Sentence
    from xlie.formats.conll import read_conll
    from xlie.projection.api import project
    from xlie.scoring import pair_sentences, score_ner

    torch.set_num_threads(2)
    data = test_data / "europarl-ner"
    en = list(read_conll(data / "en.conll02"))[:N]
    de = list(read_conll(data / "de.conll02"))[:N]
    links = [a.links for a in Aligner(str(e5_small), extraction="softmax").align_pairs(
        [(e.tokens, d.tokens) for e, d in zip(en, de)])]
    records = [Sentence.model_validate({**e.to_json(), "alignment": l, "translation": {
        "lang": "de", "text": " ".join(d.tokens), "tokens": d.tokens}})
        for e, d, l in zip(en, de, links)]
    f1 = {m: score_ner(pair_sentences(de, project(records, method=m).sentences))["micro"]["f1"]
          for m in ("heuristic", "xlie")}
    assert f1["xlie"] > 0.8
    assert f1["xlie"] >= f1["heuristic"] + 0.02
