r"""Parameter sweeps and population evaluation, sharded over devices.

A sweep evaluates one function on many parameter sets: ``fn(member) -> output``, where
``member`` is one slice of a *population*, a pytree whose array leaves share a leading
batch axis. `evaluate_population` runs ``jax.vmap(fn)`` on the whole population with
the batch axis split across the devices of a `jax.sharding.Mesh` (one axis,
``"batch"``) by a ``NamedSharding(mesh, PartitionSpec("batch"))``: each device
simulates ``batch / n_devices`` members and no data crosses devices. The result equals
the unsharded ``jax.vmap(fn)(population)`` (same program per member, so the numbers
agree to floating-point reassociation, usually bit for bit). `sweep` builds the
population as the Cartesian product of named parameter axes and reshapes the outputs
onto the grid.

- **Padding.** A batch that does not divide by the device count is padded by
  repeating its last member; the padded outputs are dropped.
- **Chunks.** ``chunk_size`` bounds the members in flight at once (memory: a vmapped
  simulation holds ``chunk_size`` trajectories); all chunks share one shape, so one
  compilation serves them all.
- **Compile once.** The jitted step is keyed on ``fn`` (by identity), the population's
  structure and shapes, and the sharding. Define ``fn`` once (not a fresh ``lambda``
  per call) and repeated sweeps reuse the compiled program.

**Testing on CPU.** ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` (set
before ``jax`` is imported) makes the host look like 4 devices; the tests check the
sharded results against plain ``vmap`` that way.

**Multi-host** (several machines, each with its own accelerators). Start the same
script on every host, and first thing call::

    import jax
    jax.distributed.initialize()  # or (coordinator_address="10.0.0.1:1234",
                                  #     num_processes=4, process_id=i) off SLURM/TPU
    from brainmass_fn.sweep import device_mesh, evaluate_population
    mesh = device_mesh()          # all devices of all hosts: jax.devices()

`device_mesh()` then spans the global device list, and `evaluate_population` places
the population with ``jax.device_put`` onto the global ``NamedSharding``. Every
process must build the same population (e.g. the same grid or the same seed), and
each process gets the full result back through ``jax.experimental.multihost_utils
.process_allgather`` (done here when ``jax.process_count() > 1``). For populations too
large to build on every host, create each host's slice and assemble the global array
with ``jax.make_array_from_process_local_data(sharding, local_slice)``. See the JAX
guide "Distributed arrays and automatic parallelization" and ``jax.distributed``.
The tests here cover one host (real or emulated devices); the multi-host path is
written to JAX's documented contract but has not been run on a cluster.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import Array, ArrayLike, PyTree

__all__ = [
    "BATCH_AXIS",
    "device_mesh",
    "batch_sharding",
    "shard_batch",
    "batch_size",
    "evaluate_population",
    "grid",
    "sweep",
    "SweepResult",
]

#: name of the mesh axis the batch is split over
BATCH_AXIS = "batch"


def device_mesh(devices: Sequence[Any] | None = None) -> Mesh:
    """A one-axis `Mesh` (axis ``"batch"``) over ``devices`` (default: all, ``jax.devices()``)."""
    devices = jax.devices() if devices is None else list(devices)
    if len(devices) == 0:
        raise ValueError("devices is empty; pass at least one jax device (see jax.devices()).")
    return Mesh(np.asarray(devices), (BATCH_AXIS,))


def batch_sharding(mesh: Mesh) -> NamedSharding:
    """``NamedSharding(mesh, PartitionSpec("batch"))``: leading axis split over the mesh."""
    if BATCH_AXIS not in mesh.axis_names:
        raise ValueError(
            f"mesh has axes {mesh.axis_names}; it needs an axis named {BATCH_AXIS!r} "
            "(build it with device_mesh())."
        )
    return NamedSharding(mesh, PartitionSpec(BATCH_AXIS))


def _array_leaves(tree: PyTree) -> list[Array]:
    return [x for x in jax.tree_util.tree_leaves(tree) if eqx.is_array_like(x)]


def batch_size(population: PyTree) -> int:
    """The common leading size of the population's array leaves.

    Raises:
        ValueError: if there are no array leaves, a leaf is a scalar, or the leading
            sizes differ.
    """
    sizes = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(population)[0]:
        if not eqx.is_array_like(leaf):
            continue
        shape = np.shape(leaf)
        name = jax.tree_util.keystr(path) or "population"
        if len(shape) == 0:
            raise ValueError(
                f"population leaf {name} is a scalar; every array leaf needs a leading batch "
                "axis (stack the members, e.g. jnp.stack or jax.tree.map(jnp.stack, ...))."
            )
        sizes[name] = shape[0]
    if not sizes:
        raise ValueError("population has no array leaves to batch over.")
    if len(set(sizes.values())) > 1:
        raise ValueError(
            f"population leaves have different leading (batch) sizes {sizes}; give every "
            "array leaf the same number of members."
        )
    return next(iter(sizes.values()))


def _pad(population: PyTree, target: int) -> PyTree:
    def pad(x: Any) -> Any:
        if not eqx.is_array_like(x):
            return x
        x = jnp.asarray(x)
        extra = target - x.shape[0]
        if extra == 0:
            return x
        return jnp.concatenate([x, jnp.repeat(x[-1:], extra, axis=0)])

    return jax.tree_util.tree_map(pad, population)


def _slice(tree: PyTree, start: int, stop: int) -> PyTree:
    return jax.tree_util.tree_map(lambda x: x[start:stop] if eqx.is_array_like(x) else x, tree)


def shard_batch(population: PyTree, mesh: Mesh) -> PyTree:
    """Place the population's array leaves with their leading axis split over ``mesh``.

    The batch size must divide by the mesh size (`evaluate_population` pads for you).
    """
    n = batch_size(population)
    if n % mesh.size:
        raise ValueError(
            f"batch size {n} does not divide by the {mesh.size} devices of the mesh; pad the "
            "population (evaluate_population does) or choose a multiple."
        )
    sharding = batch_sharding(mesh)
    return jax.tree_util.tree_map(
        lambda x: jax.device_put(jnp.asarray(x), sharding) if eqx.is_array_like(x) else x,
        population,
    )


@eqx.filter_jit
def _vmapped(fn: Callable, population: PyTree, sharding: NamedSharding) -> PyTree:
    out = jax.vmap(fn)(population)
    return jax.tree_util.tree_map(
        lambda x: jax.lax.with_sharding_constraint(x, sharding) if eqx.is_array(x) else x, out
    )


def _gather(tree: PyTree) -> PyTree:
    if jax.process_count() == 1:
        return tree
    from jax.experimental import multihost_utils

    return multihost_utils.process_allgather(tree, tiled=True)


def evaluate_population(
    fn: Callable[[PyTree], PyTree],
    population: PyTree,
    *,
    mesh: Mesh | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
) -> PyTree:
    """``jax.vmap(fn)(population)``, with the batch axis sharded over ``mesh``.

    Args:
        fn: maps one member (the population with the batch axis removed) to a pytree
            of arrays, e.g. a loss, an FC matrix or a trajectory. Must be traceable
            (``jax.vmap``-able); define it once to reuse its compilation.
        population: a pytree whose array leaves share a leading batch axis (e.g. a
            ``dict`` of parameter arrays, or a model whose fields are stacked).
        mesh: the device mesh (default `device_mesh()`: every device).
        chunk_size: members evaluated at once (rounded up to a multiple of the device
            count); default all.
        progress: show a progress bar over the chunks.

    Returns:
        The outputs stacked over the batch axis (same order as the population), as
        global ``jax.Array``s (sharded over the mesh, unpadded).
    """
    mesh = device_mesh() if mesh is None else mesh
    sharding = batch_sharding(mesh)
    n = batch_size(population)
    n_dev = mesh.size
    if chunk_size is None:
        chunk = -(-n // n_dev) * n_dev
    else:
        if int(chunk_size) != chunk_size or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
        chunk = -(-min(int(chunk_size), n) // n_dev) * n_dev
    n_chunks = -(-n // chunk)
    padded = _pad(population, n_chunks * chunk)
    outputs = []
    chunks = range(n_chunks)
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, desc=f"population ({n} on {n_dev} devices)", leave=False)
    for c in chunks:
        part = shard_batch(_slice(padded, c * chunk, (c + 1) * chunk), mesh)
        outputs.append(_vmapped(fn, part, sharding))
    if n_chunks == 1:
        out = outputs[0]
    else:
        out = jax.tree_util.tree_map(lambda *xs: jnp.concatenate(xs), *outputs)
    return _gather(_slice(out, 0, n))


def grid(axes: Mapping[str, ArrayLike]) -> dict[str, Array]:
    """The Cartesian product of named 1-D axes, flattened: a population of dicts.

    ``grid({"K": [0.1, 0.2], "a": [1, 2, 3]})`` has 6 members, ``K`` varying
    slowest (C order, as ``numpy.meshgrid(..., indexing="ij")``).
    """
    if not axes:
        raise ValueError("axes is empty; give at least one named axis, e.g. {'K': [0.1, 0.2]}.")
    values = {}
    for name, v in axes.items():
        v = np.asarray(v)
        if v.ndim != 1 or v.size == 0:
            raise ValueError(f"axis {name!r} must be a non-empty 1-D list of values, got {v!r}.")
        values[name] = v
    mesh = np.meshgrid(*values.values(), indexing="ij")
    dtype = jnp.result_type(float)
    return {
        name: jnp.asarray(m.reshape(-1), dtype=dtype) for name, m in zip(values, mesh, strict=True)
    }


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """Outputs of a `sweep` on its grid.

    Attributes:
        axes: the parameter axes, name -> 1-D values, in grid order.
        outputs: ``fn``'s outputs with leading axes ``(len(axis_1), len(axis_2), ...)``.
    """

    axes: dict[str, np.ndarray]
    outputs: PyTree

    @property
    def shape(self) -> tuple[int, ...]:
        """The grid's shape."""
        return tuple(len(v) for v in self.axes.values())

    def argmin(self, key: Callable[[PyTree], Array] = lambda out: out) -> dict[str, float]:
        """Axis values at the smallest scalar ``key(outputs)`` (default: the outputs)."""
        score = np.asarray(key(self.outputs))
        if score.shape != self.shape:
            raise ValueError(
                f"key(outputs) must have the grid's shape {self.shape}, got {score.shape}; "
                "pass key=lambda out: out['loss'] for a dict of outputs."
            )
        index = np.unravel_index(np.nanargmin(score), self.shape)
        return {name: float(v[i]) for (name, v), i in zip(self.axes.items(), index, strict=True)}


