"""Apertium backend: free rule-based MT, offline, for dozens of language pairs
(``apt-get install apertium apertium-eng-spa``). A pair that is not installed is run through
one pivot language where two installed pairs make the route (en -> pt as ``eng-spa`` then
``es-pt``): each batch goes through both, and only the last marks unknown words.

Apertium has no token ids and no length limit: ``encode`` gives a text's code points (so
the session's length checks count characters) and each batch is one ``apertium`` process,
one sentence a line, the line count checked (a batch whose lines do not come back one for
one is halved until they do). Words Apertium does not know pass through marked ``*`` (not
in the analyser), ``@`` (not in the bilingual dictionary) or ``#`` (cannot be generated);
the backend turns each mark into a private-use character the session takes back out of the
text and records per target token (``translation.unknown``). A sentence whose source
already contains ``*``, ``@`` or ``#`` is translated a second time with ``-u`` (no marks) to
tell the marks from its own characters.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

from ...errors import XlieError
from ..options import GenerationOptions
from ..unknown import MARK_CHARS, drop_mark_chars
from .base import Backend, Hypothesis

DEFAULT_DATADIR = Path("/usr/share/apertium")
# ISO 639-1 -> the ISO 639-3 codes Apertium names its pairs with (its released pairs'
# languages); a 3-letter code or an Apertium variant (``eng_US``, ``por_BR``) passes through
ISO639_1_TO_3 = {
    "af": "afr", "an": "arg", "ar": "ara", "ast": "ast", "be": "bel", "bg": "bul", "br": "bre",
    "ca": "cat", "cs": "ces", "cy": "cym", "da": "dan", "de": "deu", "el": "ell", "en": "eng",
    "eo": "epo", "es": "spa", "et": "est", "eu": "eus", "fa": "fas", "fi": "fin", "fo": "fao",
    "fr": "fra", "ga": "gle", "gd": "gla", "gl": "glg", "he": "heb", "hi": "hin", "hr": "hrv",
    "hu": "hun", "id": "ind", "is": "isl", "it": "ita", "kk": "kaz", "ky": "kir", "lt": "lit",
    "lv": "lav", "mk": "mkd", "ms": "msa", "mt": "mlt", "nb": "nob", "nl": "nld", "nn": "nno",
    "no": "nob", "oc": "oci", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sc": "srd",
    "se": "sme", "sk": "slk", "sl": "slv", "sq": "sqi", "sr": "srp", "sv": "swe", "tr": "tur",
    "tt": "tat", "uk": "ukr", "ur": "urd", "uz": "uzb", "zh": "zho",
}
BATCH_SENTENCES = 5000   # sentences per apertium process (a window is one process or a few)
_MARKED = re.compile(r"[*@#]")
log = logging.getLogger(__name__)


def apertium_code(lang: str) -> str:
    """``en`` -> ``eng``; ``en-US``/``en_US`` -> ``eng_US``; 3-letter codes unchanged."""
    base, _, variant = lang.replace("-", "_").partition("_")
    code = ISO639_1_TO_3.get(base.lower(), base.lower())
    return f"{code}_{variant}" if variant else code


def installed_pairs(datadir: Path) -> list[str]:
    """The mode names Apertium can run from ``datadir`` (``eng-spa``, ``spa-eng_US``, ...)."""
    modes = datadir / "modes"
    return sorted(p.stem for p in modes.glob("*.mode")) if modes.is_dir() else []


def _install_hint(pair: str) -> str:
    a, b = pair.split("-", 1)
    return (f"install it with `apt-get install apertium-{a}-{b.split('_')[0]}` (Debian/Ubuntu; "
            f"some pairs ship the other way round, e.g. apertium-{b.split('_')[0]}-{a}), or "
            f"build it from https://github.com/apertium")


def _mode_langs(mode: str) -> tuple[str, str]:
    """``es-pt_BR`` or ``spa-por_BR`` -> ``("spa", "por_BR")``: pairs are named with either code."""
    a, _, b = mode.partition("-")
    return apertium_code(a), apertium_code(b)


def _direct(src: str, tgt: str, pairs: list[str]) -> str | None:
    """The installed mode from ``src`` into ``tgt`` (ISO 639-3 codes), whichever code its name
    uses; a target given without a variant takes the one variant installed."""
    exact = [p for p in pairs if _mode_langs(p) == (src, tgt)]
    if exact:
        return exact[0]
    if "_" not in tgt:   # eng-por with only eng-por_BR installed
        variants = [p for p in pairs if _mode_langs(p)[0] == src
                    and _mode_langs(p)[1].split("_")[0] == tgt]
        if len(variants) == 1:
            return variants[0]
    return None


def find_route(src_lang: str, tgt_lang: str, datadir: Path) -> list[str]:
    """The installed modes that take ``src_lang`` into ``tgt_lang``: one pair where it is
    installed, else two through a pivot language (``eng-spa`` then ``es-pt`` for en -> pt;
    the pivot first in code order when several would do), else a clear error listing the
    installed pairs and how to install this one."""
    src, tgt = apertium_code(src_lang), apertium_code(tgt_lang)
    pairs = installed_pairs(datadir)
    direct = _direct(src, tgt, pairs)
    if direct:
        return [direct]
    pivots = sorted({_mode_langs(p)[1] for p in pairs if _mode_langs(p)[0] == src})
    for pivot in pivots:
        first, second = _direct(src, pivot, pairs), _direct(pivot, tgt, pairs)
        if first and second:
            return [first, second]
    pair = f"{src}-{tgt}"
    have = ", ".join(pairs) if pairs else f"none (no modes in {datadir / 'modes'})"
    raise XlieError(f"the Apertium pair {pair} ({src_lang} -> {tgt_lang}) is not installed, "
                    f"nor two pairs through one other language; installed pairs: {have}",
                    _install_hint(pair))


def find_mode(src_lang: str, tgt_lang: str, datadir: Path) -> str:
    """The one installed mode translating ``src_lang`` into ``tgt_lang`` (no pivot)."""
    route = find_route(src_lang, tgt_lang, datadir)
    if len(route) > 1:
        pair = f"{apertium_code(src_lang)}-{apertium_code(tgt_lang)}"
        raise XlieError(f"the Apertium pair {pair} is not installed (only a route through "
                        f"{' then '.join(route)})", _install_hint(pair))
    return route[0]


def _mode_fingerprint(datadir: Path, mode: str) -> str:
    """The mode file and the sizes and heads of the data files it names: a reinstalled
    or updated pair gets new cache entries."""
    h = hashlib.sha256()
    text = (datadir / "modes" / f"{mode}.mode").read_text(encoding="utf-8", errors="replace")
    h.update(text.encode())
    for name in sorted(set(re.findall(r"'([^']+)'", text))):
        p = Path(name)
        if p.is_file():
            h.update(f"{p.name}\x00{p.stat().st_size}\x00".encode())
            with open(p, "rb") as f:
                h.update(f.read(1 << 16))
    return h.hexdigest()[:24]


def recover_marks(marked: str, plain: str) -> str:
    """``plain`` (``apertium -u``) with each mark that ``marked`` (without ``-u``) adds before
    a word turned into its private-use character."""
    out, j = [], 0
    for ch in marked:
        if j < len(plain) and ch == plain[j]:
            out.append(ch)
            j += 1
        elif ch in MARK_CHARS:
            out.append(MARK_CHARS[ch])
    out.append(plain[j:])
    return "".join(out)


class ApertiumBackend(Backend):
    """An installed Apertium pair (``model``: another data directory, default
    /usr/share/apertium; ``$APERTIUM_DATADIR`` also names one)."""

    name = "apertium"
    max_input_tokens = 1_000_000      # characters: Apertium has no limit of its own
    length_unit = "characters"
    marks_unknown = True

    def __init__(self, model: str | Path | None, src_lang: str, tgt_lang: str,
                 options: GenerationOptions | None = None):
        super().__init__()
        self.binary = shutil.which("apertium")
        if self.binary is None:
            raise XlieError("the apertium program is not installed (not found on PATH)",
                            "install it with `apt-get install apertium apertium-"
                            f"{apertium_code(src_lang)}-{apertium_code(tgt_lang)}` (Debian/"
                            "Ubuntu), or choose --backend hf or ct2")
        self.datadir = Path(model or os.environ.get("APERTIUM_DATADIR") or DEFAULT_DATADIR)
        self.route = find_route(src_lang, tgt_lang, self.datadir)
        self.mode = " | ".join(self.route)   # one mode, or the modes run one after the other
        if len(self.route) > 1:
            log.warning("apertium: no %s-%s pair is installed; translating through %s (two "
                        "MT steps: each adds its errors)", apertium_code(src_lang),
                        apertium_code(tgt_lang), " then ".join(self.route))
        self.key = "apertium:" + "|".join(f"{m}:{_mode_fingerprint(self.datadir, m)}"
                                          for m in self.route)
        self.processes = 0   # apertium processes started

    def encode(self, texts: list[str]) -> list[list[int]]:
        """Characters, composed (NFC): Apertium's dictionaries hold ``é``, so a decomposed
        ``e`` + U+0301 would be read as an unknown ``e`` and a stray accent."""
        return [[ord(c) for c in unicodedata.normalize("NFC", t)] for t in texts]

    def plan(self, lengths: list[int], batching) -> list[list[int]]:
        """Each process costs a start-up (about a second): batch by count only."""
        idx = list(range(len(lengths)))
        return [idx[i:i + BATCH_SENTENCES] for i in range(0, len(idx), BATCH_SENTENCES)]

    def _run(self, lines: list[str], unmarked: bool = False) -> list[str]:
        """The lines through each mode of the route in turn; only the last marks unknown words
        (a pivot's marks would be read as text by the next pair, which marks what it cannot
        translate itself)."""
        for k, mode in enumerate(self.route):
            last = k == len(self.route) - 1
            lines = self._run_mode(mode, lines, unmarked or not last)
        return lines

    def _run_mode(self, mode: str, lines: list[str], unmarked: bool) -> list[str]:
        args = [self.binary, "-d", str(self.datadir), "-f", "txt"]
        args += ["-u"] if unmarked else []
        self.processes += 1
        try:
            done = subprocess.run(args + [mode], input="".join(s + "\n" for s in lines),
                                  capture_output=True, text=True, encoding="utf-8",
                                  errors="replace", check=False)
        except OSError as e:
            raise XlieError(f"cannot run {self.binary}: {e}") from None
        if done.returncode != 0:
            err = done.stderr.strip().splitlines()
            raise XlieError(f"apertium {mode} failed (exit {done.returncode})"
                            + (f": {err[-1]}" if err else ""),
                            f"check the pair with `echo test | apertium {mode}`")
        out = done.stdout.split("\n")
        if out and out[-1] == "":
            out.pop()
        return out

    def _lines(self, lines: list[str], unmarked: bool = False) -> list[str]:
        """One output line per input line: a batch whose line count changes is halved until
        it does not (a single sentence's lines are joined)."""
        out = self._run(lines, unmarked)
        if len(out) == len(lines):
            return [o.strip() for o in out]
        if len(lines) == 1:
            return [" ".join(o.strip() for o in out if o.strip())]
        mid = len(lines) // 2
        return self._lines(lines[:mid], unmarked) + self._lines(lines[mid:], unmarked)

    def _translate(self, batch: list[list[int]]) -> list[Hypothesis]:
        texts = [" ".join(drop_mark_chars("".join(map(chr, ids))).split()) for ids in batch]
        raw = self._lines(texts)
        out = [_MARKED.sub(lambda m: MARK_CHARS[m.group()], o) for o in raw]
        ambiguous = [i for i, t in enumerate(texts) if _MARKED.search(t)]
        if ambiguous:
            plain = self._lines([texts[i] for i in ambiguous], unmarked=True)
            for i, p in zip(ambiguous, plain):
                out[i] = recover_marks(raw[i], p)
        return [Hypothesis(o) for o in out]
