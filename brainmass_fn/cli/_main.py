"""The command line: ``brainmass-fn`` (also ``python -m brainmass_fn``).

Subcommands:

- ``demo``: the flagship. A delayed, noisy Hopf network on the ``gw`` connectome is
  simulated, turned into BOLD (TR 2 s) and FC, and its coupling ``K`` and conduction
  speed are fitted by gradient descent to the group-mean empirical FC; writes a PNG
  (simulated vs empirical FC, their scatter, the loss curve) and prints a summary
  table. A few minutes on 2 CPU cores (see `brainmass_fn.cli.flagship`).
- ``simulate``: one model (alone or on a connectome) to an ``.npz`` file.
- ``fit``: an FC fit described by a small TOML file (see ``examples/configs/``).
- ``models``: the model zoo with its parameters, defaults and units.

Times and speeds accept units (``--duration "2 min"``, ``--dt "0.1 ms"``); a bare
number is read in the unit the option's help names. Existing output files are never
overwritten unless ``--force`` is given. Errors in arguments or files exit with
status 2 and one line that names the problem and the fix.

Ctrl-C during ``fit`` or ``demo`` stops after the current step: the best values so
far are written, marked partial (``status = "interrupted"`` in the results file, a
``status`` row in the table, "PARTIAL" in the figure title), and the command exits
with status 130. With ``--checkpoint PATH`` the progress is saved as the fit goes
(every ``--checkpoint-every`` steps); ``--resume`` continues it, even after the
process was killed, and ends where an uninterrupted run would have.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "build_parser", "load_fit_config"]

PROG = "brainmass-fn"


class CLIError(Exception):
    """A user error: printed as one line, exit status 2."""


# ---------------------------------------------------------------- argument parsing


def _quantity(value: str, unit: str, what: str) -> float:
    """``value`` ("300 s", "10 ms", or a bare number in ``unit``) as a number in ``unit``."""
    from ..units import ureg

    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return _finite(number, value, what)
    try:
        q = ureg.Quantity(value)
        number = float(q.to(unit).magnitude)
    except Exception as err:  # pint raises several types
        raise CLIError(
            f"{what}: cannot read {value!r} as a quantity in {unit} ({err}); write e.g. "
            f"'{what} 300 s' or a bare number in {unit}."
        ) from None
    return _finite(number, value, what)


def _finite(number: float, value: str, what: str) -> float:
    if not np.isfinite(number):
        raise CLIError(f"{what}: {value!r} is not a finite number; give a finite value.")
    return number


def _param_pairs(pairs: Sequence[str] | None) -> dict[str, float]:
    out = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
            if not np.isfinite(out[name.strip()]):
                raise ValueError
        except ValueError:
            raise CLIError(
                f"--param {pair!r}: write NAME=VALUE with a finite number, e.g. --param a=-0.01."
            ) from None
    return out


def _check_output(path: Path, force: bool, suffix: str | None = None) -> Path:
    """Fail before any work if ``path`` exists (without ``force``) or cannot be written."""
    path = Path(path)
    if suffix is not None and path.suffix.lower() != suffix:
        raise CLIError(f"output {path} must end in {suffix}.")
    if path.exists() and not force:
        raise CLIError(f"{path} exists; pass --force to overwrite it.")
    if not path.parent.exists():
        raise CLIError(f"directory {path.parent} does not exist; create it or choose another path.")
    return path


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    cells = [list(header), *[list(map(str, r)) for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*cells[0]), line, *[fmt.format(*r) for r in cells[1:]]]
    return "\n".join(x.rstrip() for x in lines)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 4].rsplit(" ", 1)[0] + " ..."


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, file=sys.stderr, leave=True)


# ---------------------------------------------------------------- models


def _cmd_models(args: argparse.Namespace) -> int:
    from ..models import available
    from ..models import get as get_model

    infos = available()
    if args.model:
        try:
            info = infos[get_model(args.model).__name__]
        except ValueError as err:
            raise CLIError(str(err)) from None
        print(f"{info.name}: {info.summary}")
        print(
            f"state: {', '.join(info.state_names)}; input into: {', '.join(info.input_names)}; "
            f"coupled through: {', '.join(info.coupled_names)}\n"
        )
        print(
            _table(
                [(p.name, f"{p.default:.6g}", p.unit) for p in info.parameters],
                ("parameter", "default", "unit"),
            )
        )
        return 0
    rows = [
        (
            info.name,
            ", ".join(info.state_names),
            ", ".join(info.coupled_names),
            _shorten(" ".join(p.name for p in info.parameters), 60),
        )
        for info in infos.values()
    ]
    print(_table(rows, ("model", "state", "coupled", "parameters")))
    print(f"\n{len(rows)} models; details and units: {PROG} models --model NAME")
    return 0


# ---------------------------------------------------------------- simulate


def _connectome(spec: str) -> tuple[np.ndarray, np.ndarray | None]:
    from ..data import available_connectomes, load_connectome, read_connectome_npz

    if spec.lower() in available_connectomes():
        data = load_connectome(spec)
        return data.weights, data.lengths
    path = Path(spec)
    if path.suffix.lower() != ".npz":
        raise CLIError(
            f"--connectome {spec!r}: give a shipped name {available_connectomes()} or an .npz "
            "file with arrays 'weights' (N, N) and optionally 'lengths' (N, N, mm)."
        )
    try:
        return read_connectome_npz(path)
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(f"--connectome: {err}") from None


def _warn_zero_lags(weights: np.ndarray, lengths: np.ndarray, speed: float, dt: float) -> None:
    """Warn about delayed edges whose lag rounds to 0 steps (they act instantly)."""
    from ..delays import delay_steps

    if not speed > 0:
        return  # Network names the bad speed
    delayed = (weights != 0) & (lengths > 0)
    instant = delayed & (delay_steps(lengths, speed, dt) == 0)
    if np.any(instant):
        shortest = float(lengths[delayed].min())
        print(
            f"warning: {int(instant.sum())} of {int(delayed.sum())} delayed edges have delays "
            f"shorter than dt/2 = {dt / 2:g} ms (lengths < {speed * dt / 2:.3g} mm at "
            f"{speed:g} mm/ms) and act without delay; for every edge to be delayed, lower "
            f"--dt below {2 * shortest / speed:.3g} ms.",
            file=sys.stderr,
        )


def _cmd_simulate(args: argparse.Namespace) -> int:
    import jax

    from ..forward import bold, bold_times
    from ..models import get as get_model
    from ..network import Network
    from ..noise import AdditiveNoise
    from ..simulate import SimulationDiverged, simulate

    out = _check_output(args.output, args.force, ".npz")
    duration = _quantity(args.duration, "ms", "--duration")
    dt = _quantity(args.dt, "ms", "--dt")
    sample = (
        None
        if args.sample_period is None
        else _quantity(args.sample_period, "ms", "--sample-period")
    )
    transient = _quantity(args.transient, "ms", "--transient")
    tr = None if args.bold is None else _quantity(args.bold, "ms", "--bold")
    try:
        cls = get_model(args.model)
    except ValueError as err:
        raise CLIError(f"--model: {err}") from None
    params = _param_pairs(args.param)
    try:
        node = cls(**params)
    except TypeError:
        raise CLIError(
            f"--param: {cls.__name__} has no parameter among {sorted(params)}; see "
            f"'{PROG} models --model {cls.__name__}'."
        ) from None
    if tr is not None and args.bold_signal not in cls.state_names:
        raise CLIError(
            f"--bold-signal {args.bold_signal!r} is not a state variable of {cls.__name__}; "
            f"choose one of {list(cls.state_names)}."
        )
    if not (np.isfinite(args.noise) and args.noise >= 0):
        raise CLIError(
            f"--noise must be a finite sigma >= 0 (state units/sqrt(ms)), got {args.noise}; "
            "pass 0 for a deterministic run."
        )
    noise = AdditiveNoise(sigma=args.noise) if args.noise > 0 else None
    if args.connectome.lower() == "none":
        model = node
        kwargs: dict[str, Any] = {"noise": noise}
        if noise is not None:
            kwargs["key"] = jax.random.key(args.seed)
    else:
        weights, lengths = _connectome(args.connectome)
        speed = None if args.speed is None else _quantity(args.speed, "mm/ms", "--speed")
        if speed is not None and lengths is None:
            raise CLIError(
                f"--speed {args.speed}: the connectome {args.connectome!r} has no tract lengths, "
                "so there are no delays to scale; drop --speed or add lengths to the file."
            )
        if speed is None:
            if lengths is not None and np.any(lengths > 0):
                print(
                    "note: the connectome's tract lengths are not used (no --speed: no "
                    "delays); pass e.g. --speed '10 m/s' for conduction delays.",
                    file=sys.stderr,
                )
            lengths = None
        else:
            assert lengths is not None  # checked above: --speed needs lengths
            _warn_zero_lags(weights, lengths, speed, dt)
        model = Network(
            node,
            weights,
            lengths,
            speed,
            K=args.K,
            coupling=args.coupling,
            noise=noise,
            zero_lag="instant",
        )
        kwargs = {"key": jax.random.key(args.seed)} if noise is not None else {}
    stages = 2 + (tr is not None)
    bar = _progress(stages, "simulate", not args.no_progress)
    bar.set_postfix_str("compiling and integrating")
    start = time.perf_counter()
    try:
        traj = simulate(
            model, duration, dt, solver=args.solver, sample_period=sample, transient=transient,
            **kwargs,
        )  # fmt: skip
    except SimulationDiverged as err:
        bar.close()
        raise CLIError(f"{err} (nothing written; lower --dt, now {dt:g} ms)") from None
    ys = np.asarray(traj.ys)
    bar.update()
    arrays: dict[str, Any] = {
        "ts": np.asarray(traj.ts),
        "ys": ys,
        "state_names": np.asarray(traj.state_names),
        "model": np.asarray(cls.__name__),
        "params": np.asarray(json.dumps(params)),
    }
    if tr is not None:
        bar.set_postfix_str("BOLD")
        step = traj.sample_period
        drive = traj[args.bold_signal]
        arrays["bold"] = np.asarray(bold(drive, step, tr))
        arrays["bold_times"] = np.asarray(transient + bold_times(drive.shape[0], step, tr))
        bar.update()
    bar.set_postfix_str("saving")
    np.savez_compressed(out, **arrays)
    bar.update()
    bar.close()
    shape = "x".join(map(str, ys.shape))
    print(
        f"wrote {out}: ys {shape} (time, state, *nodes), states {traj.state_names}, "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0


# ---------------------------------------------------------------- fit config

def load_fit_config(path: str | Path) -> tuple[Any, dict[str, Path | None]]:
    """Read a TOML fit config into a `FlagshipConfig` and the output paths.

    See ``examples/configs/`` for annotated examples and `brainmass_fn.cli._config`
    for the schema. Times accept units (``duration = "300 s"``); bare numbers are s
    for ``duration``/``transient`` and ms for ``dt``/``tr``; ``speed`` is mm/ms (= m/s).
    Raises `CLIError` naming the key, its line, the expected type and the value found.
    """
    from ._config import ConfigError, read_fit_config
    from .flagship import FlagshipConfig

    try:
        kwargs, outputs = read_fit_config(path)
    except ConfigError as err:
        raise CLIError(str(err)) from None
    try:
        config = FlagshipConfig(**kwargs)
    except (ValueError, TypeError) as err:
        raise CLIError(f"{path}: {err}") from None
    return config, outputs


# ---------------------------------------------------------------- demo and fit

def _checkpoint_args(args: argparse.Namespace) -> tuple[Path | None, bool]:
    """``(checkpoint, has_progress)`` after checking the options before any work."""
    from ._flagship_checkpoint import state_path

    checkpoint = args.checkpoint
    if args.resume and checkpoint is None:
        raise CLIError("--resume needs --checkpoint PATH, the checkpoint to continue from.")
    if args.checkpoint_every < 1:
        raise CLIError(f"--checkpoint-every must be >= 1, got {args.checkpoint_every}.")
    if checkpoint is None:
        return None, False
    if checkpoint.is_dir():
        raise CLIError(f"--checkpoint {checkpoint} is a directory; name a file in it.")
    if not checkpoint.parent.is_dir():
        raise CLIError(
            f"--checkpoint: directory {checkpoint.parent} does not exist; create it or choose "
            "another path."
        )
    has_progress = state_path(checkpoint).exists()
    if not args.resume and not args.force and has_progress:
        raise CLIError(
            f"--checkpoint {checkpoint} exists; pass --resume to continue the fit saved "
            "there, or --force to start afresh (overwriting it)."
        )
    return checkpoint, has_progress


def _save_results(path: Path, result: Any) -> None:
    np.savez_compressed(
        path,
        names=np.asarray(list(result.values)),
        values=np.asarray(list(result.values.values())),
        losses=result.losses,
        loss_initial=result.loss_initial,
        loss=result.loss,
        fc_fitted=result.fc_fitted,
        fc_initial=result.fc_initial,
        fc_empirical=result.fc_empirical,
        bold=result.bold,
        status=np.asarray(result.status),  # "completed" or "interrupted" (partial)
        steps_done=result.steps_done,
        steps=result.config.steps,
    )


def _run_fit(
    config: Any, outputs: dict[str, Path | None], args: argparse.Namespace, title: str
) -> int:
    from ._config import FIGURE_SUFFIXES
    from .flagship import run_flagship

    checkpoint, has_progress = _checkpoint_args(args)
    # outputs of the run being resumed may be replaced (its config is checked first)
    force = args.force or (args.resume and has_progress)
    figure = outputs.get("figure")
    results = outputs.get("results")
    if figure is not None:
        _check_output(figure, force)
        if figure.suffix.lower() not in FIGURE_SUFFIXES:
            raise CLIError(f"figure {figure} must end in one of {', '.join(FIGURE_SUFFIXES)}.")
        from ..plot import pyplot

        pyplot("Agg")  # fail now, not after the fit, if matplotlib is missing
    if results is not None:
        _check_output(results, force, ".npz")
    show = not args.no_progress
    n_sim = config.duration
    print(
        f"{title}: {config.model} network on '{config.connectome}', {n_sim:g} s simulated per "
        f"evaluation (dt {config.dt:g} ms, BOLD TR {config.tr / 1000:g} s); fitting "
        f"{', '.join(config.fit)} with {config.strategy}, {config.steps} steps.",
        file=sys.stderr,
    )
    if args.resume and not has_progress:
        print(f"no progress saved at {checkpoint} yet: starting at step 0.", file=sys.stderr)
    print("the first step includes compilation (tens of seconds) ...", file=sys.stderr)
    bar = _progress(config.steps, "fit", show)

    def on_step(step: int, loss: float) -> None:
        bar.set_postfix(loss=f"{loss:.4f}")
        bar.update(step - bar.n)

    try:
        result = run_flagship(
            config,
            progress=False,
            on_step=on_step,
            checkpoint=checkpoint,
            checkpoint_every=args.checkpoint_every,
            resume=args.resume,
        )
    finally:
        bar.close()
    if result.partial:
        print(
            f"{result.status} after {result.steps_done} of {config.steps} steps: the values "
            "below are the best so far, a partial result.",
            file=sys.stderr,
        )
    print(_table(result.summary(), ("quantity", "initial", "fitted", "unit")))
    print(
        f"\n{len(result.losses)} steps, {result.wall_time:.1f} s (compilation included)"
        + (f" ({result.status}: partial)" if result.partial else "")
    )
    if results is not None:
        _save_results(results, result)
        note = f" (status '{result.status}': partial)" if result.partial else ""
        print(f"wrote {results}{note}")
    if figure is not None:
        from ..plot import fit_figure, save_figure

        units = {row[0]: row[3] for row in result.summary()}
        fitted = ", ".join(
            f"{k} = {v:.3g}" + ("" if units.get(k) in ("1", "", None) else f" {units[k]}")
            for k, v in result.values.items()
        )
        partial = (
            f"PARTIAL ({result.steps_done} of {config.steps} steps, {result.status}) "
            if result.partial
            else ""
        )
        fig = fit_figure(
            result.fc_fitted,
            result.fc_empirical,
            result.losses,
            fc_initial=result.fc_initial,
            title=f"{partial}{title}: {config.model} network on {config.connectome}, "
            f"{config.strategy} fit of {fitted}",
        )
        save_figure(fig, figure, force=force)
        print(f"wrote {figure}")
    if result.status == "interrupted":
        again = (
            f"continue with --checkpoint {checkpoint} --resume"
            if checkpoint is not None
            else "pass --checkpoint PATH to be able to resume an interrupted fit"
        )
        print(f"{PROG} {args.command}: interrupted; {again}.", file=sys.stderr)
        return 130
    if result.partial:  # a fit that failed (e.g. no finite loss); its reason came above
        print(f"{PROG} {args.command}: the fit ended as {result.status!r}.", file=sys.stderr)
        return 1
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .flagship import FlagshipConfig

    if args.steps < 1:
        raise CLIError(f"--steps must be >= 1, got {args.steps}.")
    try:
        config = FlagshipConfig(
            duration=_quantity(args.duration, "s", "--duration"),
            dt=_quantity(args.dt, "ms", "--dt"),
            steps=args.steps,
            seed=args.seed,
        )
    except ValueError as err:
        raise CLIError(str(err)) from None
    return _run_fit(
        config, {"figure": Path(args.output), "results": args.save}, args, "brainmass-fn demo"
    )


def _cmd_fit(args: argparse.Namespace) -> int:
    import dataclasses

    config, outputs = load_fit_config(args.config)
    if args.steps is not None:
        try:
            config = dataclasses.replace(config, steps=args.steps)
        except ValueError as err:
            raise CLIError(f"--steps: {err}") from None
    return _run_fit(config, outputs, args, f"fit {Path(args.config).name}")


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``brainmass-fn``."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Differentiable whole-brain neural-mass modelling in JAX.",
        epilog=f"Start with '{PROG} demo' (a few minutes on a laptop).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser(
        "demo",
        help="flagship: fit K and speed of a Hopf network to gw FC",
        description="Simulate a delayed, noisy Hopf network on the gw connectome, compute "
        "BOLD (TR 2 s) and FC, fit the coupling K and the conduction speed to the "
        "group-mean empirical FC by gradient descent, save a PNG and print a summary.",
    )
    demo.add_argument(
        "-o", "--output", default="brainmass_fn_demo.png", help="PNG to write (default %(default)s)"
    )
    demo.add_argument(
        "--save",
        type=Path,
        default=None,
        metavar="NPZ",
        help="also save the fitted values, losses and FC matrices to this .npz",
    )
    demo.add_argument(
        "--duration",
        default="300 s",
        help="simulated time per evaluation, s or with units (default %(default)s)",
    )
    demo.add_argument(
        "--dt", default="10 ms", help="integration step, ms or with units (default %(default)s)"
    )
    demo.add_argument("--steps", type=int, default=24, help="gradient steps (default %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="noise seed (default %(default)s)")
    demo.set_defaults(func=_cmd_demo)

    sim = sub.add_parser("simulate", help="simulate a model or network to .npz")
    sim.add_argument("-o", "--output", type=Path, required=True, help="output .npz file")
    sim.add_argument("--model", default="Hopf", help="model name (default %(default)s)")
    sim.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="node parameter in canonical units (repeatable)",
    )
    sim.add_argument(
        "--connectome",
        default="none",
        help="'gw', 'hcp', an .npz with 'weights' (+ 'lengths'), or 'none' for "
        "one node (default %(default)s)",
    )
    sim.add_argument("--K", type=float, default=1.0, help="global coupling (default %(default)s)")
    sim.add_argument(
        "--speed",
        default=None,
        help="conduction speed, mm/ms (= m/s); enables delays from 'lengths'",
    )
    sim.add_argument("--coupling", default="linear", help="coupling name (default %(default)s)")
    sim.add_argument(
        "--noise",
        type=float,
        default=0.0,
        help="additive noise sigma, state units/sqrt(ms) (default 0)",
    )
    sim.add_argument("--seed", type=int, default=0, help="noise seed (default %(default)s)")
    sim.add_argument("--duration", default="1000 ms", help="ms or with units (default %(default)s)")
    sim.add_argument("--dt", default="0.1 ms", help="ms or with units (default %(default)s)")
    sim.add_argument("--sample-period", default=None, help="ms or with units (default dt)")
    sim.add_argument("--transient", default="0 ms", help="ms or with units (default 0)")
    sim.add_argument("--solver", default="heun", help="euler, heun, rk4, tsit5, dopri5")
    sim.add_argument(
        "--bold",
        default=None,
        metavar="TR",
        help="also compute BOLD at this TR (ms or with units, e.g. '2 s')",
    )
    sim.add_argument(
        "--bold-signal", default="x", help="state variable driving BOLD (default %(default)s)"
    )
    sim.set_defaults(func=_cmd_simulate)

    fit = sub.add_parser("fit", help="fit a network to empirical FC from a TOML config")
    fit.add_argument("config", type=Path, help="TOML file (see examples/configs/)")
    fit.add_argument("--steps", type=int, default=None, help="override fit.steps")
    fit.set_defaults(func=_cmd_fit)

    models = sub.add_parser("models", help="list the models and their parameters")
    models.add_argument("--model", default=None, help="show one model in detail")
    models.set_defaults(func=_cmd_models)

    for p in (demo, fit):
        p.add_argument(
            "--checkpoint",
            type=Path,
            default=None,
            metavar="PATH",
            help="save the fit's progress to PATH (JSON) and PATH.round1, ... (every "
            "--checkpoint-every steps, on Ctrl-C and at the end), to continue with --resume",
        )
        p.add_argument(
            "--checkpoint-every",
            type=int,
            default=1,
            metavar="N",
            help="steps between checkpoint saves (default %(default)s)",
        )
        p.add_argument(
            "--resume",
            action="store_true",
            help="continue the fit saved at --checkpoint (same config); it ends where an "
            "uninterrupted run would",
        )
    for p in (demo, sim, fit):
        p.add_argument("--force", action="store_true", help="overwrite existing outputs")
        p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CLIError as err:
        print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, FileExistsError, ImportError) as err:
        # library validation errors already name the argument and the fix
        print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before the first step (compiling) or in the final evaluation
        print(f"{PROG} {args.command}: interrupted; no results were written.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `brainmass-fn models | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
