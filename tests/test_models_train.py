"""genq.models and genq.train: shapes, objectives against torch's own, determinism, exact resume, the NaN guard, bad
input."""
import pytest
import torch
from torch import nn

from genq.data import ImageSet, digits, ring
from genq.models import VAE, d_loss, g_loss, gan, vae, conv_stages, sample_labels
from genq.train import TrainingDiverged, batch_drawer, train_gan, train_vae


@pytest.fixture(scope='module')
def small():
    return digits().subset(torch.arange(512))


@pytest.mark.parametrize('shape', [(1, 8, 8), (1, 28, 28), (3, 32, 32), (2, 1, 1)])
@pytest.mark.parametrize('classes', [0, 10])
def test_models_make_the_right_shapes(shape, classes):
    y = torch.arange(6) % 10 if classes else None
    for cond in ('projection', 'concat'):
        g = gan(shape, classes=classes, width=8, cond=cond)
        x = g.sample(6)
        assert x.shape == (6, *shape) and x.abs().max() <= 1
        assert g.D(x, y).shape == (6,)
    v = vae(shape, classes=classes, width=8)
    assert v.sample(6).shape == (6, *shape) and v.reconstruct(x, y).shape == (6, *shape)


def test_conv_stages():
    assert [conv_stages((1, s, s)) for s in (8, 28, 32, 64)] == [2, 2, 2, 3]
    for bad in [(1, 30, 30), (1, 28, 32), (1, 4, 4)]:
        with pytest.raises(ValueError, match="kind='mlp'"): conv_stages(bad)


def test_gan_losses_match_bce_with_logits():
    real, fake = torch.randn(50), torch.randn(50)
    bce = nn.BCEWithLogitsLoss()
    assert torch.allclose(d_loss(real, fake), bce(real, torch.ones(50)) + bce(fake, torch.zeros(50)))
    assert torch.allclose(g_loss(fake), bce(fake, torch.ones(50)))
    assert torch.allclose(d_loss(real, fake, 'hinge'), torch.relu(1 - real).mean() + torch.relu(1 + fake).mean())
    with pytest.raises(ValueError, match="'bce' or 'hinge'"): d_loss(real, fake, 'wasserstein')


@pytest.mark.parametrize('likelihood', ['bernoulli', 'gaussian'])
def test_vae_elbo_matches_torch_distributions(likelihood):
    torch.manual_seed(0)
    model = vae((1, 8, 8), width=8, beta=0.5, likelihood=likelihood)
    x = torch.rand(5, 1, 8, 8) * 2 - 1
    torch.manual_seed(1)
    parts = model.loss(x)
    mu, logvar = model.encode(x)
    q, p = torch.distributions.Normal(mu, (0.5 * logvar).exp()), torch.distributions.Normal(0., 1.)
    kl = torch.distributions.kl_divergence(q, p).sum(1).mean()
    torch.manual_seed(1)
    z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
    out = model.decode_raw(z)
    if likelihood == 'bernoulli':
        lik = torch.distributions.Bernoulli(logits=out, validate_args=False).log_prob((x + 1) / 2)
    else: lik = torch.distributions.Normal(torch.tanh(out), model.log_sigma.exp()).log_prob(x)
    recon = -lik.flatten(1).sum(1).mean()
    assert torch.allclose(parts['kl'], kl, atol=1e-5) and torch.allclose(parts['recon'], recon, rtol=1e-5)
    assert torch.allclose(parts['loss'], parts['recon'] + 0.5 * parts['kl'])


def test_bad_model_requests():
    with pytest.raises(ValueError, match='unconditional'): gan((1, 8, 8)).sample(3, labels=1)
    with pytest.raises(ValueError, match='give the labels'): gan((1, 8, 8), classes=10).D(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match='missing'):
        vae((1, 8, 8), classes=10).loss(torch.zeros(2, 1, 8, 8), torch.tensor([0, -1]))
    with pytest.raises(ValueError, match=r'one label per image, 4 in all. Got shape \(2,\)'):
        sample_labels(torch.tensor([1, 2]), 4, 10, 'cpu')
    with pytest.raises(ValueError, match="cond should be one of 'projection', 'concat'"):
        gan((1, 8, 8), classes=10, cond='film')
    with pytest.raises(ValueError, match='beta'): VAE((1, 8, 8), beta=-1)


