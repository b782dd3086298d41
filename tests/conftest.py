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


@pytest.fixture(scope="session")
def smoke_study(tmp_path_factory):
    """One run of config/smoke.yaml through real Snakemake in a fresh copy of the checkout.

    Shared by every end-to-end module; it must stay as the run left it. A test
    that edits the config or reruns a step works on ``checkout.copy_run`` of it.
    Returns (folder, Snakemake's output).
    """
    from workflow_helpers import copy_checkout, run_snakemake

    repo = copy_checkout(tmp_path_factory.mktemp("smoke"))
    proc = run_snakemake(repo, "config/smoke.yaml")
    assert proc.returncode == 0, proc.output[-5000:]
    return repo, proc.output
