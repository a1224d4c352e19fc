"""genq's train_gan against the classic tutorial GAN loop, same model and batch size; prints one JSON line.

    python bench/train.py [--steps 200] [--batch 64] [--width 32] [--repeats 3] [--compile]

The classic loop (the PyTorch DCGAN example's): a shuffling DataLoader over CPU tensors, `.to(device)` for every
batch, BCEWithLogitsLoss on labels made each step, full precision, `loss.item()` at every step to log the losses.
genq: the set on the device, batches by index, losses logged on the device; on CUDA also mixed precision and each
step replayed as one CUDA graph (genq's defaults there), timed with and without the graph; `torch.compile` with
--compile. Both train a DCGAN on mnist5k from the same initial weights for `steps` steps
(after 20 warm-up steps); figures are steps per second (best of `repeats`) and their ratio, measured in one run.
"""
import argparse, json, platform, time
import torch
from torch import nn
from genq.data import default_device, mnist5k
from genq.models import gan
from genq.train import train_gan


def classic_loop(model, ds, steps: int, batch: int, device) -> float:
    "Steps per second of the classic tutorial loop."
    G, D = model.G.to(device).train(), model.D.to(device).train()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(ds.x, ds.y), batch_size=batch, shuffle=True,
                                         drop_last=True)
    done, log, t0 = 0, [], None
    while done < steps + 20:
        for x, _ in loader:
            if done == 20:
                if device.type == 'cuda': torch.cuda.synchronize()
                t0 = time.perf_counter()
            x = x.to(device)
            ones, zeros = torch.ones(len(x), device=device), torch.zeros(len(x), device=device)
            fake = G(torch.randn(len(x), G.z_dim, device=device))
            opt_d.zero_grad()
            loss_d = bce(D(x), ones) + bce(D(fake.detach()), zeros)
            loss_d.backward(); opt_d.step()
            opt_g.zero_grad()
            loss_g = bce(D(fake), ones)
            loss_g.backward(); opt_g.step()
            log.append((loss_d.item(), loss_g.item()))
            done += 1
            if done == steps + 20: break
    if device.type == 'cuda': torch.cuda.synchronize()
    return steps / (time.perf_counter() - t0)


def genq_loop(model, ds, steps: int, batch: int, device, compile: bool, graph: bool | None) -> float:
    "Steps per second of train_gan (its own timer covers the training steps only: warm-up and capture included)."
    kw = dict(batch_size=batch, device=device, compile=compile, graph=graph, progress=False)
    train_gan(model, ds, steps=20, **kw)                                     # warm-up (and compilation)
    _, hist = train_gan(model, ds, steps=steps, log_every=steps, **kw)
    return steps / hist.seconds


def main(steps: int, batch: int, width: int, repeats: int, compile: bool) -> dict:
    device, ds = default_device(), mnist5k()
    classic = max(classic_loop(gan(ds.shape, width=width, seed=0), ds, steps, batch, device) for _ in range(repeats))
    best = lambda graph: max(genq_loop(gan(ds.shape, width=width, seed=0), ds, steps, batch, device, compile, graph)
                             for _ in range(repeats))
    ours, eager = best(None), (best(False) if device.type == 'cuda' else None)
    return dict(bench='train', model=f'DCGAN width {width}', dataset=ds.name, batch=batch, steps=steps,
                device=str(device),
                gpu=torch.cuda.get_device_name() if device.type == 'cuda' else None,
                cpu_threads=torch.get_num_threads(),
                compile=compile, amp=device.type == 'cuda', python=platform.python_version(), torch=torch.__version__,
                cuda_graph=device.type == 'cuda' and not compile, classic_steps_per_s=round(classic, 2),
                genq_steps_per_s=round(ours, 2), speedup=round(ours / classic, 2),
                genq_without_graph_steps_per_s=eager and round(eager, 2), speedup_without_graph=eager
                and round(eager / classic, 2))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--steps', type=int, default=200); p.add_argument('--batch', type=int, default=64)
    p.add_argument('--width', type=int, default=32); p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--compile', action='store_true')
    print(json.dumps(main(**vars(p.parse_args()))))
