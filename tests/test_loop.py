"""The shared optimisation loop (`brainmass_fn._optimise`): best so far, Ctrl-C,
checkpoints and resume, on a scripted task (no JAX), plus the failure bookkeeping."""

import json
import math

import numpy as np
import pytest

from brainmass_fn._optimise import (
    FORMAT,
    AbstractTask,
    Best,
    Checkpoint,
    Report,
    Start,
    decode,
    encode,
    iterate,
    resume_from,
    settle,
)


class Scripted(AbstractTask):
    """Step i reports ``scores[i]``; the state is the list of scores seen so far and an
    array ``x = step number``; ``interrupt_at`` raises Ctrl-C inside that step."""

    name = "scripted"

    def __init__(self, scores, interrupt_at=None):
        self.scores, self.interrupt_at = scores, interrupt_at

    def step(self, state, step, tick):
        if step == self.interrupt_at:
            raise KeyboardInterrupt
        seen, _ = state
        score = self.scores[step]
        return ([*seen, score], np.array([step + 1.0])), Report(score, score, f"p{step + 1}")

    def write(self, state, best, path):
        with open(path, "wb") as f:
            np.savez(f, x=state[1], best=np.array(best.payload or ""))

    def read(self, path, meta):
        with np.load(path, allow_pickle=False) as f:
            x, best = f["x"], str(f["best"])
        return (decode(meta["record"]["seen"]), x), best

    def record(self, state):
        return {"seen": encode(state[0])}


def _start():
    return Start(([], np.array([0.0])))


def _checkpoint(tmp_path, **run):
    return Checkpoint.file(tmp_path / "run.npz", run or {"seed": 1}, "this task",
                           "start afresh")  # fmt: skip


def test_the_best_is_kept_across_nan_and_inf_scores():
    task = Scripted([3.0, math.nan, 1.0, math.inf, 2.0, math.nan])
    out = iterate(task, _start(), steps=6, progress=False)
    assert out.status == "completed" and out.step == 6
    assert out.best == Best(1.0, 3, "p3")
    assert str(out.state[0]) == str([3.0, math.nan, 1.0, math.inf, 2.0, math.nan])


def test_a_run_whose_scores_are_never_finite_has_no_best():
    out = iterate(Scripted([math.nan, math.inf, -math.nan]), _start(), steps=3, progress=False)
    assert out.best == Best(math.inf, 0, None)


def test_ctrl_c_keeps_the_last_completed_step_and_the_best_and_saves_them(tmp_path):
    checkpoint = _checkpoint(tmp_path)
    task = Scripted([5.0, 2.0, math.nan, 4.0, 1.0], interrupt_at=3)
    out = iterate(task, _start(), steps=5, checkpoint=checkpoint, every=10, progress=False)
    assert out.status == "interrupted" and out.step == 3
    np.testing.assert_array_equal(out.state[1], [3.0])
    assert out.best == Best(2.0, 2, "p2")
    meta = json.loads((tmp_path / "run.npz.json").read_text())
    assert meta["step"] == 3 and meta["best"] == {"score": 2.0, "step": 2}


