"""The runs `test_distributed.py` trains on one process and, under `torchrun --nproc_per_node=2`, on two.

    torchrun --standalone --nproc_per_node=2 tests/ddp_runs.py OUT.pt [CHECKPOINT_DIR]

Each run's logged losses (and, with a checkpoint folder, a run resumed from a checkpoint written halfway) go to OUT.pt
from rank 0.
"""
import sys
import torch
from genq.data import digits, seeded
from genq.diffusion import diffusion, train_diffusion
from genq.distributed import setup, teardown, world
from genq.lm import LM, train_lm
from genq.models import gan, vae
from genq.text import Vocab, corpus, people, tokens
from genq.train import train_gan, train_vae

STEPS, BATCH = 40, 32


def runs(device=None) -> dict:
    "Each family's losses after STEPS steps, global batch BATCH: VAE, MLP GAN, DCGAN (BatchNorm), diffusion, LM."
    ds, kw = digits(), dict(steps=STEPS, batch_size=BATCH, device=device, progress=False, log_every=10)
    vocab = Vocab.of()
    ts = tokens(corpus(people(64, seed=0), seed=0), vocab)
    with seeded(0): lm = LM(len(vocab), context=ts.x.shape[1], width=32, depth=1, heads=2)
    return dict(vae=train_vae(vae(ds.shape), ds, **kw)[1].losses,
                gan=train_gan(gan(ds.shape, kind='mlp', classes=10), ds, **kw)[1].losses,
                dcgan=train_gan(gan(ds.shape), ds, **kw)[1].losses,
                diffusion=train_diffusion(diffusion(ds.shape, width=8, classes=10), ds, **kw)[1].losses,
                lm=train_lm(lm, ts, **kw)[1].losses)


def resumed(folder, device=None) -> torch.Tensor:
    "A VAE trained STEPS // 2 steps with a checkpoint in `folder`, then resumed from it to STEPS: its losses."
    ds, kw = digits(), dict(batch_size=BATCH, device=device, progress=False, log_every=10)
    path = f'{folder}/vae.pt'
    train_vae(vae(ds.shape), ds, steps=STEPS // 2, checkpoint=path, **kw)
    return train_vae(vae(ds.shape), ds, steps=STEPS, checkpoint=path, **kw)[1].losses


if __name__ == '__main__':
    dev = setup(backend='gloo')          # CPU processes, also where one GPU could not host two NCCL processes
    out = runs(dev)
    if len(sys.argv) > 2: out['resumed'] = resumed(sys.argv[2], dev)
    if world()[0] == 0: torch.save(out, sys.argv[1])
    teardown()
