"""nnlib.autodiff: every local derivative, the sum over paths, and agreement with finite
differences on random expressions."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import Value
from nnlib.gradcheck import numerical_gradient

finite = st.floats(-3, 3, allow_nan=False)


def test_chain_rule_example_from_the_book():
    # h(x) = (5x + 3)², h'(x) = 10(5x + 3) = 50x + 30
    for x0 in (-1.0, 0.0, 0.7, 2.0):
        x = Value(x0, "x")
        h = (5 * x + 3) ** 2
        h.backward()
        assert h.data == pytest.approx((5 * x0 + 3) ** 2)
        assert x.grad == pytest.approx(50 * x0 + 30)


def test_partial_derivatives_of_x_squared_y():
    x, y = Value(2.0, "x"), Value(3.0, "y")
    f = x * x * y
    f.backward()
    assert (x.grad, y.grad) == pytest.approx((2 * 2.0 * 3.0, 2.0 ** 2))


def test_a_value_used_along_several_paths_gets_the_sum():
    # z = x(t,u)·y(u) + t with x = t·u, y = u²: dz/dt = u³ + 1, dz/du = 3 t u²
    t, u = Value(1.5, "t"), Value(-0.5, "u")
    z = (t * u) * u ** 2 + t
    z.backward()
    assert t.grad == pytest.approx(u.data ** 3 + 1)
    assert u.grad == pytest.approx(3 * t.data * u.data ** 2)


@pytest.mark.parametrize("op, f, df", [
    ("exp", math.exp, math.exp),
    ("log", math.log, lambda a: 1 / a),
    ("tanh", math.tanh, lambda a: 1 - math.tanh(a) ** 2),
    ("sigmoid", lambda a: 1 / (1 + math.exp(-a)), lambda a: math.exp(-a) / (1 + math.exp(-a)) ** 2),
    ("relu", lambda a: max(a, 0.0), lambda a: float(a > 0)),
])
@pytest.mark.parametrize("a", [0.3, 1.7, -0.8])
def test_unary_operations_and_their_derivatives(op, f, df, a):
    if op == "log":
        a = abs(a)  # log needs a > 0
    x = Value(a)
    y = getattr(x, op)()
    y.backward()
    assert y.data == pytest.approx(f(a))
    assert x.grad == pytest.approx(df(a))


def test_binary_operations_with_plain_numbers_on_either_side():
    x = Value(2.0)
    exprs = {"x+1": (x + 1, 1), "1+x": (1 + x, 1), "x-1": (x - 1, 1), "1-x": (1 - x, -1),
             "3*x": (3 * x, 3), "x/4": (x / 4, 0.25), "4/x": (4 / x, -4 / 4.0), "-x": (-x, -1)}
    for name, (e, slope) in exprs.items():
        e.backward()
        assert x.grad == pytest.approx(slope), name


def test_backward_twice_gives_the_same_gradients():
    x = Value(1.2)
    y = (x * x).tanh()
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == first


@settings(max_examples=40, deadline=None)
@given(a=finite, b=finite, c=st.floats(0.2, 3))
def test_random_expression_matches_finite_differences(a, b, c):
    def build(v):
        x, y, z = (Value(float(t)) for t in v)
        out = (x * y + z.log()).tanh() * x.sigmoid() + (y - z) ** 2 / (1 + z) + (x * 2).relu()
        return x, y, z, out

    x, y, z, out = build([a, b, c])
    out.backward()
    point = np.array([a, b, c])
    numeric = numerical_gradient(lambda: build(point)[3].data, point)
    analytic = np.array([x.grad, y.grad, z.grad])
    if abs(2 * a) < 1e-4:  # ReLU's kink
        return
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-7)


def test_graph_lists_parents_before_children():
    x, y = Value(1.0, "x"), Value(2.0, "y")
    s = x + y
    out = s * x
    order = out.graph()
    assert order[-1] is out
    assert order.index(s) > order.index(x) and order.index(s) > order.index(y)
    assert len(order) == 4  # x is listed once although it is used twice


@pytest.mark.parametrize("bad, error, message", [
    ("3", TypeError, "a Value holds a real number, got str"),
    (True, TypeError, "a Value holds a real number"),
    (float("nan"), ValueError, "must be finite"),
])
def test_bad_values_are_explained(bad, error, message):
    with pytest.raises(error, match=message):
        Value(bad)


def test_bad_operations_are_explained():
    with pytest.raises(TypeError, match="cannot combine a Value with str"):
        Value(1.0) + "2"
    with pytest.raises(TypeError, match="only a number exponent"):
        Value(2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="log needs a positive number, got -1.0"):
        Value(-1.0).log()


def test_draw_graph_shows_every_value_once():
    import matplotlib.pyplot as plt

    from nnlib.plotting import draw_graph

    x, y = Value(2.0, "x"), Value(3.0, "y")
    f = x * x * y
    f.label = "f"
    f.backward()
    ax = draw_graph(f)
    texts = [t.get_text() for t in ax.texts if t.get_text()]  # arrows are empty annotations
    assert len(texts) == len(f.graph())
    assert any(t.startswith("f = ×\n12\ngrad 1") for t in texts)
    assert any(t.startswith("x\n2\ngrad 12") for t in texts)
    plt.close("all")
    with pytest.raises(TypeError, match="expects an nnlib Value"):
        draw_graph(3.0)
