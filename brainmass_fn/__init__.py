"""brainmass_fn: differentiable whole-brain neural-mass modelling in JAX.

Construct (models, `Network`, coupling, delays, noise), simulate (`simulate`), observe
(`forward`: BOLD, EEG/MEG; `metrics`: FC, FCD, spectra), compare (`losses`), fit
(`fit`) and train (`train`). Submodules hold the full API; the names below are the
ones used every day.
"""

from . import (
    control,
    coupling,
    data,
    delays,
    flagship,
    forward,
    losses,
    metrics,
    models,
    noise,
    plot,
    signal,
    solvers,
    stimulus,
    sweep,
    tasks,
)
from .data import Connectome, available_connectomes, load_connectome
from .delays import delay_steps
from .fit import FitResult, Nevergrad, fit
from .forward import BalloonWindkessel, bold, bold_times, eeg_lead_field, project
from .gradcheck import GradCheck, check_gradient
from .long_run import simulate_bold
from .losses import (
    amplitude_loss,
    fc_correlation_loss,
    fc_mse_loss,
    fcd_ks_distance,
    fcd_ks_smooth,
    fcd_wasserstein,
    spectral_loss,
)
from .metrics import amplitude, fc, fcd, peak_frequency, upper_triangle, welch
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
from .oscillator_network import OscillatorNetwork
from .params import Param, param_values, resolve, trainable
from .signal import bandpass, detrend, zscore
from .simulate import SimulationDiverged, SolveState, Trajectory, simulate
from .sweep import device_mesh, evaluate_population
from .train import EarlyStopping, TrainResult, train, trainable_with_arrays
from .units import UnitError, ureg

__version__ = "0.1.0"

__all__ = [
    "AbstractNeuralMass",
    "AdditiveNoise",
    "BalloonWindkessel",
    "Connectome",
    "CoombesByrne",
    "EarlyStopping",
    "FitResult",
    "FitzHughNagumo",
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
    "WilsonCowan",
    "WongWangDeco",
    "amplitude",
    "amplitude_loss",
    "available_connectomes",
    "bandpass",
    "bold",
    "bold_times",
    "check_gradient",
    "control",
    "coupling",
    "data",
    "delay_steps",
    "delays",
    "device_mesh",
    "detrend",
    "eeg_lead_field",
    "evaluate_population",
    "fc",
    "fc_correlation_loss",
    "fc_mse_loss",
    "fcd",
    "fcd_ks_distance",
    "fcd_ks_smooth",
    "fcd_wasserstein",
    "fit",
    "flagship",
    "forward",
    "load_connectome",
    "losses",
    "metrics",
    "models",
    "noise",
    "param_values",
    "peak_frequency",
    "plot",
    "project",
    "resolve",
    "signal",
    "solvers",
    "simulate",
    "simulate_bold",
    "spectral_loss",
    "stimulus",
    "sweep",
    "tasks",
    "train",
    "trainable",
    "trainable_with_arrays",
    "upper_triangle",
    "ureg",
    "welch",
    "zscore",
]
