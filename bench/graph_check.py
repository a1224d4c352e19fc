"""Does replaying each step as a CUDA graph change what a GAN learns? Prints one JSON line (needs a GPU).

    python bench/graph_check.py [--steps 2000] [--seeds 2]

Trains the book's DCGAN (width 32) on the generator half of mnist5k with train_gan's defaults, with and without
the CUDA graph, for each seed, and scores each with genq.metrics.evaluate against that half (FID, precision, recall
on the domain features). Graph replay draws its random numbers differently, so losses differ step by step; the
scores should not differ more than seeds do.
"""
import argparse, json, platform
import torch
from genq.data import mnist5k
from genq.metrics import evaluate, evaluator_split, load_feature_network
from genq.models import gan
from genq.train import train_gan


def main(steps: int, seeds: int) -> dict:
    if not torch.cuda.is_available(): raise SystemExit("graph_check needs a CUDA GPU.")
    _, half = evaluator_split(mnist5k())
    net, rows = load_feature_network('mnist5k'), []
    for seed in range(seeds):
        for graph in (True, False):
            model, hist = train_gan(gan(half.shape, width=32, seed=seed), half, steps=steps, seed=seed, graph=graph,
                                    progress=False)
            s = evaluate(half, model, net)
            rows.append(dict(seed=seed, graph=graph, seconds=round(hist.seconds, 2), fid=round(s['fid'], 4),
                             precision=round(s['precision'], 3), recall=round(s['recall'], 3)))
    return dict(bench='graph_check', steps=steps, gpu=torch.cuda.get_device_name(), torch=torch.__version__,
                python=platform.python_version(), runs=rows)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--steps', type=int, default=2000); p.add_argument('--seeds', type=int, default=2)
    print(json.dumps(main(**vars(p.parse_args()))))
