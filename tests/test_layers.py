"""The package's layers (docs/design/architecture.md): every relative import inside
brainmass_fn goes to the same or an earlier layer, never a later one."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "brainmass_fn"

#: top-level modules and subpackages, layer by layer (as the architecture page lists)
LAYERS = [
    {"units", "params", "_paths", "_timegrid"},
    {"models", "coupling", "noise", "delays", "stimulus", "data"},
    {"network"},
    {"simulate", "_engine", "_diffrax_solve", "solvers"},
    {"forward", "signal", "metrics", "phase", "losses", "plot"},
    {"_optimise", "fit", "train", "control", "fixed_point", "evoked", "infer", "sweep",
     "gradcheck", "long_run"},
    {"cli", "__init__", "__main__"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def imported_top_levels(path: Path) -> list[tuple[str, int]]:
    """``(top-level module, line)`` of each relative import in ``path``."""
    package = list(path.relative_to(ROOT).parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.ImportFrom) and node.level > 0):
            continue
        base = package[: len(package) - (node.level - 1)]
        target = base + [part for part in (node.module or "").split(".") if part]
        names = [target[0]] if target else [alias.name for alias in node.names]
        out += [(name, node.lineno) for name in names]
    return out


def test_every_module_has_a_layer():
    tops = {p.relative_to(ROOT).parts[0].removesuffix(".py") for p in ROOT.rglob("*.py")}
    assert tops - set(LAYER) == set(), "add these to LAYERS and to the architecture page"


def test_imports_only_go_to_earlier_layers():
    upward = []
    for path in ROOT.rglob("*.py"):
        source = path.relative_to(ROOT).parts[0].removesuffix(".py")
        for target, line in imported_top_levels(path):
            if target in LAYER and LAYER[target] > LAYER[source]:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert upward == []
