import pytest
import torch

from molbridge.nn import FastDropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_drop_rate_scaling_and_gradient(p: float) -> None:
    torch.manual_seed(0)
    layer = FastDropout(p).train()
    x = torch.ones(400, 500, requires_grad=True)
    y = layer(x)
    dropped = (y == 0).float().mean().item()
    assert dropped == pytest.approx(p, abs=0.01)
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / (1 - p)))
    assert y.mean().item() == pytest.approx(1.0, abs=0.02)  # inverted dropout keeps the mean
    y.sum().backward()
    assert torch.equal(x.grad == 0, y == 0)


def test_eval_is_identity_and_seed_reproduces() -> None:
    layer = FastDropout(0.5)
    x = torch.randn(30, 7)
    assert torch.equal(layer.eval()(x), x)
    layer.train()
    torch.manual_seed(3)
    a = layer(x)
    torch.manual_seed(3)
    assert torch.equal(a, layer(x))
    with pytest.raises(ValueError):
        FastDropout(1.0)


def test_mask_is_not_periodic_across_lanes() -> None:
    torch.manual_seed(1)
    y = FastDropout(0.5).train()(torch.ones(100_000))
    lanes = (y.view(-1, 4) == 0).float().mean(0)
    assert torch.allclose(lanes, torch.full((4,), 0.5), atol=0.01)
