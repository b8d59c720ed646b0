"""`brainmass-fn fit` under Ctrl-C, kill and resume: partial results say so, nothing is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from brainmass_fn.cli import _flagship_checkpoint as ckpt
from brainmass_fn.cli import load_fit_config, main
from brainmass_fn.cli.flagship import FlagshipConfig, FlagshipResult

ROOT = Path(__file__).resolve().parents[1]

#: seconds of compilation, then ~0.03-0.15 s per step on 2 CPU cores
TINY = """\
connectome = "gw"
[model]
name = "Hopf"
params = { a = -0.01, w = 0.001 }
[network]
K = 0.008
speed = 10.0
noise = 0.01
[simulation]
duration = "6 s"
transient = "1 s"
dt = "20 ms"
tr = "500 ms"
[fit]
strategy = "adam"
steps = 40
learning_rate = 0.1
[fit.params]
K = [1e-4, 0.05]
[output]
results = "tiny.npz"
"""


def _tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def _fake_result(config: FlagshipConfig, status: str, steps_done: int) -> FlagshipResult:
    n = 80
    return FlagshipResult(
        config=config, values={"K": 0.011}, loss_initial=1.0, loss=0.9,
        losses=np.linspace(1.0, 0.9, steps_done), fc_initial=np.eye(n), fc_fitted=np.eye(n),
        fc_empirical=np.eye(n), bold=np.zeros((10, n)), wall_time=1.0, status=status,
        steps_done=steps_done,
    )  # fmt: skip


# ---------------------------------------------------------------- reporting (no fit run)


def test_interrupted_fit_exits_130_and_marks_results_partial(capsys, tmp_path, monkeypatch):
    flagship = sys.modules["brainmass_fn.cli.flagship"]
    seen = {}

    def interrupted_run(config, **kwargs):
        seen.update(kwargs)
        return _fake_result(config, "interrupted", 5)

    monkeypatch.setattr(flagship, "run_flagship", interrupted_run)
    monkeypatch.chdir(tmp_path)
    rc = main(["fit", str(_tiny(tmp_path)), "--no-progress", "--checkpoint", "ck"])
    out, err = capsys.readouterr()
    assert rc == 130
    assert "interrupted after 5 of 40 steps: the values below are the best so far" in err
    assert err.rstrip().endswith("brainmass-fn fit: interrupted; continue with --checkpoint ck "
                                 "--resume.")  # fmt: skip
    assert "status             -        interrupted: partial, 5 of 40 steps" in out
    assert "wrote tiny.npz (status 'interrupted': partial)" in out
    with np.load(tmp_path / "tiny.npz") as d:
        assert str(d["status"]) == "interrupted"
        assert int(d["steps_done"]) == 5 and int(d["steps"]) == 40
        assert d["losses"].shape == (5,)
    assert seen["checkpoint"] == Path("ck") and seen["resume"] is False
    assert seen["checkpoint_every"] == 1


def test_completed_fit_is_marked_completed(capsys, tmp_path, monkeypatch):
    flagship = sys.modules["brainmass_fn.cli.flagship"]
    monkeypatch.setattr(flagship, "run_flagship",
                        lambda config, **kw: _fake_result(config, "completed", 40))  # fmt: skip
    monkeypatch.chdir(tmp_path)
    rc = main(["fit", str(_tiny(tmp_path)), "--no-progress"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "status" not in out and "interrupted" not in err
    with np.load(tmp_path / "tiny.npz") as d:
        assert str(d["status"]) == "completed" and int(d["steps_done"]) == 40


def test_interrupt_without_checkpoint_says_how_to_make_it_resumable(capsys, tmp_path, monkeypatch):
    flagship = sys.modules["brainmass_fn.cli.flagship"]
    monkeypatch.setattr(flagship, "run_flagship",
                        lambda config, **kw: _fake_result(config, "interrupted", 2))  # fmt: skip
    monkeypatch.chdir(tmp_path)
    rc = main(["fit", str(_tiny(tmp_path)), "--no-progress"])
    assert rc == 130
    assert "pass --checkpoint PATH to be able to resume" in capsys.readouterr().err


def test_a_fit_that_ended_early_for_another_reason_exits_1_marked_partial(
    capsys, tmp_path, monkeypatch
):
    flagship = sys.modules["brainmass_fn.cli.flagship"]
    monkeypatch.setattr(flagship, "run_flagship",
                        lambda config, **kw: _fake_result(config, "failed", 1))  # fmt: skip
    monkeypatch.chdir(tmp_path)
    rc = main(["fit", str(_tiny(tmp_path)), "--no-progress"])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "failed after 1 of 40 steps" in err
    assert err.rstrip().endswith("brainmass-fn fit: the fit ended as 'failed'.")
    with np.load(tmp_path / "tiny.npz") as d:
        assert str(d["status"]) == "failed"


def test_ctrl_c_before_the_first_step_exits_130_saying_nothing_was_written(
    capsys, tmp_path, monkeypatch
):
    def compiling(config, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules["brainmass_fn.cli.flagship"], "run_flagship", compiling)
    monkeypatch.chdir(tmp_path)
    rc = main(["fit", str(_tiny(tmp_path)), "--no-progress"])
    assert rc == 130
    assert "brainmass-fn fit: interrupted; no results were written." in capsys.readouterr().err
    assert not (tmp_path / "tiny.npz").exists()


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["--resume"], "--resume needs --checkpoint PATH"),
        (None, ["--checkpoint", "nodir/ck"], "--checkpoint: directory nodir does not exist"),
        (None, ["--checkpoint", "ck", "--checkpoint-every", "0"], "--checkpoint-every must be"),
        ("ck", ["--checkpoint", "ck"], "--checkpoint ck exists; pass --resume to continue"),
        ("ck/", ["--checkpoint", "ck"], "--checkpoint ck is a directory"),
    ],
)  # fmt: skip
def test_checkpoint_options_are_checked_before_any_work(
    capsys, tmp_path, monkeypatch, setup, args, message
):
    def never(*a, **k):
        raise AssertionError("the fit started before the options were checked")

    monkeypatch.setattr(sys.modules["brainmass_fn.cli.flagship"], "run_flagship", never)
    monkeypatch.chdir(tmp_path)
    if setup == "ck":
        Path("ck").write_text("{}")
    elif setup == "ck/":
        Path("ck").mkdir()
    rc = main(["fit", str(_tiny(tmp_path)), "--no-progress", *args])
    assert rc == 2
    assert message in capsys.readouterr().err


def test_resume_with_another_config_exits_2_naming_what_differs(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config, _ = load_fit_config(_tiny(tmp_path))
    ckpt.save_state("ck", ckpt.FlagshipState(ckpt.config_fields(config), 0, {"K": 0.008}, []))
    rc = main(["fit", str(_tiny(tmp_path)), "--no-progress", "--checkpoint", "ck", "--resume",
               "--steps", "50"])  # fmt: skip
    assert rc == 2
    assert "checkpoint ck belongs to another config (steps: 40 -> 50)" in capsys.readouterr().err


def test_resume_without_saved_progress_starts_at_step_0(capsys, tmp_path, monkeypatch):
    flagship = sys.modules["brainmass_fn.cli.flagship"]
    monkeypatch.setattr(flagship, "run_flagship",
                        lambda config, **kw: _fake_result(config, "completed", 40))  # fmt: skip
    monkeypatch.chdir(tmp_path)
    rc = main(["fit", str(_tiny(tmp_path)), "--no-progress", "--checkpoint", "ck", "--resume"])
    assert rc == 0
    assert "no progress saved at ck yet: starting at step 0." in capsys.readouterr().err


def test_resume_may_replace_the_partial_results_of_the_run_it_continues(
    capsys, tmp_path, monkeypatch
):
    flagship = sys.modules["brainmass_fn.cli.flagship"]
    monkeypatch.setattr(flagship, "run_flagship",
                        lambda config, **kw: _fake_result(config, "completed", 40))  # fmt: skip
    monkeypatch.chdir(tmp_path)
    Path("tiny.npz").write_bytes(b"partial")
    config, _ = load_fit_config(_tiny(tmp_path))
    ckpt.save_state("ck", ckpt.FlagshipState(ckpt.config_fields(config), 0, {"K": 0.008}, []))
    assert main(["fit", str(_tiny(tmp_path)), "--no-progress"]) == 2  # not without --resume
    assert Path("tiny.npz").read_bytes() == b"partial"
    rc = main(["fit", str(_tiny(tmp_path)), "--no-progress", "--checkpoint", "ck", "--resume"])
    assert rc == 0, capsys.readouterr().err
    with np.load("tiny.npz") as d:
        assert str(d["status"]) == "completed"


# ---------------------------------------------------------------- checkpoint files


def test_state_file_round_trip_and_damage(tmp_path):
    config = FlagshipConfig(duration=40.0, transient=10.0, dt=20.0, steps=4)
    state = ckpt.FlagshipState(ckpt.config_fields(config), 1, {"K": 0.01, "speed": 9.0}, [0.5])
    ckpt.save_state(tmp_path / "ck", state)
    assert ckpt.load_state(tmp_path / "ck", config) == state
    assert ckpt.load_state(tmp_path / "none", config) is None
    assert ckpt.round_path(tmp_path / "ck", 0) == tmp_path / "ck.round1"
    (tmp_path / "ck").write_text('{"format": "brainmass_fn.flagship/1", "config"')  # cut short
    with pytest.raises(ValueError, match="is not a readable brainmass_fn fit checkpoint"):
        ckpt.load_state(tmp_path / "ck", config)


def test_step_losses_take_the_best_of_each_generation():
    from types import SimpleNamespace

    from brainmass_fn.cli.flagship import _step_losses

    cma = FlagshipConfig(duration=40.0, transient=10.0, dt=20.0, strategy="CMA", steps=2)
    result = SimpleNamespace(losses=[3.0, 1.0, 2.0, 0.5, 4.0, 6.0], steps=2)
    assert _step_losses(cma, result) == [1.0, 0.5]
    adam = FlagshipConfig(duration=40.0, transient=10.0, dt=20.0, steps=2)
    result = SimpleNamespace(losses=[3.0, 2.0, 1.5], steps=2)  # + the final iterate
    assert _step_losses(adam, result) == [3.0, 2.0]


# ---------------------------------------------------------------- resume logic, in-process


def _cheap_fc(network, config, key):
    """A stand-in for the simulated FC: smooth in K and speed, compiles in milliseconds."""
    import jax.numpy as jnp

    from brainmass_fn.params import resolve

    net = resolve(network)
    drive = net.K * 40.0 * (net.weights + net.weights.T) + 0.002 * net.speed * net.lengths / 100
    fc = jnp.tanh(drive) + jnp.eye(net.weights.shape[0])
    return fc, jnp.zeros((10, net.weights.shape[0]))


@pytest.fixture
def cheap_flagship(monkeypatch):
    """`brainmass_fn.cli.flagship` with `_cheap_fc` and without jit: the fit loop, its
    checkpoints and the rounds run for real, in about a second (no compilation)."""
    import jax

    flagship = sys.modules["brainmass_fn.cli.flagship"]
    monkeypatch.setattr(flagship, "flagship_fc", _cheap_fc)
    with jax.disable_jit():
        yield flagship


@pytest.mark.parametrize("stop_at", [2, 5])  # in round 1, in round 2
def test_interrupted_then_resumed_fit_equals_an_uninterrupted_one(
    tmp_path, cheap_flagship, stop_at
):
    flagship = cheap_flagship
    config = FlagshipConfig(duration=40.0, transient=10.0, dt=20.0, steps=6, rounds=2,
                            learning_rate=0.3)  # fmt: skip
    reference = flagship.run_flagship(config, progress=False)
    assert reference.status == "completed" and reference.steps_done == 6
    assert abs(reference.values["K"] - config.K) > 1e-3  # the fit moves

    def ctrl_c(step: int, loss: float) -> None:
        if step == stop_at:
            raise KeyboardInterrupt  # as Ctrl-C between two steps

    ck = tmp_path / "ck"
    first = flagship.run_flagship(config, progress=False, on_step=ctrl_c, checkpoint=ck)
    assert first.status == "interrupted" and first.steps_done == stop_at
    assert first.losses.shape == (stop_at,)
    np.testing.assert_array_equal(first.losses, reference.losses[:stop_at])
    seen = []
    resumed = flagship.run_flagship(config, progress=False, checkpoint=ck, resume=True,
                                    on_step=lambda k, loss: seen.append(k))  # fmt: skip
    assert resumed.status == "completed" and resumed.steps_done == 6
    assert seen == list(range(stop_at + 1, 7))  # only the missing steps, numbered globally
    assert resumed.values == pytest.approx(reference.values, rel=1e-6)
    np.testing.assert_allclose(resumed.losses, reference.losses, rtol=1e-6)
    assert resumed.loss == pytest.approx(reference.loss, rel=1e-6)
    state = json.loads(ck.read_text())
    assert state["rounds_done"] == 2 and len(state["losses"]) == 6


def test_a_fresh_run_ignores_search_states_left_by_another_run(tmp_path, cheap_flagship):
    flagship = cheap_flagship
    config = FlagshipConfig(duration=40.0, transient=10.0, dt=20.0, steps=4, rounds=2,
                            learning_rate=0.3)  # fmt: skip
    ck = tmp_path / "ck"
    reference = flagship.run_flagship(config, progress=False, checkpoint=ck)
    # an older run's round-2 state, then a fresh run stopped in round 1 and resumed
    other = FlagshipConfig(duration=40.0, transient=10.0, dt=20.0, steps=4, rounds=2, K=0.02,
                           learning_rate=0.3)  # fmt: skip
    flagship.run_flagship(other, progress=False, checkpoint=ck)
    assert (tmp_path / "ck.round2").exists()

    def ctrl_c(step: int, loss: float) -> None:
        if step == 1:
            raise KeyboardInterrupt

    flagship.run_flagship(config, progress=False, checkpoint=ck, on_step=ctrl_c)
    resumed = flagship.run_flagship(config, progress=False, checkpoint=ck, resume=True)
    assert resumed.values == pytest.approx(reference.values, rel=1e-6)


# ---------------------------------------------------------------- real processes


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _start_fit(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "brainmass_fn", "fit", "tiny.toml", "--no-progress",
         "--checkpoint", "ck", *args],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_step(proc: subprocess.Popen, sidecar: Path, step: int, timeout: float = 600) -> int:
    """Poll the fit's checkpoint sidecar until it has saved ``step`` steps."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the fit ended before step {step}: {proc.communicate()}")
        try:
            saved = json.loads(sidecar.read_text())["step"]
        except (OSError, ValueError, KeyError):
            saved = 0
        if saved >= step:
            return saved
        time.sleep(0.01)
    proc.kill()
    raise AssertionError(f"no step {step} within {timeout} s")


