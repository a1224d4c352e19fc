"""Batches by index on the device against a DataLoader over the same ImageSet; prints one JSON line.

    python bench/data.py [--batch 64] [--repeats 5]

Figures: seconds for one pass over mnist5k (best of `repeats`), each batch moved to the device as a training loop
would, and their ratio, measured in one run.
"""
import argparse, json, platform, time
import torch
from genq.data import default_device, mnist5k


def best_pass(make_batches, device, repeats: int) -> float:
    "Best time of `repeats` passes over `make_batches()`, moving each batch to `device`."
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter()
        for xb, _ in make_batches(): xb.to(device, non_blocking=True).sum()
        if device.type == 'cuda': torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best


def main(batch: int, repeats: int) -> dict:
    device, ds = default_device(), mnist5k()
    on_device = ds.to(device)
    loader = best_pass(lambda: torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True), device, repeats)
    indexed = best_pass(lambda: on_device.batches(batch, seed=0), device, repeats)
    return dict(bench='data', dataset=ds.name, n=len(ds), batch=batch, device=str(device),
                gpu=torch.cuda.get_device_name() if device.type == 'cuda' else None,
                cpu_threads=torch.get_num_threads(),
                python=platform.python_version(), torch=torch.__version__,
                dataloader_s=round(loader, 5), imageset_batches_s=round(indexed, 5), speedup=round(loader / indexed, 1))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--batch', type=int, default=64); p.add_argument('--repeats', type=int, default=5)
    print(json.dumps(main(**vars(p.parse_args()))))