def test_checkpoint_round_trip_is_exact_and_strict_json(tmp_path):
    checkpoint = _checkpoint(tmp_path)
    task = Scripted([4.0, math.nan, 3.0, -math.inf, 5.0])
    out = iterate(task, _start(), steps=5, checkpoint=checkpoint, every=2, progress=False)

    def no_constants(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    text = (tmp_path / "run.npz.json").read_text()
    meta = json.loads(text, parse_constant=no_constants)
    assert meta["format"] == FORMAT == "brainmass_fn.checkpoint/1"
    assert meta["state_file"] == "run.npz" and meta["step"] == 5
    assert meta["run"] == {"seed": 1} and meta["best"] == {"score": 3.0, "step": 3}
    assert meta["record"]["seen"] == [4.0, "nan", 3.0, "-inf", 5.0]  # -inf is not a best
    start = resume_from(task, checkpoint)
    assert start.step == 5 and start.best == Best(3.0, 3, "p3")
    assert start.wall_time == meta["wall_time"] == pytest.approx(out.wall_time, abs=1.0)
    np.testing.assert_array_equal(start.state[1], [5.0])
    assert str(start.state[0]) == str([4.0, math.nan, 3.0, -math.inf, 5.0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz", "run.npz.json"]
    # a best of -inf (the start of a "max" rule) is saved as "-inf" and read back
    iterate(task, Start(start.state, 5, Best(-math.inf)), steps=5, checkpoint=checkpoint,
            progress=False)  # fmt: skip
    assert json.loads((tmp_path / "run.npz.json").read_text())["best"]["score"] == "-inf"
    assert resume_from(task, checkpoint).best.score == -math.inf


def test_periodic_saves_and_a_resumed_run_continues_from_the_last_one(tmp_path):
    checkpoint = _checkpoint(tmp_path)
    scores = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.5]
    iterate(Scripted(scores, interrupt_at=5), _start(), steps=7, checkpoint=checkpoint,
            every=2, progress=False)  # fmt: skip
    start = resume_from(Scripted(scores), checkpoint)
    assert start.step == 5  # saved on Ctrl-C after step 5 (periodic saves at 2 and 4)
    out = iterate(Scripted(scores), start, steps=7, checkpoint=checkpoint, progress=False)
    assert out.step == 7 and out.best == Best(0.5, 7, "p7")
    assert out.state[0] == scores


def test_the_directory_layout_keeps_one_numbered_state_file(tmp_path):
    checkpoint = Checkpoint.directory(tmp_path, {"seed": 1}, "this task", "start afresh")
    iterate(Scripted([3.0, 2.0, 1.0]), _start(), steps=3, checkpoint=checkpoint, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json", "state-3.eqx"]
    assert resume_from(Scripted([]), checkpoint).step == 3


def test_resume_refuses_another_run_and_a_state_it_cannot_read(tmp_path):
    iterate(Scripted([1.0]), _start(), steps=1, checkpoint=_checkpoint(tmp_path),
            progress=False)  # fmt: skip
    with pytest.raises(ValueError) as err:
        resume_from(Scripted([]), _checkpoint(tmp_path, seed=2))
    assert str(err.value) == (
        f"checkpoint {str(tmp_path / 'run.npz')!r} was written by a different run (saved vs "
        "now: {'seed': (1, 2)}); resume with the same seed, or start afresh."
    )

    class Other(Scripted):
        def read(self, path, meta):
            raise KeyError("'y' is not a file in the archive")

    with pytest.raises(ValueError, match=r"does not match this task \(\"'y' is not a file"):
        resume_from(Other([]), _checkpoint(tmp_path))


def test_resume_refuses_an_earlier_format_and_half_a_checkpoint(tmp_path):
    checkpoint = _checkpoint(tmp_path)
    assert resume_from(Scripted([]), checkpoint) is None  # nothing there: a first run
    iterate(Scripted([1.0]), _start(), steps=1, checkpoint=checkpoint, progress=False)
    sidecar = tmp_path / "run.npz.json"
    text = sidecar.read_text()
    sidecar.write_text(json.dumps({"format": "brainmass_fn.fit/1", "step": 1}))
    earlier = r"format 'brainmass_fn.fit/1': an earlier brainmass_fn.*Finish that run with"
    with pytest.raises(ValueError, match=earlier):
        resume_from(Scripted([]), checkpoint)
    sidecar.unlink()
    with pytest.raises(ValueError, match=r"holds \['run.npz'\] but no run.npz.json"):
        resume_from(Scripted([]), checkpoint)
    sidecar.write_text(text)
    (tmp_path / "run.npz").unlink()
    with pytest.raises(ValueError, match=r"the checkpoint .*run.npz' itself is missing"):
        resume_from(Scripted([]), checkpoint)


def test_a_step_status_or_the_stop_rule_ends_the_run():
    class Converges(Scripted):
        def step(self, state, step, tick):
            new, report = super().step(state, step, tick)
            return new, report._replace(status="converged" if step == 1 else None)

    out = iterate(Converges([3.0, 2.0, 1.0]), _start(), steps=3, progress=False)
    assert out.status == "converged" and out.step == 2

    class Patient(Scripted):
        def stop(self, step, report, best):
            return "early_stopped" if step - best.step >= 2 else None

    out = iterate(Patient([3.0, 1.0, 2.0, 2.0, 0.0]), _start(), steps=5, progress=False)
    assert out.status == "early_stopped" and out.step == 4 and out.best.step == 2
    resumed = Start(out.state, out.step, out.best)
    again = iterate(Patient([]), resumed, steps=5, progress=False)  # stopped before any step
    assert again.status == "early_stopped" and again.step == 4


def test_settle_fails_a_run_that_found_nothing_unless_interrupted():
    with pytest.warns(RuntimeWarning, match="^nothing fitted$"):
        assert settle("completed", "nothing fitted") == "failed"
    assert settle("interrupted", "nothing fitted") == "interrupted"
    assert settle("converged", "") == "converged"
