"""The fine-tuning loop under ``accelerate``: one code path for CPU, one GPU and many
(``accelerate launch``), mixed precision on GPU, gradient accumulation, a learning-rate
schedule, seeded runs, periodic checkpoints (Hugging Face model directories plus the
optimizer state), a checkpoint at Ctrl-C, and resuming from the last one. Length, lr and the
held-out pairs come from ``plan.py`` when the config leaves them open."""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ... import tracking
from ...errors import XlieError
from ...precision import resolve_mixed_precision
from ...models import load_tokenizer
from ...progress import progress
from .checkpoints import CheckpointManager, align_settings
from .config import AlignTrainConfig
from .data import Collator, PairDataset, filter_by_length, model_length_limit, read_pairs
from .eval import CheckpointEvaluator
from .interrupt import deferred_interrupt, interruptible_backward
from .model import HEAD_OBJECTIVES, AlignTrainingModel, load_mlm_model
from .plan import holdout_size, plan_run, should_stop, split_holdout
from .report import ProgressLines

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    output: Path
    steps: int
    pairs: int
    skipped: int
    seconds: float
    samples_per_second: float
    losses: dict[str, float] = field(default_factory=dict)
    evals: list[dict] = field(default_factory=list)
    best: Path | None = None
    plan: str = ""                 # how the run's length and lr were set
    heldout: int = 0               # pairs held out of training for the held-out loss
    selected_on: str = ""          # what best/ was chosen by: "aer" or "heldout_loss"
    stopped_early: bool = False    # the held-out loss stopped improving before the budget


def _accelerator(cfg: AlignTrainConfig):
    from accelerate import Accelerator, DataLoaderConfiguration, DistributedDataParallelKwargs
    from ...tracking import accelerator_kwargs
    return Accelerator(
        **accelerator_kwargs(cfg.log_with, cfg.output),
        gradient_accumulation_steps=cfg.grad_accum,
        mixed_precision=resolve_mixed_precision(cfg.mixed_precision),
        # an objective can leave a head unused in a step (PSI needs two pairs)
        kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)],
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True))


def _load_pairs(cfg: AlignTrainConfig, tokenizer, max_len: int, accelerator):
    pairs = read_pairs(cfg.data)
    kept, skipped = filter_by_length(pairs, tokenizer, max_len)
    if skipped:
        accelerator.print(f"skipped {skipped} of {len(pairs)} pairs longer than {max_len} subwords")
    if cfg.max_pairs:
        kept = kept[:cfg.max_pairs]
    if not kept:
        raise XlieError(f"{cfg.data}: no usable pair to train on",
                        "check the file and --set max_length=N")
    return kept, skipped


