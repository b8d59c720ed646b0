"""The documentation runs: every ```python block of the tutorial pages is executed.

Each page's blocks run in order in one shared namespace (as a reader would paste
them), in a temporary working directory. A block states what it prints in comment
lines that start with ``#>``; the test captures the block's standard output and
compares it line by line with those comments: words must match exactly, numbers to
2 % (relative) plus 1.5 units of the last printed digit, so that float32 rounding on
another machine does not fail the docs while a wrong result does. Lines that start
with ``#~`` are shown but machine-dependent (wall times): only their count is
checked. A block without ``#>``/``#~`` lines must print nothing.

Pages that take longer than ~30 s carry the ``slow`` marker. The last test builds
the site with ``mkdocs build --strict`` when mkdocs is installed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: tutorial pages whose code blocks run, in the guided path's order; True = slow
PAGES: dict[str, bool] = {
    "index.md": False,
    "neural-mass.md": False,
    "differentiable.md": False,
    "fitting.md": True,  # ~30-60 s: two fits, an FD scan and a float64 gradient check
    "gradient-free.md": True,  # ~30-60 s: three fits
    "extending.md": False,
    "training.md": True,  # owned by the training engineer; executed if present
    "case-study.md": True,
    "cli.md": False,
    "scale-out.md": False,
    "solvers.md": False,
    "stimulation.md": True,  # ~20-50 s: a 200-step control through BOLD
    "evoked.md": True,  # ~40 s: a 13-parameter BFGS fit and two Laplace approximations
    "design/architecture.md": False,
}
#: pages with no code to run (reference material)
NO_CODE = {"models.md", "api.md", "references.md"}

_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```\s*$", re.S | re.M)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def python_blocks(page: Path) -> list[str]:
    """The ```python fenced blocks of a Markdown page, in order."""
    return [m.group(1) for m in _FENCE.finditer(page.read_text())]


def expected_output(block: str) -> list[tuple[str, str]]:
    """``(kind, text)`` for each ``#>`` (checked) or ``#~`` (count only) line."""
    out = []
    for line in block.splitlines():
        s = line.strip()
        if s.startswith("#>") or s.startswith("#~"):
            out.append((s[:2], s[3:] if len(s) > 2 else ""))
    return out


def _last_digit(token: str) -> float:
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def lines_match(got: str, want: str) -> bool:
    """Same words; numbers equal to 2 % + 1.5 units of the last printed digit."""
    got_nums, want_nums = _NUMBER.findall(got), _NUMBER.findall(want)
    if _NUMBER.sub("#", got).split() != _NUMBER.sub("#", want).split():
        return False
    if len(got_nums) != len(want_nums):
        return False
    for g, w in zip(got_nums, want_nums, strict=True):
        gv, wv = float(g), float(w)
        if not (math.isfinite(gv) and abs(gv - wv) <= 0.02 * abs(wv) + 1.5 * _last_digit(w)):
            return False
    return True


def run_page(name: str, workdir: Path) -> int:
    """Execute the page's blocks in one namespace; returns the number of blocks."""
    blocks = python_blocks(DOCS / name)
    assert blocks, f"{name} has no ```python blocks"
    # a real module, so that classes defined on the page (dataclasses, equinox
    # Modules) can find their module in sys.modules
    module = types.ModuleType(f"docs_{Path(name).stem.replace('-', '_')}")
    namespace = module.__dict__
    sys.modules[module.__name__] = module
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        for i, block in enumerate(blocks, 1):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                # dont_inherit: this file's `from __future__ import annotations` must
                # not leak into the page's code
                code = compile(block, f"{name}[block {i}]", "exec", dont_inherit=True)
                exec(code, namespace)
            got = buffer.getvalue().splitlines()
            want = expected_output(block)
            where = f"{name}, block {i}"
            assert len(got) == len(want), (
                f"{where} printed {len(got)} lines, its #> comments show {len(want)}:\n"
                + "\n".join(got)
            )
            for g, (kind, w) in zip(got, want, strict=True):
                if kind == "#>":
                    assert lines_match(g, w), f"{where}: printed {g!r}, the page says {w!r}"
    finally:
        os.chdir(cwd)
        sys.modules.pop(module.__name__, None)
    return len(blocks)


def _page_params() -> list:
    return [
        pytest.param(name, marks=[pytest.mark.slow] if slow else [], id=name)
        for name, slow in PAGES.items()
    ]


# ---- the harness itself ----


def test_number_comparison():
    assert lines_match("a = 1.4999 (true 1.5)", "a = 1.500 (true 1.5)")
    assert lines_match("loss 3.1e-05", "loss 3.0e-05")
    assert not lines_match("a = 1.600 (true 1.5)", "a = 1.500 (true 1.5)")  # 6.7 % off
    assert lines_match("a = 1.6", "a = 1.5")  # one printed decimal: 1.5 units = 0.15
    assert not lines_match("b = 1.5", "a = 1.5")  # words differ
    assert not lines_match("(80, 80)", "(80, 80, 5)")
    assert not lines_match("nan", "1.0")


def test_blocks_and_outputs_are_parsed():
    page = "Text\n\n```python\nx = 1\nprint(x)\n#> 1\n```\n\n```bash\nls\n```\n"
    tmp = DOCS / "_parse_check.md"
    try:
        tmp.write_text(page)
        blocks = python_blocks(tmp)
    finally:
        tmp.unlink()
    assert blocks == ["x = 1\nprint(x)\n#> 1\n"]
    assert expected_output(blocks[0]) == [("#>", "1")]


def test_every_page_with_code_is_executed():
    """A new page with python blocks must be listed in PAGES (no untested code)."""
    with_code = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md") if python_blocks(p)}
    assert with_code - set(PAGES) == set(), "add these pages to PAGES in tests/test_docs.py"
    assert not (with_code & NO_CODE)


# ---- the pages ----


@pytest.mark.parametrize("name", _page_params())
def test_page_runs_and_prints_what_it_says(name, tmp_path, monkeypatch):
    if not (DOCS / name).exists():
        pytest.skip(f"docs/{name} is not written yet")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    assert run_page(name, tmp_path) >= 1


# ---- the site ----


def test_mkdocs_build_strict(tmp_path):
    missing = [
        m
        for m in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers")
        if importlib.util.find_spec(m) is None
    ]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed; install the docs extra "
            "(pip install -e '.[docs]') or run .ci/docs"
        )
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (site / "index.html").exists()
    api = (site / "api" / "index.html").read_text()
    assert "simulate" in api and "AbstractNeuralMass" in api
