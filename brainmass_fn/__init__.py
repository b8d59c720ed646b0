"""brainmass_fn: differentiable whole-brain neural-mass modelling in JAX.

Construct (models, `Network`, coupling, delays, noise), simulate (`simulate`), observe
(`forward`: BOLD, EEG/MEG; `metrics`: FC, FCD, spectra; `phase`: synchrony), compare
(`losses`), fit (`fit`), quantify uncertainty (`infer`: Laplace, identifiability)
and train (`train`). Submodules hold the full API; the names
below are the ones used every day.
"""

from . import (
    control,
    coupling,
    data,
    delays,
    evoked,
    forward,
    infer,
    losses,
    metrics,
    models,
    noise,
    phase,
    plot,
    signal,
    solvers,
    stimulus,
    sweep,
)
from .data import Connectome, available_connectomes, load_connectome
from .delays import delay_steps
from .fit import FitResult, Nevergrad, fit
from .fixed_point import fixed_point
from .forward import (
    BalloonWindkessel,
    DoubleExponentialHRF,
    DoubleGammaHRF,
    GammaHRF,
    VolterraHRF,
    bold,
    bold_times,
    eeg_lead_field,
    hrf_bold,
    project,
)
from .gradcheck import GradCheck, check_gradient
from .long_run import simulate_bold
from .losses import (
    amplitude_loss,
    fc_correlation_loss,
    fc_mse_loss,
    fcd_ks_distance,
    fcd_ks_smooth,
    fcd_wasserstein,
    metastability_loss,
    plv_loss,
    spectral_loss,
)
from .metrics import (
    amplitude,
    coherence,
    coherence_matrix,
    fc,
    fcd,
    peak_frequency,
    upper_triangle,
    welch,
)
from .models import (
    AbstractNeuralMass,
    CoombesByrne,
    FitzHughNagumo,
    Generic2dOscillator,
    Hopf,
    JansenRit,
    Kuramoto,
    LarterBreakspear,
    Linear,
    MontbrioPazoRoxin,
    ReducedWongWang,
    ThresholdLinear,
    WilsonCowan,
    WongWangDeco,
)
from .network import Network
from .noise import AdditiveNoise, OUNoise
from .params import Param, param_values, resolve, trainable
from .phase import (
    analytic_signal,
    envelope,
    envelope_fc,
    instantaneous_phase,
    metastability,
    order_parameter,
    phase_locking_value,
)
from .signal import bandpass, detrend, zscore
from .simulate import SimulationDiverged, SolveState, Trajectory, simulate
from .sweep import device_mesh, evaluate_population
from .train import EarlyStopping, OscillatorNetwork, TrainResult, train, trainable_with_arrays
from .units import UnitError, ureg

__version__ = "0.1.0"

__all__ = [
    "AbstractNeuralMass",
    "AdditiveNoise",
    "BalloonWindkessel",
    "Connectome",
    "CoombesByrne",
    "DoubleExponentialHRF",
    "DoubleGammaHRF",
    "EarlyStopping",
    "FitResult",
    "FitzHughNagumo",
    "GammaHRF",
    "Generic2dOscillator",
    "GradCheck",
    "Hopf",
    "JansenRit",
    "Kuramoto",
    "LarterBreakspear",
    "Linear",
    "MontbrioPazoRoxin",
    "Network",
    "Nevergrad",
    "OUNoise",
    "OscillatorNetwork",
    "Param",
    "ReducedWongWang",
    "ThresholdLinear",
    "TrainResult",
    "SimulationDiverged",
    "SolveState",
    "Trajectory",
    "UnitError",
    "VolterraHRF",
    "WilsonCowan",
    "WongWangDeco",
    "amplitude",
    "amplitude_loss",
    "analytic_signal",
    "available_connectomes",
    "bandpass",
    "bold",
    "bold_times",
    "check_gradient",
    "coherence",
    "coherence_matrix",
    "control",
    "coupling",
    "data",
    "delay_steps",
    "fixed_point",
    "delays",
    "evoked",
    "device_mesh",
    "detrend",
    "eeg_lead_field",
    "envelope",
    "envelope_fc",
    "evaluate_population",
    "fc",
    "fc_correlation_loss",
    "fc_mse_loss",
    "fcd",
    "fcd_ks_distance",
    "fcd_ks_smooth",
    "fcd_wasserstein",
    "fit",
    "forward",
    "infer",
    "hrf_bold",
    "instantaneous_phase",
    "load_connectome",
    "losses",
    "metastability",
    "metastability_loss",
    "metrics",
    "models",
    "noise",
    "order_parameter",
    "param_values",
    "peak_frequency",
    "phase",
    "phase_locking_value",
    "plot",
    "plv_loss",
    "project",
    "resolve",
    "signal",
    "solvers",
    "simulate",
    "simulate_bold",
    "spectral_loss",
    "stimulus",
    "sweep",
    "train",
    "trainable",
    "trainable_with_arrays",
    "upper_triangle",
    "ureg",
    "welch",
    "zscore",
]
