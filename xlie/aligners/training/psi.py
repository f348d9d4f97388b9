"""PSI, parallel sentence identification: a binary classifier on the first token of the
concatenated pair; positives are the real pairs, negatives pair each source with another
pair's target from the same batch (in-batch negatives, no extra data)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


class PSIHead(torch.nn.Module):
    """Dropout and a linear layer on the first token's last hidden state: 2 classes."""

    def __init__(self, hidden: int, dropout: float = 0.1):
        super().__init__()
        self.dropout = torch.nn.Dropout(dropout)
        self.linear = torch.nn.Linear(hidden, 2)

    def forward(self, first: torch.Tensor) -> torch.Tensor:                  # (R, H) -> (R, 2)
        return self.linear(self.dropout(first))


def psi_loss(base_model, head: PSIHead, batch: dict) -> torch.Tensor:
    """Cross-entropy over B positives and B negatives in one forward (2B rows)."""
    def cat(key):
        a, b = batch[f"pair_{key}"], batch[f"neg_{key}"]
        width = max(a.shape[1], b.shape[1])
        pad = lambda t: F.pad(t, (0, width - t.shape[1]))                     # noqa: E731
        return torch.cat([pad(a), pad(b)])                                    # (2B, T)

    hidden = base_model(input_ids=cat("input_ids"), attention_mask=cat("attention_mask"),
                        position_ids=cat("position_ids")).last_hidden_state  # (2B, T, H)
    logits = head(hidden[:, 0])                                               # (2B, 2)
    b = batch["pair_input_ids"].shape[0]
    labels = torch.cat([torch.ones(b), torch.zeros(b)]).long().to(logits.device)
    return F.cross_entropy(logits.float(), labels)
