"""Turn a model argument (hub id, local directory, or built-in name) into something
``from_pretrained`` can load, building built-in models on first use."""
from __future__ import annotations

import functools
import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

from ..errors import ModelNotFoundError
from .builtin import BUILTIN_MODELS
from .home import models_dir

_build_lock = threading.Lock()


def model_not_found(name: str | Path, reason: str | None = None) -> ModelNotFoundError:
    """The error for a model that cannot be loaded, suggesting the built-in names."""
    return ModelNotFoundError(str(name), reason, builtin=BUILTIN_MODELS)


def builtin_path(name: str) -> Path:
    return models_dir() / name


def is_built(name: str) -> bool:
    return (builtin_path(name) / "config.json").exists()


def build_builtin(name: str, force: bool = False) -> Path:
    """Build a built-in model into the cache (once) and return its directory."""
    if name not in BUILTIN_MODELS:
        from ..errors import UnknownNameError
        raise UnknownNameError("built-in model", name, BUILTIN_MODELS)
    path = builtin_path(name)
    with _build_lock:
        if force or not is_built(name):
            BUILTIN_MODELS[name].build(path)
    return path


def resolve_model(name: str | Path) -> str:
    """Local directory -> its path; built-in name -> its cache directory (built lazily);
    anything else is passed on as a hub id."""
    text = str(name)
    p = Path(text).expanduser()
    if p.is_dir():
        if not (p / "config.json").exists():
            raise model_not_found(text, "the directory has no config.json")
        return str(p)
    if text in BUILTIN_MODELS:
        return str(build_builtin(text))
    if text.startswith((".", "/", "~")) or text.count("/") > 1:
        raise model_not_found(text, "no such directory")
    return text


def loadable_model(name: str | Path) -> str:
    """``resolve_model``, and for a hub id a fast check that it can be loaded at all."""
    path = resolve_model(name)
    if path == str(name) and not Path(path).expanduser().is_dir():
        check_hub(path)
    return path


@functools.lru_cache(maxsize=None)
def hub_reachable(timeout: float = 3.0) -> bool:
    """One quick connection to the hub per process (transformers would otherwise retry for
    half a minute or more before its own error)."""
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def _in_hf_cache(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:   # an id the hub library rejects: let from_pretrained explain
        return False


def check_hub(repo_id: str) -> None:
    """Fail fast on a hub id that can be loaded neither from the network nor the local cache;
    with no network but a cached copy, load it offline."""
    if os.environ.get("HF_HUB_OFFLINE") not in (None, "", "0") or hub_reachable():
        return
    if _in_hf_cache(repo_id):
        os.environ["HF_HUB_OFFLINE"] = "1"
        return
    raise model_not_found(repo_id, "the Hugging Face hub cannot be reached from here and "
                             "the model is not in the local Hugging Face cache; pass a local "
                             "model directory or a built-in name (xlie models list), or "
                             "download it where there is network")


def load_tokenizer(name: str | Path, **kwargs):
    from transformers import AutoTokenizer
    path = loadable_model(name)
    try:
        tok = AutoTokenizer.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as e:
        raise model_not_found(str(name), str(e).splitlines()[0]) from e
    if not getattr(tok, "is_fast", False):
        raise model_not_found(str(name), "xlie needs a fast tokenizer (word_ids()); "
                                            "this model only has a slow one")
    return tok


def load_pretrained(cls, name: str | Path, **kwargs):
    """``cls.from_pretrained`` on a resolved name, with a clear error when it cannot load."""
    path = loadable_model(name)
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()   # no load reports for heads we do not use
    hf_logging.disable_progress_bar()
    try:
        return cls.from_pretrained(path, **kwargs)
    except OSError as e:
        raise model_not_found(str(name), str(e).splitlines()[0]) from e
    except ValueError as e:   # a config.json transformers cannot read (no model_type, bad JSON)
        raise model_not_found(str(name), "not a model transformers can load: "
                              + str(e).splitlines()[0]) from e
