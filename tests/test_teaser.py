"""The seed's teaser: Adam recovers a Hopf node's a from its settled amplitude."""

import importlib.util
import pathlib

_spec = importlib.util.spec_from_file_location(
    "teaser", pathlib.Path(__file__).parents[1] / "examples" / "teaser.py"
)
teaser = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(teaser)


def test_teaser_recovers_a_and_reaches_tiny_loss():
    result = teaser.run(steps=120, progress=False)
    assert abs(float(result.values["a"]) - 1.5) < 1e-3
    assert result.best_loss < 1e-8
    assert result.losses[0] > 1e-2  # it really started far away (a = 0.1)
