import logging

import numpy as np
import pytest

from molbridge.featurize.spectrum import OutOfRangeError, SpectrumFeaturizer


def test_defaults_per_nucleus() -> None:
    carbon = SpectrumFeaturizer()
    assert (carbon.low, carbon.high, carbon.n_bins, carbon.sigma) == (0.0, 220.0, 512, 1.0)
    proton = SpectrumFeaturizer("1H")
    assert (proton.low, proton.high, proton.sigma) == (0.0, 12.0, 0.05)
    assert carbon.bin_width == pytest.approx(220 / 512)
    with pytest.raises(ValueError, match="unknown nucleus"):
        SpectrumFeaturizer("19F")
    with pytest.raises(ValueError, match="low must be below high"):
        SpectrumFeaturizer(low=5.0, high=5.0)


def test_histogram_puts_a_peak_in_its_bin() -> None:
    featurizer = SpectrumFeaturizer(low=0.0, high=10.0, n_bins=10, sigma=0.0)
    vector = featurizer(np.array([3.5, 3.9, 0.0, 10.0]))  # 10.0 is the range's top: last bin
    assert vector.dtype == np.float32 and vector.shape == (10,)
    assert vector.tolist() == [1, 0, 0, 2, 0, 0, 0, 0, 0, 1]


def test_gaussian_peak_is_centred_with_unit_area() -> None:
    featurizer = SpectrumFeaturizer(low=0.0, high=10.0, n_bins=10, sigma=0.5)
    vector = featurizer([3.5])  # the centre of bin 3
    assert vector.argmax() == 3
    # mass within +-1 sigma of the centre: erf(1 / sqrt 2)
    assert vector[3] == pytest.approx(0.6827, abs=1e-4)
    assert vector[2] == pytest.approx(vector[4])
    assert vector.sum() == pytest.approx(1.0)


def test_default_13c_peak_lands_in_the_right_bin() -> None:
    featurizer = SpectrumFeaturizer()
    shift = 128.5  # benzene
    vector = featurizer([shift])
    assert vector.argmax() == int(shift / (220 / 512)) == 299
    assert featurizer.bin_centers[299] == pytest.approx(shift, abs=220 / 512)


@pytest.mark.parametrize("sigma", [0.0, 1.0])
def test_sum_is_the_number_of_peaks_even_at_the_edges(sigma: float) -> None:
    featurizer = SpectrumFeaturizer(sigma=sigma)
    peaks = np.array([0.0, 0.1, 17.3, 17.3, 128.0, 219.9, 220.0])
    assert featurizer(peaks).sum() == pytest.approx(len(peaks), rel=1e-5)


def test_out_of_range_peaks_are_counted_or_raise(caplog: pytest.LogCaptureFixture) -> None:
    featurizer = SpectrumFeaturizer("1H")
    peaks = [-0.05, 1.2, 7.26, 13.6]
    assert featurizer.out_of_range(peaks) == 2
    assert featurizer(peaks).sum() == pytest.approx(2.0, rel=1e-5)
    with caplog.at_level(logging.WARNING):
        batch = featurizer.many([peaks, [2.0]])
    assert batch.shape == (2, 512) and batch.dtype == np.float32
    assert "2 1H peaks in 1 of 2 spectra lie outside" in caplog.text
    strict = SpectrumFeaturizer("1H", strict=True)
    with pytest.raises(OutOfRangeError, match=r"2 peaks outside \[0.0, 12.0\] ppm"):
        strict(peaks)
    with pytest.raises(OutOfRangeError, match="peak list 0"):
        strict.many([peaks])


def test_bad_input_raises() -> None:
    featurizer = SpectrumFeaturizer()
    with pytest.raises(ValueError, match="finite"):
        featurizer([np.nan])
    with pytest.raises(ValueError, match="1-D"):
        featurizer([[1.0, 2.0]])
    assert featurizer([]).sum() == 0.0  # no peaks: an empty spectrum, not an error


def test_many_matches_single_calls() -> None:
    featurizer = SpectrumFeaturizer(n_bins=64)
    lists = [np.array([20.0, 77.0]), np.array([170.5])]
    batch = featurizer.many(lists)
    np.testing.assert_array_equal(batch[1], featurizer(lists[1]))


def test_config_round_trip() -> None:
    featurizer = SpectrumFeaturizer("1H", n_bins=256, sigma=0.0, strict=True)
    config = featurizer.to_config()
    assert config == {
        "name": "nmr-spectrum",
        "nucleus": "1H",
        "low": 0.0,
        "high": 12.0,
        "n_bins": 256,
        "sigma": 0.0,
        "strict": True,
    }
    assert SpectrumFeaturizer.from_config(config) == featurizer
