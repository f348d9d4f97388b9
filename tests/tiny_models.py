"""Tiny randomly initialised models with sentencepiece-trained tokenizers: no model hub.

The tokenizer is trained by the ``sentencepiece`` package on 400 pairs of real parallel
text committed under ``tests/data`` (so a clone anywhere trains the same tokenizer), then
wrapped as an XLM-R style fast tokenizer (so ``word_ids()`` works).
"""
from __future__ import annotations

import io
from pathlib import Path

TEST_DATA = Path(__file__).resolve().parent / "data"
ENCS = TEST_DATA / "encs" / "train.src-tgt"

# a few German sentences, so the tiny vocabulary is not Czech and English alone
_EXTRA_TEXT = [
    "the cat sat on the mat .", "die Katze saß auf der Matte .",
    "I tried to examine myself .", "Pokusil jsem se sám se prohlédnout .",
    "The European Parliament adjourned the session on Friday 17 December 1999 .",
    "Das Europäische Parlament unterbrach die Sitzung am Freitag , dem 17. Dezember 1999 .",
]


def training_text(max_lines: int = 400) -> list[str]:
    lines: list[str] = []
    with open(ENCS, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= max_lines:
                break
            lines.extend(s.strip() for s in line.split("|||"))
    return lines + _EXTRA_TEXT * 5


def train_spm_tokenizer(out_dir: Path, vocab_size: int = 600, model_max_length: int = 512):
    """Train a unigram sentencepiece model and save it as an XLM-R fast tokenizer."""
    import sentencepiece as spm
    from transformers import XLMRobertaTokenizer

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(training_text()), model_writer=model, vocab_size=vocab_size,
        model_type="unigram", character_coverage=1.0, bos_id=0, pad_id=1, eos_id=2, unk_id=3,
        hard_vocab_limit=False, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = [(p, 0.0) for p in specials]
    vocab += [(sp.id_to_piece(i), sp.get_score(i)) for i in range(4, sp.get_piece_size())]
    vocab.append(("<mask>", 0.0))
    tok = XLMRobertaTokenizer(vocab=vocab, model_max_length=model_max_length)
    tok.save_pretrained(out_dir)
    return tok


def build_tiny_encoder(out_dir: Path, kind: str = "bert", layers: int = 4, hidden: int = 32,
                       max_positions: int = 64, seed: int = 0) -> Path:
    """A tiny BERT or XLM-R encoder directory (weights random, fixed by ``seed``)."""
    import torch
    from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # XLM-R positions start at padding_idx + 1, so keep room for the offset
    model_max = max_positions - 2 if kind == "xlmr" else max_positions
    tok = train_spm_tokenizer(out_dir, model_max_length=model_max)
    common = dict(vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers,
                  num_attention_heads=4, intermediate_size=hidden * 2,
                  max_position_embeddings=max_positions, pad_token_id=tok.pad_token_id,
                  bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id)
    torch.manual_seed(seed)
    if kind == "bert":
        model = BertModel(BertConfig(**common), add_pooling_layer=False)
    elif kind == "xlmr":
        model = XLMRobertaModel(XLMRobertaConfig(**common), add_pooling_layer=False)
    else:
        raise ValueError(kind)
    model.save_pretrained(out_dir)
    return out_dir
