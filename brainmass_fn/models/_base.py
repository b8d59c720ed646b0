"""The model contract every neural-mass node fills in.

A node model is an immutable `equinox.Module` whose fields are its parameters
(scalars, or arrays broadcast over nodes). Its state is one array of shape
``(n_state, *nodes)``: row ``k`` is the state variable ``state_names[k]``.

- ``vector_field(t, state, input, args)`` returns ``d state / dt`` (per ms).
- ``input`` has shape ``(len(input_names), *nodes)`` (or broadcasts to it): the
  external drive plus, in a network, the coupling term, added to the equations of
  the variables named in ``input_names``.
- ``coupled_names`` are the variables a network reads from each node for coupling;
  ``coupling_targets`` the input variables the coupling is added to (default: the
  same names).
- ``initial_state(nodes)`` is a sensible default start.
"""

import abc
import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = ["AbstractNeuralMass"]


class AbstractNeuralMass(eqx.Module):
    """Abstract base class of neural-mass node models.

    Subclasses set the class variables below, declare parameters as fields with
    `brainmass_fn.params.canonical_field`, and implement `vector_field`.
    """

    # abstract: a subclass that forgets one cannot be instantiated (a ClassVar, a
    # field or a property fills it). pyright reads an AbstractVar as a dataclass field
    # (a required __init__ argument) that a ClassVar may not override, so it is told
    # the models' usual form, a ClassVar.
    if TYPE_CHECKING:
        state_names: ClassVar[tuple[str, ...]]
        input_names: ClassVar[tuple[str, ...]]
        coupled_names: ClassVar[tuple[str, ...]]
    else:
        #: names of the state variables, in the order of the state's first axis
        state_names: eqx.AbstractVar[tuple[str, ...]]
        #: variables that an external or coupling input is added to
        input_names: eqx.AbstractVar[tuple[str, ...]]
        #: variables that a network reads from each node for coupling
        coupled_names: eqx.AbstractVar[tuple[str, ...]]

    @abc.abstractmethod
    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " state *nodes"],
        input: Float[Array, " inputs *nodes"],
        args: Any = None,
    ) -> Float[Array, " state *nodes"]:
        """Time derivative of ``state`` (units of state per ms)."""

    @abc.abstractmethod
    def default_state(self) -> tuple[float, ...]:
        """One default initial value per state variable."""

    @property
    def coupling_targets(self) -> tuple[str, ...]:
        """Input variables a network adds the coupling of ``coupled_names`` to, one per
        coupled variable; the peer's convention. Default: the coupled variables
        themselves. A model whose peer couples elsewhere overrides this with a
        ``ClassVar`` (e.g. `MontbrioPazoRoxin`: coupled ``r``, target ``v``)."""
        return tuple(self.coupled_names)

    @property
    def default_coupling(self) -> str:
        """The coupling a `Network` uses unless told otherwise (a name in
        `brainmass_fn.coupling`); the peer's convention. Default ``"linear"``."""
        return "linear"

    # ---- derived helpers; subclasses do not override these ----

    @classmethod
    def parameter_units(cls) -> dict[str, str]:
        """Canonical unit of each parameter field, e.g. ``{"tau": "ms"}``."""
        return {f.name: f.metadata["unit"] for f in dataclasses.fields(cls) if "unit" in f.metadata}

    @property
    def n_state(self) -> int:
        return len(self.state_names)

    @property
    def n_input(self) -> int:
        return len(self.input_names)

    def index(self, name: str) -> int:
        """Position of state variable ``name`` in the state's first axis."""
        try:
            return self.state_names.index(name)
        except ValueError:
            raise ValueError(
                f"{type(self).__name__} has no state variable {name!r}; "
                f"its variables are {self.state_names}."
            ) from None

    @property
    def node_shape(self) -> tuple[int, ...]:
        """Broadcast shape of the array-valued parameters: ``()`` for one node."""
        shapes = [jnp.shape(x) for x in jax.tree_util.tree_leaves(self) if eqx.is_array(x)]
        try:
            return jnp.broadcast_shapes(*shapes) if shapes else ()
        except ValueError:
            raise ValueError(
                f"{type(self).__name__} parameters have shapes {shapes} that do not broadcast "
                "to one node shape; give every per-node parameter the same length."
            ) from None

    def initial_state(self, nodes: int | tuple[int, ...] | None = None) -> Array:
        """The default initial state, shape ``(n_state, *nodes)``.

        ``nodes`` defaults to the parameters' broadcast shape.
        """
        if nodes is None:
            shape = self.node_shape
        elif isinstance(nodes, int):
            shape = (nodes,)
        else:
            shape = tuple(nodes)
        values = jnp.asarray(self.default_state(), dtype=jnp.result_type(float))
        return jnp.broadcast_to(values.reshape((-1,) + (1,) * len(shape)), (self.n_state, *shape))

    def zero_input(self, nodes: tuple[int, ...] = ()) -> Array:
        """An input of zeros, shape ``(n_input, *nodes)``."""
        return jnp.zeros((self.n_input, *nodes), dtype=jnp.result_type(float))