@pytest.mark.slow  # two processes that each compile the fit (~15-60 s each on 2 cores)
def test_sigint_mid_fit_exits_130_with_partial_results_then_resume_completes(tmp_path):
    _tiny(tmp_path)
    proc = _start_fit(tmp_path)
    _wait_for_step(proc, tmp_path / "ck.round1.json", 3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert "interrupted after" in err and "a partial result" in err
    assert "continue with --checkpoint ck --resume" in err
    with np.load(tmp_path / "tiny.npz") as d:
        assert str(d["status"]) == "interrupted"
        done = int(d["steps_done"])
        assert 3 <= done < 40 and d["losses"].shape == (done,)
    assert json.loads((tmp_path / "ck.round1.json").read_text())["step"] == done
    proc = _start_fit(tmp_path, "--resume")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    with np.load(tmp_path / "tiny.npz") as d:
        assert str(d["status"]) == "completed" and int(d["steps_done"]) == 40
        assert d["losses"].shape == (40,)


@pytest.mark.slow  # three compilations of the fit (~15-60 s each on 2 cores)
def test_sigkill_mid_fit_then_resume_ends_where_an_uninterrupted_fit_ends(tmp_path):
    from brainmass_fn.cli.flagship import run_flagship

    config, _ = load_fit_config(_tiny(tmp_path))
    reference = run_flagship(config, progress=False)
    proc = _start_fit(tmp_path)
    _wait_for_step(proc, tmp_path / "ck.round1.json", 5)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "tiny.npz").exists()  # killed: nothing but the checkpoint
    saved = json.loads((tmp_path / "ck.round1.json").read_text())["step"]
    assert 5 <= saved < 40
    proc = _start_fit(tmp_path, "--resume")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    with np.load(tmp_path / "tiny.npz") as d:
        assert str(d["status"]) == "completed" and int(d["steps_done"]) == 40
        np.testing.assert_allclose(d["values"], [reference.values["K"]], rtol=1e-6)
        np.testing.assert_allclose(d["losses"], reference.losses, rtol=1e-6)
        np.testing.assert_allclose(float(d["loss"]), reference.loss, rtol=1e-6)
