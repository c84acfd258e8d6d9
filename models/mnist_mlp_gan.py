"""The hyper-parameters of lyeoni's MLP GAN as modified in seed 004, for its port and reference."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class HParams:
    n_epoch: int = 10  # seed 004: n_epoch = 10 (lyeoni: 200)
    bs: int = 128  # seed 004: bs = 128 (lyeoni: 100); batches with len(x) != bs skipped
    z_dim: int = 100  # lyeoni: z_dim = 100, z = torch.randn(bs, z_dim)
    lr: float = 0.0002  # lyeoni: lr = 0.0002, Adam for G and D with default betas
    dropout: float = 0.3  # lyeoni: F.dropout(x, 0.3) after fc1-fc3 of D, always active
    samples: int = 100  # lyeoni README: grids of 100 samples, 8 per row
