"""Forward models: from simulated neural activity to what a scanner records.

- `bold`: Balloon-Windkessel hemodynamics sampled at a repetition time.
- `hrf`: linear HRF-kernel BOLD (gamma, SPM double-gamma, TVB's kernels), by
  direct or FFT convolution.
- `eeg`: lead fields (analytic point dipoles or a given gain matrix) and projection.
- `monitors`: temporal averaging and subsampling of traces.
"""

from .bold import BOLD_METHODS, BalloonWindkessel, bold, bold_times
from .eeg import (
    average_reference,
    eeg_lead_field,
    jansen_rit_source,
    load_gain,
    meg_lead_field,
    project,
)
from .hrf import (
    CONVOLVE_METHODS,
    AbstractHRF,
    DoubleExponentialHRF,
    DoubleGammaHRF,
    GammaHRF,
    VolterraHRF,
    causal_convolve,
    hrf_bold,
    hrf_kernel,
)
from .monitors import subsample, temporal_average

__all__ = [
    "BOLD_METHODS",
    "CONVOLVE_METHODS",
    "AbstractHRF",
    "BalloonWindkessel",
    "DoubleExponentialHRF",
    "DoubleGammaHRF",
    "GammaHRF",
    "VolterraHRF",
    "average_reference",
    "bold",
    "bold_times",
    "causal_convolve",
    "eeg_lead_field",
    "hrf_bold",
    "hrf_kernel",
    "jansen_rit_source",
    "load_gain",
    "meg_lead_field",
    "project",
    "subsample",
    "temporal_average",
]
