r"""A tiny reverse-mode automatic differentiation engine for scalars (chapter 4).

A ``Value`` holds a number (``data``), the derivative of the final output with respect to it
(``grad``), the values it was computed from, and a small function that passes its gradient back
to them — the chain rule, one operation at a time::

    x = Value(2.0, "x"); y = Value(3.0, "y")
    f = x * x * y            # f = x² y
    f.backward()
    x.grad, y.grad           # (∂f/∂x, ∂f/∂y) = (2xy, x²) = (12.0, 4.0)

``backward`` visits the values in reverse topological order, so a value that reaches the output
along several paths receives the **sum** of the contributions of all paths.
"""
from __future__ import annotations

import math
import numbers

from ._checks import describe


class Value:
    """A scalar in a computational graph. Supports ``+ - * / **`` and ``exp, log, tanh,
    sigmoid, relu``."""

    __slots__ = ("data", "grad", "label", "op", "_parents", "_backward")

    def __init__(self, data, label: str = "", *, _parents: tuple = (), _op: str = "") -> None:
        if isinstance(data, Value):
            raise TypeError("Value(...) takes a number; this is already a Value")
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"a Value holds a real number, got {describe(data)}")
        if not math.isfinite(data):
            raise ValueError(f"a Value must be finite, got {data}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = _op
        self._parents = _parents
        self._backward = lambda: None

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.4g}, grad={self.grad:.4g})"

    @property
    def parents(self) -> tuple["Value", ...]:
        """The values this one was computed from."""
        return self._parents

    @staticmethod
    def _wrap(other) -> "Value":
        if isinstance(other, Value):
            return other
        if isinstance(other, bool) or not isinstance(other, numbers.Real):
            raise TypeError(f"cannot combine a Value with {describe(other)}")
        return Value(other)

    # ----------------------------------------------------------- operations and local rules
    def __add__(self, other):
        other = self._wrap(other)
        out = Value(self.data + other.data, _parents=(self, other), _op="+")

        def _backward():  # ∂(a+b)/∂a = ∂(a+b)/∂b = 1
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = Value(self.data * other.data, _parents=(self, other), _op="×")

        def _backward():  # ∂(ab)/∂a = b, ∂(ab)/∂b = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        if isinstance(k, Value) or isinstance(k, bool) or not isinstance(k, numbers.Real):
            raise TypeError(f"only a number exponent is supported, got {describe(k)}")
        out = Value(self.data ** k, _parents=(self,), _op=f"^{k:g}")

        def _backward():  # ∂(a^k)/∂a = k a^(k-1)
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), _parents=(self,), _op="exp")

        def _backward():  # (e^a)' = e^a
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log needs a positive number, got {self.data}")
        out = Value(math.log(self.data), _parents=(self,), _op="log")

        def _backward():  # (ln a)' = 1/a
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, _parents=(self,), _op="tanh")

        def _backward():  # tanh' = 1 - tanh²
            self.grad += (1 - t * t) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        z = self.data
        s = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
        out = Value(s, _parents=(self,), _op="σ")

        def _backward():  # σ' = σ(1-σ)
            self.grad += s * (1 - s) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), _parents=(self,), _op="ReLU")

        def _backward():  # 1 for a > 0, else 0
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self._wrap(other))

    def __truediv__(self, other):
        return self * self._wrap(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    # ----------------------------------------------------------- backward pass
    def graph(self) -> list["Value"]:
        """Every value this one depends on (itself included), parents before children."""
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p in v._parents:
                    visit(p)
                order.append(v)
        visit(self)
        return order

    def backward(self) -> None:
        """Fill ``grad`` of every value in the graph with ∂(self)/∂(value).

        Gradients are reset first, so calling ``backward`` twice gives the same result.
        """
        order = self.graph()
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):  # children before parents: each grad is complete when used
            v._backward()
