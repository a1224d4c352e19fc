"""genq's train_diffusion against the straightforward DDPM loop, same model and batch size; prints one JSON line.

    python bench/diffusion.py [--steps 100] [--batch 64] [--width 32] [--dataset mnist5k] [--repeats 3]

The straightforward loop (the one most DDPM tutorials write): a shuffling DataLoader over CPU tensors, `.to(device)`
for every batch, full precision, `loss.item()` at every step to log it, the EMA updated parameter by parameter.
genq: the set on the device, batches by index, the loss logged on the device; on CUDA also mixed precision and each
step replayed as one CUDA graph (genq's defaults there), timed with and without the graph. Both train the same
U-Net from the same initial weights for `steps` steps (after 10 warm-up steps); figures are steps per second (best of
`repeats`) and their ratio, measured in one run.
"""
import argparse, json, platform, time
import torch
from genq.data import default_device, load
from genq.diffusion import diffusion, train_diffusion


def straightforward_loop(model, ds, steps: int, batch: int, device) -> float:
    "Steps per second of the straightforward loop."
    model = model.to(device).train()
    opt = torch.optim.Adam(model.net.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(ds.x), batch_size=batch, shuffle=True,
                                         drop_last=True)
    done, log, t0 = 0, [], None
    while done < steps + 10:
        for (x,) in loader:
            if done == 10:
                if device.type == 'cuda': torch.cuda.synchronize()
                t0 = time.perf_counter()
            loss = model.loss(x.to(device))
            opt.zero_grad(); loss.backward(); opt.step()
            with torch.no_grad():
                for e, p in zip(model.ema.parameters(), model.net.parameters()): e.mul_(0.999).add_(p, alpha=0.001)
            log.append(loss.item())
            done += 1
            if done == steps + 10: break
    if device.type == 'cuda': torch.cuda.synchronize()
    return steps / (time.perf_counter() - t0)


def genq_loop(model, ds, steps: int, batch: int, device, graph: bool | None) -> float:
    "Steps per second of train_diffusion (its own timer covers the training steps: warm-up and capture included)."
    kw = dict(batch_size=batch, device=device, graph=graph, progress=False)
    train_diffusion(model, ds, steps=10, **kw)                              # warm-up
    _, hist = train_diffusion(model, ds, steps=steps, log_every=steps, **kw)
    return steps / hist.seconds


def main(steps: int, batch: int, width: int, dataset: str, repeats: int) -> dict:
    device, ds = default_device(), load(dataset)
    make = lambda: diffusion(ds.shape, width=width, seed=0)
    plain = max(straightforward_loop(make(), ds, steps, batch, device) for _ in range(repeats))
    best = lambda graph: max(genq_loop(make(), ds, steps, batch, device, graph) for _ in range(repeats))
    ours, eager = best(None), (best(False) if device.type == 'cuda' else None)
    return dict(bench='diffusion', model=f'U-Net width {width}', dataset=ds.name, batch=batch, steps=steps,
                device=str(device), gpu=torch.cuda.get_device_name() if device.type == 'cuda' else None,
                cpu_threads=torch.get_num_threads(), amp=device.type == 'cuda', python=platform.python_version(),
                torch=torch.__version__, straightforward_steps_per_s=round(plain, 2), genq_steps_per_s=round(ours, 2),
                speedup=round(ours / plain, 2), genq_without_graph_steps_per_s=eager and round(eager, 2),
                speedup_without_graph=eager and round(eager / plain, 2))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--steps', type=int, default=100); p.add_argument('--batch', type=int, default=64)
    p.add_argument('--width', type=int, default=32); p.add_argument('--dataset', default='mnist5k')
    p.add_argument('--repeats', type=int, default=3)
    print(json.dumps(main(**vars(p.parse_args()))))
