import pytest
import torch

from bnstudy.data import make_regression


@pytest.fixture(scope="session")
def poly2_small():
    """A small poly2 dataset (the real generator, fewer samples)."""
    return make_regression("poly2", n_samples=120, seed=420)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