def _optimizer(cfg: AlignTrainConfig, model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    """AdamW; no weight decay on biases and LayerNorm weights."""
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW([{"params": [p for p in params if p.ndim > 1], "weight_decay": cfg.weight_decay},
                              {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}],
                             lr=lr)


def _rng_state() -> dict:
    state = {"cpu": torch.random.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.random.set_rng_state(state["cpu"])
    if "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


def _drop_frozen(model: torch.nn.Module):
    """A save_state hook that leaves the frozen tensors (the word embeddings and the decoder
    tied to them: 80% of e5-small) out of checkpoints, so saving one at Ctrl-C takes a moment;
    on resume they come from the model as loaded, which is what they still are."""
    frozen = {p.data_ptr() for p in model.parameters() if not p.requires_grad}

    def hook(_models, weights: list[dict], _output_dir) -> None:
        for state in weights:
            for key in [k for k, v in state.items() if v.data_ptr() in frozen]:
                del state[key]
    return hook


def train_aligner(cfg: AlignTrainConfig) -> TrainResult:
    """Fine-tune ``cfg.model`` on ``cfg.data`` and save a model directory at ``cfg.output``
    that ``AutoModel.from_pretrained`` and ``xlie align --model`` load.

    Ctrl-C stops the run within seconds; the checkpoint it leaves (the last complete
    step) is where the same command resumes."""
    from accelerate.utils import set_seed
    from transformers import get_scheduler

    if not cfg.data or not cfg.output:
        raise XlieError("training needs data and an output directory", "pass --data and --output")
    if not cfg.objectives.enabled():
        raise XlieError("every objective has weight 0", "switch one on, e.g. --set objectives.mlm=1")
    if bool(cfg.eval_gold) != bool(cfg.eval_data):
        raise XlieError("--eval-gold needs --eval-data (the pairs the gold aligns) and back")
    accelerator = _accelerator(cfg)
    set_seed(cfg.seed)
    tokenizer = load_tokenizer(cfg.model)
    mlm, head_missing = load_mlm_model(cfg.model)
    if head_missing:
        accelerator.print(f"{cfg.model} ships no MLM head: initialised one tied to the embeddings")
    layer, threshold = align_settings(cfg, mlm.config)
    max_len = model_length_limit(tokenizer, mlm.config, cfg.max_length)
    pairs, skipped = _load_pairs(cfg, tokenizer, max_len, accelerator)
    pairs, held = split_holdout(pairs, holdout_size(cfg, len(pairs)), cfg.seed)
    on = cfg.objectives.enabled()
    offset = (int(mlm.config.pad_token_id or 0) + 1) if "roberta" in mlm.config.model_type else 0
    collator = Collator(tokenizer, offset, need_pair=bool({"tlm", "psi"} & set(on)), need_neg="psi" in on)
    loader = torch.utils.data.DataLoader(PairDataset(pairs), batch_size=cfg.batch_size,
                                         shuffle=True, collate_fn=collator,
                                         # its own generator: starting an epoch mid-way on resume
                                         # must not draw from the RNG that dropout uses
                                         generator=torch.Generator().manual_seed(cfg.seed))
    model = AlignTrainingModel(mlm, on, layer, threshold, cfg.extraction, tokenizer.mask_token_id,
                               cfg.mask_prob, cfg.so_targets, cfg.so_word_blocks)
    if cfg.freeze_embeddings:
        mlm.get_input_embeddings().weight.requires_grad_(False)   # the tied decoder too
    hooks = interruptible_backward(mlm)
    per_epoch = max(1, math.ceil(math.ceil(len(pairs) / cfg.batch_size / accelerator.num_processes)
                                 / cfg.grad_accum))
    plan = plan_run(cfg, per_epoch)
    cfg = cfg.model_copy(update={**plan.settings(), "holdout": len(held) / (len(pairs) + len(held))})
    optimizer = _optimizer(cfg, model, plan.lr)
    encoder_params = [p for p in mlm.base_model.parameters() if p.requires_grad]
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    total = plan.steps
    # the prepared scheduler steps once per process per optimizer step
    scheduler = get_scheduler(cfg.schedule if cfg.schedule != "constant" else "constant_with_warmup",
                              optimizer, num_warmup_steps=int(cfg.warmup_ratio * total) * accelerator.num_processes,
                              num_training_steps=total * accelerator.num_processes)
    scheduler = accelerator.prepare(scheduler)
    if cfg.freeze_embeddings:
        accelerator.register_save_state_pre_hook(_drop_frozen(model))

    ckpt = CheckpointManager(Path(cfg.output), accelerator, tokenizer, cfg,
                             {"layer": layer, "threshold": threshold, "extraction": cfg.extraction})
    step, epoch, in_epoch = ckpt.resume() if cfg.resume else (0, 0, 0)
    weights = cfg.objectives.model_dump()
    evaluator = CheckpointEvaluator.from_config(
        cfg, tokenizer, layer, threshold, accelerator,
        heldout=(held, collator, weights, cfg.batch_size, cfg.seed) if held else None)
    key = evaluator.key if evaluator else ""
    accelerator.print(f"training on {len(pairs)} pairs" + (f", {len(held)} held out for the "
                      f"held-out loss" if held else "") + f": {plan.why}"
                      + (f"; best/ chosen by {key.replace('_', ' ')}" if key else ""))
    if step:
        accelerator.print(f"resuming from step {step} (epoch {epoch}, batch {in_epoch})")
    bar = progress(total=total, initial=step, desc="align train",
                   **({} if accelerator.is_main_process else {"disable": True}))
    lines = ProgressLines(total, step, max(cfg.log_every, total // 100),
                          accelerator.is_main_process)
    eval_seconds = 0.0   # kept out of the training time reported

    def heldout_losses() -> list[float]:
        return [e["heldout_loss"] for e in ckpt.evals if "heldout_loss" in e]

    def run_eval() -> bool:
        """Score the model; True when the held-out loss says to stop."""
        nonlocal eval_seconds
        if evaluator is None:
            return False
        started = time.perf_counter()
        entry = evaluator(model, step, ckpt)
        eval_seconds += time.perf_counter() - started
        if entry is not None:
            lines.evaluation(step, entry, key, entry["best"])
            tracking.log_dev(accelerator, step, entry)
        stop = torch.tensor(float(bool(held) and should_stop(heldout_losses(), cfg.patience,
                                                             cfg.min_delta)))
        return bool(accelerator.reduce(stop.to(accelerator.device), "max").item()) \
            if accelerator.num_processes > 1 else bool(stop.item())

    head_warmup = cfg.head_warmup_steps if HEAD_OBJECTIVES & set(on) else 0
    if cfg.head_warmup_steps and not head_warmup:
        accelerator.print("head_warmup_steps ignored: no objective with a head (MLM, TLM, PSI) is on")
    running: dict[str, float] = {}
    tracking.start(accelerator, Path(cfg.output).name, cfg.model_dump(mode="json"))
    gen = torch.Generator()
    model.train()
    t0, samples, micro = time.perf_counter(), 0, 0
    stopped_early = bool(held) and should_stop(heldout_losses(), cfg.patience, cfg.min_delta)
    # the last step whose updates, log and checkpoint are all done: what Ctrl-C saves
    done = {"step": step, "epoch": epoch, "in_epoch": in_epoch, "rng": _rng_state()}
    moved = False    # the weights have changed since `done`
    try:
        while step < total and not stopped_early:
            if hasattr(loader, "set_epoch"):
                loader.set_epoch(epoch)
            batches = accelerator.skip_first_batches(loader, in_epoch) if in_epoch else loader
            for batch in batches:
                gen.manual_seed(cfg.seed * 1_000_003 + (step * cfg.grad_accum + micro) * 7919
                                + accelerator.process_index)
                with accelerator.accumulate(model):
                    warming = step < head_warmup
                    losses = model(batch, gen, heads_only=warming)
                    loss = sum(weights[k] * v for k, v in losses.items())
                    accelerator.backward(loss)
                    with deferred_interrupt():
                        if accelerator.sync_gradients and warming:
                            for p in encoder_params:   # AdamW leaves a parameter without grad untouched
                                p.grad = None
                        if accelerator.sync_gradients and cfg.max_grad_norm:
                            accelerator.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                        optimizer.step()
                        scheduler.step()
                        optimizer.zero_grad()
                        in_epoch += 1
                        micro += 1
                        if accelerator.sync_gradients:
                            step, micro, moved = step + 1, 0, True
                samples += batch["mono_input_ids"].shape[0] // 2 * accelerator.num_processes
                for k, v in losses.items():
                    v = v.detach().item()
                    running[k] = 0.9 * running.get(k, v) + 0.1 * v
                if micro:
                    continue
                bar.update(1)
                bar.set_postfix({k: f"{v:.3f}" for k, v in running.items()})
                lr = scheduler.get_last_lr()[0]
                if step % cfg.log_every == 0 or step == total:
                    ckpt.log({"step": step, "epoch": epoch, "lr": lr,
                              **{k: round(v, 5) for k, v in running.items()}})
                lines.step(step, running, weights, lr)
                tracking.log_step(accelerator, step, running, lr)
                if step % plan.eval_every == 0 and step < total:
                    ckpt.save_checkpoint(model, step, epoch, in_epoch)
                done = {"step": step, "epoch": epoch, "in_epoch": in_epoch, "rng": _rng_state()}
                moved = False
                if step % plan.eval_every == 0 and step < total:
                    stopped_early = run_eval()
                if step >= total or stopped_early:
                    break
            else:
                epoch, in_epoch = epoch + 1, 0
    except KeyboardInterrupt:
        bar.close()
        # mid-step, the weights are still those of `done`; past the update they are not, and
        # the last checkpoint is where to resume
        if done["step"] and not moved and not ckpt.has_checkpoint(done["step"]):
            _set_rng_state(done["rng"])     # as it was when that step ended: resuming repeats nothing
            ckpt.save_checkpoint(model, done["step"], done["epoch"], done["in_epoch"],
                                 model_dir=False)   # the state alone: enough to resume, and quick
        last = ckpt.last_step()
        accelerator.print(f"interrupted at step {step}: " + (
            f"checkpoint of step {last} in {ckpt.ckpt_root}; run the same command to resume"
            if last else "no step was complete, nothing saved"))
        tracking.finish(accelerator)
        raise
    finally:
        for h in hooks:
            h.remove()
    bar.close()
    seconds = time.perf_counter() - t0 - eval_seconds
    if stopped_early:
        accelerator.print(f"stopped at step {step} of {total}: the held-out loss has not "
                          f"improved by {100 * cfg.min_delta:g}% in {cfg.patience} evals")
    if not ckpt.has_checkpoint(step):
        ckpt.save_checkpoint(model, step, epoch, in_epoch)
    if not (ckpt.evals and ckpt.evals[-1]["step"] == step):
        run_eval()
    tracking.finish(accelerator)
    ckpt.save_final(model, step, {"pairs": len(pairs), "skipped": skipped, "heldout": len(held),
                                  "plan": plan.why, "stopped_early": stopped_early,
                                  "losses": running, "seconds": round(seconds, 2)})
    return TrainResult(Path(cfg.output), step, len(pairs), skipped, seconds,
                       samples / seconds if seconds > 0 else 0.0, dict(running), ckpt.evals,
                       ckpt.best_dir if ckpt.evals else None, plan.why, len(held), key,
                       stopped_early)
