"""genq.resample: balanced outputs with provenance, inputs untouched, and SMOTE checked against imbalanced-learn."""
import pytest
import torch

from genq.corrupt import long_tail
from genq.data import digits
from genq.resample import balanced_sampler, oversample, same_class_neighbours, smote, undersample


@pytest.fixture(scope='module')
def tail():
    return long_tail(digits(), ratio=8, seed=0).ds


def on_a_neighbour_segment(x_new, y_new, x, y, k, tol=1e-5):
    "Whether every new row lies on a segment between a row of its class and one of that row's k nearest neighbours."
    for xn, c in zip(x_new, y_new):
        rows = x[y == c]
        nn = same_class_neighbours(rows, k)
        a, b = rows[:, None, :], rows[nn]                                    # m×1×d, m×k×d
        d = b - a
        lam = ((xn - a) * d).sum(-1) / (d * d).sum(-1).clamp_min(1e-12)
        off = (a + lam.clamp(0, 1)[..., None] * d - xn).norm(dim=-1)
        if off.min() > tol * (1 + xn.norm()): return False
    return True


def test_smote_matches_imbalanced_learn(tail):
    over = pytest.importorskip('imblearn.over_sampling', reason='imbalanced-learn is not installed')
    x, y = tail.x.flatten(1).double(), tail.y
    xr, yr = over.SMOTE(k_neighbors=5, random_state=0).fit_resample(x.numpy(), y.numpy())
    ours = smote(tail, k=5, seed=0)
    assert ours.class_counts().tolist() == torch.bincount(torch.as_tensor(yr)).tolist()
    theirs_new = torch.as_tensor(xr[len(x):])
    assert on_a_neighbour_segment(theirs_new, torch.as_tensor(yr[len(x):]), x, y, 5)         # our neighbours are theirs
    new = slice(len(tail), None)
    assert on_a_neighbour_segment(ours.x[new].flatten(1).double(), ours.y[new], x, y, 5)  # our rows lie where theirs do


def test_resampling_balances_keeps_input_and_records_sources(tail):
    before = tail.x.clone()
    counts = tail.class_counts()
    for out, n in [(oversample(tail), counts.max()), (smote(tail), counts.max()), (undersample(tail), counts.min())]:
        assert (out.class_counts() == n).all() and len(out.ids.unique()) == len(out)
    assert torch.equal(tail.x, before)
    o = oversample(tail)
    src = o.meta['oversampled_from']
    assert len(src) == len(o) - len(tail)
    by_id = dict(zip(tail.ids.tolist(), range(len(tail))))
    assert all(torch.equal(o.x[i], tail.x[by_id[src[int(o.ids[i])]]]) for i in range(len(tail), len(o)))
    s = smote(tail, seed=3)
    assert torch.equal(s.x, smote(tail, seed=3).x) and not torch.equal(s.x, smote(tail, seed=4).x)


def test_balanced_sampler_draws_classes_equally(tail):
    torch.manual_seed(0)
    drawn = torch.bincount(tail.y[balanced_sampler(tail)(20000)], minlength=10).float()
    assert (drawn / drawn.sum() - 0.1).abs().max() < 0.015


def test_resampling_refuses_missing_labels(tail):
    y = tail.y.clone(); y[0] = -1
    with pytest.raises(ValueError, match='missing labels'): smote(tail.replace(y=y))
    with pytest.raises(ValueError, match='no labels'): balanced_sampler(tail.replace(y=None))
