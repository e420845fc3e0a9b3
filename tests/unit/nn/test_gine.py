import torch
from torch_geometric.nn import GINEConv as PygGINEConv

from molbridge.nn import GINEConv, mlp


def test_same_function_and_state_dict_as_pyg() -> None:
    torch.manual_seed(0)
    ours = GINEConv(mlp(8, 16, 8))
    theirs = PygGINEConv(mlp(8, 16, 8))
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(10, 8)
    edge_index = torch.randint(0, 10, (2, 30))
    edge_attr = torch.randn(30, 8)
    assert torch.allclose(
        ours(x, edge_index, edge_attr), theirs(x, edge_index, edge_attr), atol=1e-5
    )
    x.requires_grad_(True)
    grad_ours = torch.autograd.grad(ours(x, edge_index, edge_attr).sum(), x)[0]
    grad_theirs = torch.autograd.grad(theirs(x, edge_index, edge_attr).sum(), x)[0]
    assert torch.allclose(grad_ours, grad_theirs, atol=1e-5)


def test_isolated_atoms_get_only_their_own_state() -> None:
    layer = GINEConv(torch.nn.Identity())
    x = torch.randn(3, 4)
    out = layer(x, torch.zeros((2, 0), dtype=torch.long), torch.zeros((0, 4)))
    assert torch.equal(out, x)
