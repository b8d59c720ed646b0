"""EEG/MEG lead fields: closed forms vs series solutions, reciprocity, Maxwell checks,
shapes, references, loading a gain matrix."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.polynomial import legendre

import brainmass_fn as bm
from brainmass_fn.forward import (
    average_reference,
    eeg_lead_field,
    jansen_rit_source,
    load_gain,
    meg_lead_field,
    project,
)

R, SIGMA = 90.0, 0.33  # mm, S/m
THETA = np.linspace(0.1, 3.0, 9)
PHI = 0.7


def surface_sensors(radius=R, theta=THETA, phi=PHI):
    return radius * np.stack(
        [np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], axis=1
    )


def legendre_series(depth, kind, sphere, n_max=300):
    """Surface potential of a unit dipole at depth * z_hat (mm) as a Legendre series.

    Infinite medium: d/d(r0) of sum_n r0^n / r^(n+1) P_n(cos gamma); radial term
    n f^(n-1) P_n, tangential (x) term f^(n-1) sin(theta) P_n'(cos theta) cos(phi).
    The insulated sphere multiplies the n-th multipole by (2n + 1) / n (the image term
    that makes the normal current vanish at r = R).
    """
    f = depth / R
    out = np.zeros_like(THETA)
    for n in range(1, n_max):
        c = np.zeros(n + 1)
        c[n] = 1.0
        if kind == "radial":
            term = n * f ** (n - 1) * legendre.legval(np.cos(THETA), c)
        else:
            term = (
                f ** (n - 1)
                * np.sin(THETA)
                * legendre.legval(np.cos(THETA), legendre.legder(c))
                * np.cos(PHI)
            )
        out += ((2 * n + 1) / n if sphere else 1.0) * term
    return out / (4 * np.pi * SIGMA * (R * 1e-3) ** 2)


@pytest.mark.parametrize("conductor", ["infinite", "sphere"])
@pytest.mark.parametrize(
    "kind, orientation", [("radial", [0, 0, 1.0]), ("tangential", [1.0, 0, 0])]
)
def test_eeg_matches_legendre_series(conductor, kind, orientation):
    depth = 0.6 * R
    with jax.enable_x64(True):
        g = eeg_lead_field(
            surface_sensors(),
            [[0.0, 0.0, depth]],
            [orientation],
            conductivity=SIGMA,
            conductor=conductor,
        )
    expected = legendre_series(depth, kind, conductor == "sphere")
    np.testing.assert_allclose(
        np.asarray(g)[:, 0], expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max()
    )


def test_sphere_centre_dipole_is_three_times_infinite():
    sensors, ori = surface_sensors(), np.array([[0.3, -0.5, 0.8]])
    with jax.enable_x64(True):
        inf = eeg_lead_field(sensors, [[0.0, 0.0, 1e-9]], ori, conductor="infinite")
        sph = eeg_lead_field(sensors, [[0.0, 0.0, 1e-9]], ori, conductor="sphere")
    np.testing.assert_allclose(np.asarray(sph), 3 * np.asarray(inf), rtol=1e-6)


def test_infinite_medium_reciprocity():
    # Helmholtz reciprocity: the lead field of electrode e at the source equals the
    # gradient (w.r.t. the source position) of the potential of a unit current injected
    # at e: V_e = q . grad_r0 [1 / (4 pi sigma |r_e - r0|)].
    sensors = surface_sensors()
    centres = np.array([[10.0, -20.0, 30.0], [-35.0, 5.0, 12.0]])
    ori = np.array([[0.2, 0.4, 0.9], [1.0, -1.0, 0.5]])
    ori = ori / np.linalg.norm(ori, axis=1, keepdims=True)
    with jax.enable_x64(True):
        g = eeg_lead_field(sensors, centres, ori, conductivity=SIGMA)

        def monopole(r0_m, re_m):
            return 1.0 / (4 * jnp.pi * SIGMA * jnp.linalg.norm(re_m - r0_m))

        grad = jax.vmap(jax.vmap(jax.grad(monopole), (0, None)), (None, 0))(
            jnp.asarray(centres) * 1e-3, jnp.asarray(sensors) * 1e-3
        )  # sensors x regions x 3
        expected = jnp.einsum("srk,rk->sr", grad, ori)
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_lead_field_is_linear_in_orientation_and_shapes():
    sensors = surface_sensors()
    centres = np.array([[10.0, -20.0, 30.0]] * 3)
    g_axes = eeg_lead_field(sensors, centres, np.eye(3), conductor="sphere")
    n = np.array([[2.0, -1.0, 0.5]]) / np.linalg.norm([2.0, -1.0, 0.5])
    g_n = eeg_lead_field(sensors, centres[:1], n, conductor="sphere")
    assert g_axes.shape == (9, 3) and g_n.shape == (9, 1)
    np.testing.assert_allclose(g_n[:, 0], g_axes @ n[0], rtol=1e-5)


def _meg_vector(points, centre, ori):
    cols = [meg_lead_field(points, np.tile(e, (len(points), 1)), centre, ori) for e in np.eye(3)]
    return jnp.concatenate(cols, axis=1)  # points x 3


def test_meg_radial_dipole_is_silent_and_field_is_maxwellian():
    sensors = 1.2 * surface_sensors()
    normals = sensors / np.linalg.norm(sensors, axis=1, keepdims=True)
    with jax.enable_x64(True):
        radial = meg_lead_field(sensors, normals, [[0.0, 0.0, 50.0]], [[0.0, 0.0, 1.0]])
        tangential = meg_lead_field(sensors, normals, [[0.0, 0.0, 50.0]], [[1.0, 0.0, 0.0]])
        assert np.abs(radial).max() < 1e-12 * np.abs(tangential).max()
        # outside the conductor B = -mu0 grad U: divergence- and curl-free
        centre, ori = np.array([[5.0, -10.0, 40.0]]), np.array([[0.6, 0.8, 0.0]])

        def b_of(p):
            return _meg_vector(p[None], centre, ori)[0]

        p0 = jnp.array([30.0, 60.0, 95.0])
        jac = jax.jacfwd(b_of)(p0)  # dB_i / dx_j
        scale = np.abs(jac).max()
        assert abs(float(jnp.trace(jac))) < 1e-10 * scale
        assert np.abs(np.asarray(jac - jac.T)).max() < 1e-10 * scale

        # the naive primary-current field q x (r - r0) / |r - r0|^3 is not curl-free:
        # the check above has teeth
        def naive(p):
            a = (p - jnp.asarray(centre[0])) * 1e-3
            return jnp.cross(jnp.asarray(ori[0]), a) / jnp.linalg.norm(a) ** 3

        jn = jax.jacfwd(naive)(p0)
        assert np.abs(np.asarray(jn - jn.T)).max() > 1e-2 * np.abs(jn).max()


def test_average_reference_and_project():
    rng = np.random.default_rng(0)
    gain = rng.normal(size=(6, 4))
    src = rng.normal(size=(50, 4))
    out = project(src, gain, reference="average")
    np.testing.assert_allclose(out.sum(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(out, average_reference(src @ gain.T), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(project(src, gain), src @ gain.T, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="regions"):
        project(src, gain.T)


def test_load_gain_files(tmp_path):
    gain = np.arange(12.0).reshape(3, 4)
    np.save(tmp_path / "g.npy", gain)
    np.savez(tmp_path / "g.npz", gain=gain)
    np.savetxt(tmp_path / "g.txt", gain)
    np.savetxt(tmp_path / "g.csv", gain, delimiter=",")
    for name in ("g.npy", "g.npz", "g.txt", "g.csv"):
        np.testing.assert_array_equal(load_gain(tmp_path / name, n_regions=4), gain)
    with pytest.raises(ValueError, match="transposed"):
        load_gain(gain.T, n_regions=4)
    np.savez(tmp_path / "two.npz", a=gain, b=gain)
    with pytest.raises(ValueError, match="key="):
        load_gain(tmp_path / "two.npz")
    np.testing.assert_array_equal(load_gain(tmp_path / "two.npz", key="b"), gain)


def test_bad_geometry_is_reported():
    with pytest.raises(ValueError, match="sensors"):
        eeg_lead_field(np.zeros((3, 2)), np.zeros((1, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="one sphere"):
        eeg_lead_field(
            surface_sensors() * np.linspace(1, 2, 9)[:, None],
            [[0, 0, 10.0]],
            [[0, 0, 1.0]],
            conductor="sphere",
        )
    with pytest.raises(ValueError, match="inside"):
        eeg_lead_field(surface_sensors(), [[0, 0, 100.0]], [[0, 0, 1.0]], conductor="sphere")
    with pytest.raises(bm.UnitError):
        eeg_lead_field(surface_sensors() * bm.ureg.s, [[0, 0, 10.0]], [[0, 0, 1.0]])


def test_units_of_positions():
    a = eeg_lead_field(surface_sensors(), [[0, 0, 10.0]], [[0, 0, 1.0]])
    b = eeg_lead_field(
        surface_sensors() * 1e-1 * bm.ureg.cm, [[0, 0, 1.0]] * bm.ureg.cm, [[0, 0, 1.0]]
    )
    np.testing.assert_allclose(a, b, rtol=1e-5)


def test_jansen_rit_source():
    ys = jnp.arange(24.0).reshape(4, 3, 2)
    traj = bm.Trajectory(ts=jnp.arange(4.0), ys=ys, state_names=("y0", "y1", "y2"))
    np.testing.assert_array_equal(jansen_rit_source(traj), ys[:, 1] - ys[:, 2])
    hopf = bm.Trajectory(ts=jnp.arange(4.0), ys=ys[:, :2], state_names=("x", "y"))
    with pytest.raises(ValueError, match="y1"):
        jansen_rit_source(hopf)


def test_lead_field_differentiable_in_source_position():
    sensors, ori = surface_sensors(), np.array([[0.3, -0.5, 0.8]])
    with jax.enable_x64(True):

        def total(c):
            return jnp.sum(eeg_lead_field(sensors, c[None], ori, conductor="sphere") ** 2)

        c0 = jnp.array([10.0, -20.0, 30.0])
        g = jax.jit(jax.grad(total))(c0)
        fd = np.array(
            [(total(c0.at[i].add(1e-4)) - total(c0.at[i].add(-1e-4))) / 2e-4 for i in range(3)]
        )
    np.testing.assert_allclose(g, fd, rtol=1e-6)
