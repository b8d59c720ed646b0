"""Forward models: from simulated neural activity to what a scanner records.

- `bold`: Balloon-Windkessel hemodynamics sampled at a repetition time.
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
from .monitors import subsample, temporal_average

__all__ = [
    "BOLD_METHODS",
    "BalloonWindkessel",
    "average_reference",
    "bold",
    "bold_times",
    "eeg_lead_field",
    "jansen_rit_source",
    "load_gain",
    "meg_lead_field",
    "project",
    "subsample",
    "temporal_average",
]
