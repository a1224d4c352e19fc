"""Label-issue detection on mnist5k: genq against cleanlab, on the same data and the same noise; one JSON line.

    python bench/audit.py [--rates 0.1 0.3]
    python bench/audit.py --sweep 2 4 6 8 [--rates 0.1 0.3] [--seeds 1 2 3] [--save PATH]

For each symmetric noise rate: genq's whole label audit (out-of-fold CNN probabilities + its confident learning),
cleanlab's find_label_issues on genq's probabilities (the same probabilities, cleanlab's algorithm), and cleanlab
with simple scikit-learn classifiers (out-of-fold probabilities by 4-fold cross_val_predict): F1 against the
injected truth and seconds. It also times a training step of the audit's CNN laid out as `fit_classifier` lays it
out (pool before ReLU, channels last) against the plain layout (ReLU before pool, channels first): the same
function, best of 5 in turns.

`--sweep` measures instead the label check's F1 against its time as the classifier's epochs vary, and the fast path's
(k-NN on 50 principal components, `genq.classifier.knn_probs`), with noise injected with the given seeds, to show
where the default (6 epochs) sits on that curve. `--save` writes it with its provenance: the audit chapter plots
genq/results/audit_sweep_cpu.json, written that way.
"""
import argparse, json, platform, sys, time
import numpy as np
import torch
from _common import save                     # bench/_common.py


def f1(flags, truth) -> float:
    flags, truth = np.asarray(flags, bool), np.asarray(truth, bool)
    tp = (flags & truth).sum()
    p, r = tp / max(flags.sum(), 1), tp / max(truth.sum(), 1)
    return round(float(2 * p * r / max(p + r, 1e-12)), 4)


def timed(fn):
    t0 = time.perf_counter(); out = fn()
    return out, round(time.perf_counter() - t0, 2)


def simple_classifiers():
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    return {'logistic_regression': make_pipeline(PCA(50, random_state=0), LogisticRegression(max_iter=500, C=0.1)),
            'knn_pca50': make_pipeline(PCA(50, random_state=0), KNeighborsClassifier(10, weights='distance'))}


def step_seconds(model, x, y, layout, steps: int = 20) -> float:
    "Seconds per training step (forward, backward, AdamW) of `model` on the batch (x, y) in memory `layout`."
    import torch.nn.functional as F
    model, x = model.to(memory_format=layout), x.contiguous(memory_format=layout)
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    for i in range(steps + 3):
        if i == 3: t0 = time.perf_counter()
        loss = F.cross_entropy(model(x), y); opt.zero_grad(); loss.backward(); opt.step()
    return (time.perf_counter() - t0) / steps


def layouts(batch: int = 64) -> dict:
    "fit_classifier's layout against the plain one, the same SmallCNN function, on an mnist5k batch."
    from torch import nn
    from genq.classifier import SmallCNN
    from genq.data import mnist5k
    ds = mnist5k()
    x, y = ds.x[:batch], ds.y[:batch]
    def plain():
        m = SmallCNN(ds.shape, 10); f = m.features
        m.features = nn.Sequential(f[0], f[2], f[1], f[3], f[5], f[4])     # ReLU before pool, as usually written
        return m
    best = dict(plain=float('inf'), genq=float('inf'))
    for _ in range(5):
        best['plain'] = min(best['plain'], step_seconds(plain(), x, y, torch.contiguous_format))
        best['genq'] = min(best['genq'], step_seconds(SmallCNN(ds.shape, 10), x, y, torch.channels_last))
    return dict(batch=batch, plain_ms=round(1e3 * best['plain'], 2), genq_ms=round(1e3 * best['genq'], 2),
                speedup=round(best['plain'] / best['genq'], 2))


def main(rates) -> dict:
    from cleanlab.filter import find_label_issues
    from sklearn.model_selection import cross_val_predict, StratifiedKFold
    from genq.data import mnist5k
    from genq.corrupt import label_noise
    from genq.audit import prune_by_noise_rate as genq_issues
    from genq.classifier import out_of_fold_probs
    ds = mnist5k()
    result = dict(bench='audit', dataset=ds.name, n=len(ds), cpu_threads=torch.get_num_threads(),
                  python=platform.python_version(), torch=torch.__version__)
    for rate in rates:
        noisy, truth = label_noise(ds, rate, seed=0)
        y = noisy.y.numpy()
        (probs, flags), secs = timed(lambda: (lambda p: (p, genq_issues(p, noisy.y)))(out_of_fold_probs(noisy, seed=0)))
        row = dict(genq_f1=f1(flags, truth), genq_s=secs,
                   cleanlab_on_genq_probs_f1=f1(find_label_issues(y, probs.numpy()), truth))
        x = noisy.x.flatten(1).numpy()
        for name, clf in simple_classifiers().items():
            p, s = timed(lambda: cross_val_predict(clf, x, y, cv=StratifiedKFold(4, shuffle=True, random_state=0),
                                                   method='predict_proba'))
            issues, s2 = timed(lambda: find_label_issues(y, p))
            row[f'cleanlab_{name}_f1'], row[f'cleanlab_{name}_s'] = f1(issues, truth), round(s + s2, 2)
        result[f'noise_{rate}'] = row
    result['classifier_step'] = layouts()
    return result


def sweep(epochs: list, rates: list, seeds: list) -> dict:
    "The label check's F1 and seconds for each number of epochs, noise rate and noise seed; means per epochs and rate."
    from genq.data import mnist5k
    from genq.corrupt import label_noise
    from genq.audit import prune_by_noise_rate
    from genq.classifier import out_of_fold_probs, knn_probs
    ds, rows = mnist5k(), []
    for rate in rates:
        for seed in seeds:
            noisy, truth = label_noise(ds, rate, seed=seed)
            paths = [('knn', 0, lambda: knn_probs(noisy, seed=0))]
            paths += [('cnn', e, lambda e=e: out_of_fold_probs(noisy, seed=0, epochs=e)) for e in epochs]
            for method, e, probs_of in paths:
                probs, secs = timed(probs_of)
                rows.append(dict(method=method, epochs=e, rate=rate, seed=seed, seconds=secs,
                                 f1=f1(prune_by_noise_rate(probs, noisy.y), truth)))
    def mean(key, method, e, r):
        return float(np.mean([x[key] for x in rows if (x['method'], x['epochs'], x['rate']) == (method, e, r)]))
    means = {f"{m} {e} epochs, noise {r}" if m == 'cnn' else f"knn, noise {r}":
             dict(f1=round(mean('f1', m, e, r), 4), seconds=round(mean('seconds', m, e, r), 1))
             for r in rates for m, e in [('knn', 0)] + [('cnn', e) for e in epochs]}
    return dict(bench='audit_sweep', dataset=ds.name, cpu_threads=torch.get_num_threads(), torch=torch.__version__,
                seeds=seeds, means=means, runs=rows)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rates', type=float, nargs='+', default=[0.1, 0.3])
    p.add_argument('--sweep', type=int, nargs='+', help="numbers of epochs: measure F1 against time instead")
    p.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3], help="noise seeds of the sweep")
    p.add_argument('--save', help='also write the result with its provenance to this JSON file')
    a = p.parse_args()
    row = sweep(a.sweep, a.rates, a.seeds) if a.sweep else main(a.rates)
    print(json.dumps(row))
    if a.save: save(row, a.save, 'python ' + ' '.join(sys.argv), row['bench'])
