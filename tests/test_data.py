import torch

from bnstudy.data import COEFFICIENTS, load_dataset, make_regression, save_dataset


def _raw_features(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=g)
    eps = torch.randn(n, generator=g)
    return x, eps


def test_poly2_follows_the_formula():
    d = make_regression("poly2", n_samples=50, train_fraction=0.8, seed=7)
    x, eps = _raw_features(50, 7)
    y = 2 * x[:, 0] ** 2 - x[:, 1] ** 2 + 3 * x[:, 2] ** 2 + x[:, 3] ** 2 + 2 * x[:, 4] ** 2 + eps
    got = torch.cat([d["y_train"], d["y_test"]]).squeeze(1)
    torch.testing.assert_close(got, y)


def test_linear_follows_the_formula_and_shares_features_with_poly2():
    lin = make_regression("linear", n_samples=40, seed=3)
    poly = make_regression("poly2", n_samples=40, seed=3)
    x, eps = _raw_features(40, 3)
    got = torch.cat([lin["y_train"], lin["y_test"]]).squeeze(1)
    torch.testing.assert_close(got, x @ COEFFICIENTS + eps)
    torch.testing.assert_close(lin["x_train"], poly["x_train"])


def test_split_and_standardization_use_training_statistics_only():
    d = make_regression("poly2", n_samples=1000, train_fraction=0.7, seed=420)
    assert d["x_train"].shape == (700, 5) and d["x_test"].shape == (300, 5)
    torch.testing.assert_close(d["x_train"].mean(0), torch.zeros(5), atol=1e-5, rtol=0)
    torch.testing.assert_close(d["x_train"].std(0), torch.ones(5), atol=1e-5, rtol=0)
    # The test set is standardized with the training statistics, so it is not exactly 0/1.
    assert not torch.allclose(d["x_test"].mean(0), torch.zeros(5), atol=1e-5)


def test_deterministic_and_independent_of_training_seed():
    a = make_regression("poly2", n_samples=100, seed=420)
    torch.manual_seed(12345)  # a training seed must not change the data
    b = make_regression("poly2", n_samples=100, seed=420)
    for key in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(a[key], b[key])
    c = make_regression("poly2", n_samples=100, seed=421)
    assert not torch.equal(a["y_train"], c["y_train"])


def test_save_and_load_round_trip(tmp_path):
    d = make_regression("linear", n_samples=30, seed=1)
    save_dataset(d, tmp_path / "linear.pt")
    back = load_dataset(tmp_path / "linear.pt")
    assert torch.equal(back["y_test"], d["y_test"]) and back["task"] == "regression"
    assert [p.name for p in tmp_path.iterdir()] == ["linear.pt"]  # no temporary left behind
