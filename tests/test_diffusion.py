"""genq.diffusion: the schedule and the sampling step against Hugging Face diffusers, the samplers against an exact
noise predictor, shapes, determinism, exact resume, the NaN guard and bad input."""
import pytest
import torch
from torch import nn

from genq.data import digits
from genq.diffusion import Diffusion, add_noise, denoise_step, diffusion, noise_schedule, train_diffusion
from genq.train import TrainingDiverged


@pytest.fixture(scope='module')
def small():
    return digits().subset(torch.arange(256))


def test_the_schedules_match_diffusers():
    DDPMScheduler = pytest.importorskip('diffusers', reason='diffusers is not installed').DDPMScheduler
    for ours, theirs in [('cosine', 'squaredcos_cap_v2'), ('linear', 'linear')]:
        ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule=theirs).alphas_cumprod
        assert torch.allclose(noise_schedule(1000, ours).double(), ref.double(), atol=1e-6)


@pytest.mark.parametrize('eta', [0., 1.])
def test_a_sampling_step_matches_diffusers_ddim(eta):
    DDIMScheduler = pytest.importorskip('diffusers', reason='diffusers is not installed').DDIMScheduler
    ref = DDIMScheduler(num_train_timesteps=1000, beta_schedule='squaredcos_cap_v2', clip_sample=True,
                        set_alpha_to_one=True)
    ref.set_timesteps(50)                                        # 980, 960, ..., 0: the previous step is t − 20
    abar = noise_schedule()
    g = torch.Generator().manual_seed(0)
    x, eps = torch.randn(8, 1, 8, 8, generator=g), torch.randn(8, 1, 8, 8, generator=g)
    for t in (980, 500, 20, 0):
        prev = abar[t - 20] if t >= 20 else torch.tensor(1.)
        ours = denoise_step(x, eps, abar[t], prev, eta, torch.Generator().manual_seed(1))
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
        theirs = ref.step(eps, t, x, eta=eta, use_clipped_model_output=True, variance_noise=noise).prev_sample
        assert torch.allclose(ours, theirs, atol=1e-5), (t, (ours - theirs).abs().max())


class OneImage(nn.Module):
    "The exact noise predictor when the data is the single image `target`."
    def __init__(self, target, abar):
        super().__init__()
        self.target, self.abar = target, abar

    def forward(self, x, t, y=None):
        a = self.abar[t].view(-1, 1, 1, 1)
        return (x - a.sqrt() * self.target) / (1 - a).sqrt()


@pytest.mark.parametrize('eta', [0., 0.5, 1.])
@pytest.mark.parametrize('steps', [2, 7, 50, 1000])
def test_every_sampler_finds_the_one_image_with_the_exact_predictor(eta, steps):
    target = digits().x[3:4]
    model = diffusion(target.shape[1:], width=8)
    model.ema = OneImage(target, model.abar)
    drawn = model.sample(5, steps=steps, eta=eta, generator=torch.Generator().manual_seed(2))
    assert (drawn - target).abs().max() < 1e-4


def test_the_forward_process_has_the_stated_mean_and_variance():
    abar = noise_schedule()
    x0 = torch.full((20000, 1), 0.6)
    t = torch.full((20000,), 300)
    xt = add_noise(x0, t, torch.randn(20000, 1, generator=torch.Generator().manual_seed(0)), abar)
    assert xt.mean().item() == pytest.approx(0.6 * abar[300].sqrt().item(), abs=0.02)
    assert xt.var().item() == pytest.approx(1 - abar[300].item(), rel=0.03)


@pytest.mark.parametrize('shape', [(1, 8, 8), (1, 28, 28), (3, 32, 32), (2, 1, 1)])
@pytest.mark.parametrize('classes', [0, 10])
def test_models_make_the_right_shapes(shape, classes):
    m = diffusion(shape, classes=classes, width=8)
    x = m.sample(6, steps=3)
    assert x.shape == (6, *shape) and x.abs().max() <= 1
    y = torch.arange(6) % 10 if classes else None
    assert torch.isfinite(m.loss(torch.rand(6, *shape) * 2 - 1, y))
    if classes: assert m.sample(4, labels=3, steps=2, guidance=3.).shape == (4, *shape)


