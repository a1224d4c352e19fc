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


def test_wide_features_chunked_and_blocked():
    "Covariances summed over row chunks and diagonal blocks equal torch.cov, and FID still matches torchmetrics."
    fid_mod = pytest.importorskip('torchmetrics.image.fid', reason='torchmetrics is not installed')
    real, fake = feats(2500, 600, 0., 11).float(), feats(2200, 600, 0.2, 12).float()  # float32 in, 3 chunks, 2×2 blocks
    (m1, s1), (m2, s2) = M.gaussian_stats(real), M.gaussian_stats(fake)
    assert s1.dtype == torch.float64 and torch.allclose(s1, torch.cov(real.double().T), rtol=1e-10, atol=1e-12)
    assert torch.equal(s1, s1.T) and torch.allclose(m1, real.double().mean(0))
    assert rel(M.fid(real, fake), float(fid_mod._compute_fid(m1, s1, m2, s2))) < 1e-6


def test_prdc_over_many_chunks_with_copies():
    "Thousands of points (many row chunks), some generated points exact copies of real ones: prdc still agrees."
    prdc = pytest.importorskip('prdc', reason='prdc is not installed')
    real, fake = feats(3000, 24, 0., 13), feats(2000, 24, 0.3, 14)
    fake[:200] = real[:200]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter('ignore')
        ref = prdc.compute_prdc(real.numpy(), fake.numpy(), nearest_k=5)
    ours = M.prdc(real, fake, k=5)
    assert len(M._row_chunks(real, len(fake))) > 10
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


def images(n=6, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_ssim_and_psnr_match_torchmetrics():
    tmf = pytest.importorskip('torchmetrics.functional.image', reason='torchmetrics is not installed')
    x = images(); y = (x + 0.2 * images(seed=1)).clamp(-1, 1)
    ours = M.ssim(x, y)
    for i in range(len(x)):
        ref = tmf.structural_similarity_index_measure(y[i:i + 1].double(), x[i:i + 1].double(), data_range=2.)
        assert rel(float(ours[i]), float(ref)) < 1e-5
    ref_psnr = tmf.peak_signal_noise_ratio(y[:1], x[:1], data_range=2.)
    assert rel(float(M.psnr(x[:1], y[:1])[0]), float(ref_psnr)) < 1e-5


def test_class_measures():
    sure = torch.eye(10).repeat(50, 1)                     # confident and balanced: IS = 10
    assert M.inception_score(sure) == pytest.approx(10, rel=1e-6)
    assert M.inception_score(torch.full((100, 10), 0.1)) == pytest.approx(1, rel=1e-6)
    real = torch.arange(10).repeat(20)
    assert M.mode_coverage(real, real, 10) == dict(modes=10, of=10, kl=pytest.approx(0, abs=1e-9))
    half = M.mode_coverage(torch.arange(5).repeat(40), real, 10)
    assert half['modes'] == 5 and half['kl'] == pytest.approx(np.log(2), rel=0.01)


def test_memorization_finds_copies():
    train = feats(200, 16, seed=11)
    fake = torch.cat([train[:30] + 1e-3, feats(70, 16, seed=12)])
    m = M.memorization(train, fake)
    assert m['copy_rate'] == pytest.approx(0.3) and torch.equal(m['nearest'][:30], torch.arange(30))


def test_stacked_mnist_modes():
    from genq.data import mnist5k
    s = M.stacked(mnist5k(), 50, seed=0)
    assert s.shape == (3, 28, 28) and s.num_classes == 1000 and int(s.y.max()) < 1000


def test_shipped_weights_are_checked(tmp_path, monkeypatch):
    net = M.load_feature_network('digits')
    assert isinstance(net, torch.nn.Module)
    bad = tmp_path / 'digits_features.pt'
    bad.write_bytes(M.weights_path('digits').read_bytes()[:-10] + b'0123456789')
    (tmp_path / 'digits_features.sha256').write_text(M.weights_path('digits').with_suffix('.sha256').read_text())
    monkeypatch.setattr(M, 'weights_path', lambda name: tmp_path / f'{name}_features.pt')
    with pytest.raises(ValueError, match='does not match its checksum'): M.load_feature_network('digits')
    with pytest.raises(ValueError, match='is missing'): M.load_feature_network('mnist5k')


def test_inception_offline_says_what_to_do(monkeypatch):
    import builtins
    real_import = builtins.__import__
    def no_fidelity(name, *args, **kwargs):
        if name.startswith('torchmetrics.image.fid'): raise ImportError('torch-fidelity is not installed')
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, '__import__', no_fidelity)
    with pytest.raises(RuntimeError, match='offline, use the domain network'): M.inception_features(images(2))


def test_evaluate_refuses_what_it_cannot_sample():
    from genq.data import digits
    d = digits()
    with pytest.raises(ValueError, match='a model with a sample'):
        M.evaluate(d, 'samples', M.load_feature_network('digits'))


def test_data_copying_and_extraction_on_a_known_copier_and_a_known_non_copier():
    g = torch.Generator().manual_seed(0)
    train, held, fresh = (torch.randn(n, 16, generator=g) for n in (400, 300, 300))
    copies = train[:300] + 0.05 * torch.randn(300, 16, generator=g)
    honest, copier = M.data_copying(train, held, fresh), M.data_copying(train, held, copies)
    assert abs(honest['closer'] - 0.5) < 0.05 and honest['p_value'] > 0.01
    assert copier['closer'] > 0.99 and copier['p_value'] < 1e-6
    assert copier['fake_distance'] < copier['held_out_distance']
    mixed = torch.cat([copies[:30], fresh])
    out = M.extraction_rate(train, mixed, range(60))
    assert out['extraction_rate'] == pytest.approx(0.5) and sorted(out['extracted'].tolist()) == list(range(30))
    assert M.extraction_rate(train, fresh, {1, 2, 3})['extraction_rate'] == 0
    with pytest.raises(ValueError, match='targets should hold row indices'): M.extraction_rate(train, fresh, [400])
    with pytest.raises(ValueError, match='targets should hold row indices'): M.extraction_rate(train, fresh, [])
    with pytest.raises(TypeError, match='whole row indices'): M.extraction_rate(train, fresh, [2.7])
    with pytest.raises(ValueError, match='same width'): M.data_copying(train, held[:, :8], fresh)
