"""Label-issue detection on mnist5k: genq against cleanlab, on the same data and the same noise; one JSON line.

    python bench/audit.py [--rates 0.1 0.3]

For each symmetric noise rate: genq's whole label audit (out-of-fold CNN probabilities + its confident learning),
cleanlab's find_label_issues on genq's probabilities (the same probabilities, cleanlab's algorithm), and cleanlab
with simple scikit-learn classifiers (out-of-fold probabilities by 4-fold cross_val_predict): F1 against the
injected truth and seconds.
"""
import argparse, json, platform, time
import numpy as np
import torch


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
    return result


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rates', type=float, nargs='+', default=[0.1, 0.3])
    print(json.dumps(main(p.parse_args().rates)))