def test_sampling_is_seeded_and_guidance_needs_labels():
    m = diffusion((1, 8, 8), classes=10, width=8, seed=0)
    a = m.sample(4, steps=5, eta=1., generator=torch.Generator().manual_seed(3))
    b = m.sample(4, steps=5, eta=1., generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match='unconditional'): diffusion((1, 8, 8), width=8).sample(2, labels=[1, 2])


def test_ema_follows_the_network_with_a_warm_up():
    m = diffusion((1, 8, 8), width=8)
    for p in m.net.parameters(): p.data.add_(1.)
    before = [e.clone() for e in m.ema.parameters()]
    m.update_ema()  # k = 1: decay 2/11, moves 9/11 of the way
    for e, b, p in zip(m.ema.parameters(), before, m.net.parameters()):
        assert torch.allclose(e, b + (p - b) * 9 / 11, atol=1e-6)
    assert all(not e.requires_grad for e in m.ema.parameters())


def test_same_seed_same_losses_and_exact_resume(small, tmp_path):
    a, h1 = train_diffusion(diffusion(small.shape, width=8), small, steps=30, progress=False)
    _, h2 = train_diffusion(diffusion(small.shape, width=8), small, steps=30, progress=False)
    ckpt = tmp_path / 'd.pt'
    train_diffusion(diffusion(small.shape, width=8), small, steps=15, progress=False, checkpoint=ckpt,
                    checkpoint_every=5)
    b, h3 = train_diffusion(diffusion(small.shape, width=8, seed=7), small, steps=30, progress=False, checkpoint=ckpt)
    assert torch.equal(h1.losses, h2.losses) and torch.equal(h1.losses, h3.losses)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    with pytest.raises(ValueError, match='other settings'):
        train_diffusion(diffusion(small.shape, width=8, ema_decay=0.99), small, steps=30, progress=False,
                        checkpoint=ckpt)
    with pytest.raises(ValueError, match='other settings'):                      # another architecture
        train_diffusion(diffusion(small.shape, width=16), small, steps=30, progress=False, checkpoint=ckpt)


def test_nan_guard_names_the_step_and_keeps_good_weights(small):
    m = diffusion(small.shape, width=8)
    calls = [0]
    hook = m.net.register_forward_hook(lambda mod, i, out: out * float('nan') if (calls.__setitem__(0, calls[0] + 1)
                                                                                   or calls[0] > 12) else out)
    with pytest.raises(TrainingDiverged) as e: train_diffusion(m, small, steps=40, progress=False, log_every=5)
    hook.remove()
    assert e.value.step == 13 and all(torch.isfinite(p).all() for p in m.parameters())


def test_bad_requests_are_refused_before_any_work(small):
    with pytest.raises(ValueError, match='kind should be one of'): diffusion((1, 8, 8), kind='transformer')
    with pytest.raises(ValueError, match='steps should lie in'): diffusion((1, 8, 8), width=8).sample(2, steps=0)
    with pytest.raises(ValueError, match='steps should lie in'): diffusion((1, 8, 8), width=8).sample(2, steps=1001)
    with pytest.raises(ValueError, match='eta should (be|lie)'): diffusion((1, 8, 8), width=8).sample(2, eta=2)
    with pytest.raises(ValueError, match='guidance should be'): diffusion((1, 8, 8), width=8).sample(2, guidance=-1)
    with pytest.raises(ValueError, match='ema_decay should (be|lie)'): diffusion((1, 8, 8), ema_decay=1.5)
    with pytest.raises(ValueError, match='T should be'): diffusion((1, 8, 8), T=1)
    m = diffusion((1, 8, 8), width=8)
    before = [p.clone() for p in m.parameters()]
    with pytest.raises(TypeError, match='model should be a Diffusion'): train_diffusion(nn.Linear(2, 2), small, steps=2)
    with pytest.raises(ValueError, match='steps should be'): train_diffusion(m, small, steps=-1)
    with pytest.raises(ValueError, match='shape'): train_diffusion(diffusion((1, 28, 28), width=8), small, steps=2)
    with pytest.raises(ValueError, match='conditional'): train_diffusion(diffusion((1, 8, 8), classes=10, width=8),
                                                                         small.replace(y=None), steps=2)
    assert all(torch.equal(a, b) for a, b in zip(before, m.parameters()))
    assert isinstance(m, Diffusion)