def test_same_seed_same_model_and_losses(small):
    a, b = gan(small.shape, width=8, seed=3), gan(small.shape, width=8, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    _, h1 = train_gan(a, small, steps=12, batch_size=32, progress=False)
    _, h2 = train_gan(b, small, steps=12, batch_size=32, progress=False)
    _, h3 = train_gan(gan(small.shape, width=8, seed=3), small, steps=12, batch_size=32, seed=1, progress=False)
    assert torch.equal(h1.losses, h2.losses) and not torch.equal(h1.losses, h3.losses)
    assert h1.losses.shape == (12, 4) and h1.frame().index[0] == 1


@pytest.mark.parametrize('kind', ['gan', 'vae'])
def test_resume_continues_exactly(small, tmp_path, kind):
    make, train = (lambda s: gan(small.shape, width=8, seed=s),
                   train_gan) if kind == 'gan' else (lambda s: vae(small.shape, width=8, seed=s), train_vae)
    _, whole = train(make(0), small, steps=30, batch_size=32, progress=False)
    ckpt = tmp_path / 'run.pt'
    train(make(0), small, steps=13, batch_size=32, progress=False, checkpoint=ckpt,
          checkpoint_every=1000)   # saved at its end
    model, resumed = train(make(9), small, steps=30, batch_size=32, progress=False, checkpoint=ckpt, checkpoint_every=7)
    assert torch.equal(whole.losses, resumed.losses)
    with pytest.raises(ValueError, match='other settings'):
        train(make(0), small, steps=40, batch_size=16, progress=False, checkpoint=ckpt)


def test_nan_guard_names_the_step_and_keeps_good_weights(small, tmp_path):
    model = vae(small.shape, width=8)
    count = {}
    def poison(module, inputs, output):        # counts on the device, so it also works inside a CUDA graph
        c = count.setdefault('calls', torch.zeros((), device=output.device))
        c += 1
        return output * torch.where(c > 23, float('nan'), 1.)
    model.decoder.register_forward_hook(poison)
    with pytest.raises(TrainingDiverged, match='at step 24') as err:
        train_vae(model, small, steps=50, batch_size=32, progress=False, log_every=10, checkpoint=tmp_path / 'c.pt',
                  checkpoint_every=10)
    assert err.value.step == 24
    assert torch.load(tmp_path / 'c.pt', weights_only=True)['step'] == 20
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_training_refuses_bad_data_and_keeps_input(small):
    nan_x = small.x.clone(); nan_x[0, 0, 0, 0] = float('nan')
    with pytest.raises(ValueError, match='missing \\(NaN\\) pixels'):
        train_vae(vae(small.shape), ImageSet(nan_x, small.y, allow_nan=True), steps=1, progress=False)
    y = small.y.clone(); y[3] = -1
    with pytest.raises(ValueError, match='missing labels'):
        train_gan(gan(small.shape, classes=10), ImageSet(small.x, y), steps=1, progress=False)
    with pytest.raises(ValueError, match='shape'): train_gan(gan((1, 28, 28)), small, steps=1, progress=False)
    with pytest.raises(ValueError, match='batch_size should be between 1 and'):
        train_gan(gan(small.shape), small, steps=1, batch_size=0, progress=False)
    before = small.x.clone()
    model, _ = train_gan(gan(small.shape, width=8), small, steps=3, batch_size=32, progress=False)
    assert torch.equal(small.x, before) and not model.training


def test_batches_cover_each_epoch_and_take_a_sampler():
    pts = ring(n=100)
    draw = batch_drawer(pts, 10, seed=0)
    seen = torch.cat([draw(i)[0].flatten(1) for i in range(10)])
    assert torch.equal(seen.sort(0).values, pts.x.flatten(1).sort(0).values)       # every row once per epoch
    only_mode_0 = torch.nonzero(pts.y == 0).flatten()
    pick = batch_drawer(pts, 8, sampler=lambda b: only_mode_0[torch.randint(len(only_mode_0), (b,))])
    assert (pick(0)[1] == 0).all()


def test_label_noise_passes_labels_through_the_matrix(small):
    from genq.corrupt import noise_matrix
    from genq.train import _label_noise
    y = torch.arange(10).repeat(1000)
    assert torch.equal(_label_noise(torch.eye(10), 10, torch.device('cpu'))(y), y)
    T = 0.6 * torch.eye(10) + 0.4 * noise_matrix(10)         # 40% of labels move, uniformly to other classes
    torch.manual_seed(0)
    seen = _label_noise(T, 10, torch.device('cpu'))(y)
    assert abs((seen != y).float().mean().item() - 0.4) < 0.02
    assert torch.bincount(seen[seen != y], minlength=10).min() > 300
    with pytest.raises(ValueError, match='rows that sum to 1'):
        _label_noise(torch.ones(10, 10), 10, torch.device('cpu'))
    with pytest.raises(ValueError, match='conditional'):
        train_gan(gan(small.shape), small, steps=1, label_noise=torch.eye(10), progress=False)
    _, hist = train_gan(gan(small.shape, width=8, classes=10), small, steps=5, label_noise=T, progress=False)
    assert torch.isfinite(hist.losses).all()


def test_training_runs_in_train_mode_and_returns_the_model_in_eval_mode():
    "BatchNorm and dropout must train as in training; the trained model comes back ready to sample."
    small = digits().subset(range(256))
    for build, train in ((lambda: gan(small.shape, width=8), train_gan),
                         (lambda: vae(small.shape, width=8), train_vae)):
        model, modes = build(), []
        for m in model.modules(): m.register_forward_pre_hook(lambda mod, args: modes.append(mod.training))
        trained, _ = train(model, small, steps=3, batch_size=32, progress=False)
        assert modes and all(modes) and not trained.training