def sweep(
    fn: Callable[[dict[str, Array]], PyTree],
    axes: Mapping[str, ArrayLike],
    *,
    mesh: Mesh | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
) -> SweepResult:
    """Evaluate ``fn({name: value, ...})`` on every point of a parameter grid, sharded.

    Example::

        def amplitude(p):
            traj = simulate(Hopf(a=p["a"], w=p["w"]), 300.0, 0.1, transient=200.0)
            return jnp.sqrt(2 * jnp.mean(traj["x"] ** 2))

        res = sweep(amplitude, {"a": jnp.linspace(0.1, 1, 16), "w": [0.1, 0.2]})
        res.outputs.shape  # (16, 2)

    Args:
        fn: maps a dict of scalar parameter values to a pytree of arrays.
        axes: name -> 1-D values; the grid is their Cartesian product (see `grid`).
        mesh, chunk_size, progress: as in `evaluate_population`.
    """
    population = grid(axes)
    out = evaluate_population(fn, population, mesh=mesh, chunk_size=chunk_size, progress=progress)
    shape = tuple(len(np.asarray(v)) for v in axes.values())
    outputs = jax.tree_util.tree_map(lambda x: x.reshape(shape + x.shape[1:]), out)
    return SweepResult(axes={k: np.asarray(v) for k, v in axes.items()}, outputs=outputs)
