"""Randomly initialised translation models with sentencepiece tokenizers trained on the spot.

No MT weights can be downloaded in some environments (tests, CI, benchmarks without a hub),
yet the translation stage must be exercised end to end on real model classes: a Marian
(opus-mt layout: ``source.spm``/``target.spm``/``vocab.json``) or an M2M100 model
(``sentencepiece.bpe.model``/``vocab.json`` + language tokens) whose weights are random,
fixed by a seed. Their output is gibberish, but deterministic.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Iterable, Sequence


def train_spm(texts: Iterable[str], vocab_size: int, model_type: str = "unigram") -> bytes:
    """A sentencepiece model (serialized proto) with ``<unk>`` as id 0 and no other specials."""
    import sentencepiece as spm

    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)), model_writer=out, vocab_size=vocab_size,
        model_type=model_type, character_coverage=1.0, unk_id=0, bos_id=-1, eos_id=-1,
        pad_id=-1, hard_vocab_limit=False, minloglevel=2)
    return out.getvalue()


def _pieces(proto: bytes) -> list[str]:
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_proto=proto)
    return [sp.id_to_piece(i) for i in range(1, sp.get_piece_size())]  # id 0 is <unk>


def build_random_marian(out_dir: str | Path, texts: Sequence[str], vocab_size: int = 600,
                        d_model: int = 32, layers: int = 2, heads: int = 4, ffn: int = 64,
                        max_positions: int = 128, seed: int = 0,
                        lang_tokens: Sequence[str] = (), init_std: float = 0.2,
                        pad_vocab_to: int | None = None) -> Path:
    """A MarianMTModel directory loadable with ``AutoModelForSeq2SeqLM``/``AutoTokenizer``.

    ``lang_tokens`` (e.g. ``[">>de<<", ">>cs<<"]``) makes it a multi-target opus-mt model whose
    source text must start with the target-language token. Marian base is d_model 512,
    6+6 layers, 8 heads, ffn 2048. ``init_std`` 0.2 (10x the usual) makes a tiny random
    model's output depend on its input, so tests can tell translations apart.
    ``pad_vocab_to`` fills the vocabulary with unused entries up to a real model's size
    (opus-mt: 58101), for benchmarks where the output layer's cost matters."""
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    proto = train_spm(texts, vocab_size)
    (out / "source.spm").write_bytes(proto)
    (out / "target.spm").write_bytes(proto)
    vocab = {"</s>": 0, "<unk>": 1}
    for p in list(lang_tokens) + _pieces(proto):
        vocab.setdefault(p, len(vocab))
    while pad_vocab_to and len(vocab) < pad_vocab_to - 1:
        vocab[f"<unused{len(vocab)}>"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = MarianTokenizer(str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json"),
                          model_max_length=max_positions)
    tok.save_pretrained(out)
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab), decoder_vocab_size=len(vocab), d_model=d_model,
        encoder_layers=layers, decoder_layers=layers, encoder_attention_heads=heads,
        decoder_attention_heads=heads, encoder_ffn_dim=ffn, decoder_ffn_dim=ffn,
        max_position_embeddings=max_positions, pad_token_id=pad, eos_token_id=0,
        decoder_start_token_id=pad, forced_eos_token_id=0, scale_embedding=True,
        share_encoder_decoder_embeddings=True, init_std=init_std)
    torch.manual_seed(seed)
    model = MarianMTModel(config).eval()
    model.generation_config = GenerationConfig(
        bad_words_ids=[[pad]], decoder_start_token_id=pad, eos_token_id=0, pad_token_id=pad,
        forced_eos_token_id=0, max_length=max_positions, num_beams=4)
    model.save_pretrained(out)
    return out


def build_random_m2m100(out_dir: str | Path, texts: Sequence[str], vocab_size: int = 600,
                        d_model: int = 32, layers: int = 2, heads: int = 4, ffn: int = 64,
                        max_positions: int = 128, seed: int = 0, init_std: float = 0.2) -> Path:
    """An M2M100 directory (fairseq vocab layout + the 100 ``__xx__`` language tokens)."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    proto = train_spm(texts, vocab_size)
    (out / "sentencepiece.bpe.model").write_bytes(proto)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for p in _pieces(proto):
        vocab.setdefault(p, len(vocab))
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = M2M100Tokenizer(str(out / "vocab.json"), str(out / "sentencepiece.bpe.model"),
                          src_lang="en", tgt_lang="de", model_max_length=max_positions)
    tok.save_pretrained(out)
    config = M2M100Config(
        # fairseq layout: words, then the language tokens, then 8 "madeup" words
        vocab_size=max(tok.lang_code_to_id.values()) + 1 + tok.num_madeup_words, d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn, max_position_embeddings=max_positions, pad_token_id=1,
        bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, scale_embedding=True,
        init_std=init_std)
    torch.manual_seed(seed)
    M2M100ForConditionalGeneration(config).eval().save_pretrained(out)
    return out


def build_random_nllb(out_dir: str | Path, texts: Sequence[str], d_model: int = 32,
                      layers: int = 2, heads: int = 4, ffn: int = 64, max_positions: int = 128,
                      seed: int = 0, init_std: float = 0.2) -> Path:
    """An NLLB-style directory: ``NllbTokenizer`` (FLORES-200 codes such as ``deu_Latn``) over a
    character-level vocabulary from ``texts``, and an M2M100 model, as NLLB checkpoints are."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "▁": 4}
    for c in sorted({c for t in texts for c in t if not c.isspace()}):
        vocab.setdefault(c, len(vocab))
        vocab.setdefault("▁" + c, len(vocab))
    tok = NllbTokenizer(vocab=vocab, merges=[], src_lang="eng_Latn", tgt_lang="deu_Latn",
                        model_max_length=max_positions)
    tok.save_pretrained(out)
    config = M2M100Config(
        vocab_size=len(tok), d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn, max_position_embeddings=max_positions, pad_token_id=1,
        bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, init_std=init_std)
    torch.manual_seed(seed)
    M2M100ForConditionalGeneration(config).eval().save_pretrained(out)
    return out
