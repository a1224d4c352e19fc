"""genq.metrics against the reference implementations (torchmetrics, prdc) on the same features, and bad input."""
import contextlib, io, warnings

import numpy as np
import pytest
import torch

from genq import metrics as M


def feats(n=400, d=32, shift=0., seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(d, d, generator=g, dtype=torch.float64) / d ** 0.5
    return torch.randn(n, d, generator=g, dtype=torch.float64) @ a + shift


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


@pytest.mark.parametrize('shift', [0., 0.3, 2.])
def test_fid_matches_torchmetrics(shift):
    fid_mod = pytest.importorskip('torchmetrics.image.fid', reason='torchmetrics is not installed')
    real, fake = feats(600, 32, 0., 1), feats(500, 32, shift, 2)
    (m1, s1), (m2, s2) = M.gaussian_stats(real), M.gaussian_stats(fake)
    assert torch.allclose(s1, torch.cov(real.T)) and torch.allclose(m1, real.mean(0))
    assert rel(M.fid(real, fake), float(fid_mod._compute_fid(m1, s1, m2, s2))) < 1e-6


def test_kid_matches_torchmetrics():
    kid_mod = pytest.importorskip('torchmetrics.image.kid', reason='torchmetrics is not installed')
    real, fake = feats(300, 16, 0., 3), feats(300, 16, 0.5, 4)
    ours = M.kid(real, fake, subsets=1, subset_size=300)[0]
    assert rel(ours, float(kid_mod.poly_mmd(real, fake))) < 1e-6


@pytest.mark.parametrize('k, shift', [(3, 0.), (5, 0.5), (10, 1.5)])
def test_prdc_matches_the_prdc_package(k, shift):
    prdc = pytest.importorskip('prdc', reason='prdc is not installed')
    real, fake = feats(500, 16, 0., 5), feats(400, 16, shift, 6)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter('ignore')
        ref = prdc.compute_prdc(real.numpy(), fake.numpy(), nearest_k=k)
    ours = M.prdc(real, fake, k=k)
    for name in ('precision', 'recall', 'density', 'coverage'):
        assert rel(ours[name], float(ref[name])) < 1e-6, name


def test_metric_properties():
    real = feats(800, 8, 0., 7)
    assert abs(M.fid(real, real)) < 1e-9
    assert M.fid(real, real + 1) == pytest.approx(8., rel=1e-9)
    assert M.fid(real, feats(800, 8, 0., 8)) < M.fid(real, feats(800, 8, 0.5, 8)) < M.fid(real, feats(800, 8, 1., 8))
    sub = M.prdc(real, real[:300], k=5)
    assert sub['precision'] == 1.0 and sub['recall'] < 1.0
    inf, pts = M.fid_infinity(real, feats(800, 8, 0., 9), sizes=(100, 200, 400, 800))
    assert pts[0, 1] > pts[-1, 1] and abs(inf) < pts[-1, 1] + 0.05


def test_sqrtm_psd_squares_back():
    a = feats(50, 10, seed=10); s = a.T @ a
    r = M.sqrtm_psd(s)
    assert torch.allclose(r @ r, s, atol=1e-9)


@pytest.mark.parametrize('call, msg', [
    (lambda: M.fid(np.zeros(10), np.zeros((10, 2))), '2-D array'),
    (lambda: M.fid(np.zeros((1, 2)), np.zeros((10, 2))), 'at least 2 rows'),
    (lambda: M.fid(np.full((5, 2), np.nan), np.zeros((10, 2))), 'NaN or infinite'),
    (lambda: M.fid(np.zeros((10, 3)), np.zeros((10, 2))), 'same width'),
    (lambda: M.prdc(np.random.rand(10, 2), np.random.rand(10, 2), k=10), 'k should lie in 1..9'),
    (lambda: M.fid_infinity(np.random.rand(50, 2), np.random.rand(50, 2), sizes=(10, 100)), 'should not exceed'),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg): call()


def test_small_samples_warn():
    with pytest.warns(UserWarning, match='rank-deficient'): M.fid(feats(20, 32), feats(20, 32, seed=1))
