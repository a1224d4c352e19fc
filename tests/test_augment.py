"""genq.augment: classic augmentation leaves its input alone and is seeded; DiffAugment's operations do what they
say."""
import pytest
import torch

from genq.augment import DiffAugment, augment_images, augmented, classic_transforms, cutout, translation
from genq.data import digits


@pytest.fixture(scope='module')
def small():
    return digits().subset(torch.arange(40))


def test_augment_images_is_seeded_per_image_and_leaves_input(small):
    t = classic_transforms(8)['rotation ±15°']
    before = small.x.clone()
    a, b = augment_images(small.x, t, seed=1), augment_images(small.x, t, seed=1)
    assert torch.equal(a, b) and torch.equal(small.x, before)
    assert not torch.equal(a, augment_images(small.x, t, seed=2))
    flipped = augment_images(small.x, classic_transforms(8)['horizontal flip'])
    assert torch.equal(flipped, small.x.flip(-1))


def test_augmented_keeps_sources_and_gives_new_ids(small):
    out = augmented(small, classic_transforms(8)['shift ±10%'], copies=2)
    assert len(out) == 3 * len(small) and len(out.ids.unique()) == len(out)
    assert torch.equal(out.x[:len(small)], small.x) and torch.equal(out.y[len(small):], small.y.repeat(2))
    src = out.meta['augmented_from']
    assert len(src) == 2 * len(small) and all(src[int(i)] == int(small.ids[k % len(small)])
                                              for k, i in enumerate(out.ids[len(small):]))
    with pytest.raises(ValueError, match='copies'): augmented(small, lambda x: x, copies=0)


def test_translation_is_a_shift_with_background_fill():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 8, 8) * 2 - 1
    out = translation(x, ratio=0.25, fill=-1.)
    for img, o in zip(x, out):
        matches = []
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                ref = torch.full_like(img, -1.)
                ys, xs = slice(max(dy, 0), 8 + min(dy, 0)), slice(max(dx, 0), 8 + min(dx, 0))
                ys0, xs0 = slice(max(-dy, 0), 8 + min(-dy, 0)), slice(max(-dx, 0), 8 + min(-dx, 0))
                ref[:, ys, xs] = img[:, ys0, xs0]
                matches.append(torch.equal(ref, o))
        assert any(matches)
    assert torch.equal(translation(x, ratio=0.), x)


def test_cutout_zeroes_one_square_at_most():
    torch.manual_seed(0)
    x = torch.rand(32, 1, 8, 8) + 1                      # no zeros before
    out = cutout(x, ratio=0.5)
    zeroed = (out == 0).flatten(1).sum(1)
    assert (zeroed <= 16).all() and (zeroed > 0).all()
    assert torch.equal(out[out != 0], x[out != 0])


def test_diffaugment_is_differentiable_and_checks_policy():
    x = torch.rand(4, 1, 8, 8, requires_grad=True)
    DiffAugment()(x).sum().backward()
    assert x.grad is not None
    with pytest.raises(ValueError, match="Unknown DiffAugment policy 'zoom'"): DiffAugment('zoom')


def test_colour_strengths_are_the_reference_implementations():
    # DiffAugment's reference (Zhao et al. 2020): brightness + U(-0.5, 0.5), saturation × U(0, 2), contrast × U(0.5,
    # 1.5),
    # in the images' own units; its GANs, like genq's, work in [-1, 1]
    from genq.augment import brightness, contrast
    torch.manual_seed(0)
    shift = brightness(torch.zeros(4000, 1, 2, 2))[:, 0, 0, 0]
    assert shift.min() >= -0.5 and shift.max() < 0.5 and shift.min() < -0.49 and shift.max() > 0.49
    x = torch.tensor([-1., 1.]).repeat(4000, 1).reshape(4000, 1, 1, 2)
    scale = contrast(x)[:, 0, 0, 1]                            # mean 0, so the bright pixel becomes the scale
    assert scale.min() >= 0.5 and scale.max() < 1.5 and scale.min() < 0.51 and scale.max() > 1.49
