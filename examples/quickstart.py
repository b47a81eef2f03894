"""Quickstart: build a tiny expression, backpropagate, and verify the gradients two ways.

Run: ``python examples/quickstart.py``
"""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck


def f(x: tg.Tensor, w: tg.Tensor) -> tg.Tensor:
    """y = sum(tanh(x * w)) + mean(x^2)"""
    return (x * w).tanh().sum() + (x**2).mean()


def main() -> dict[str, np.ndarray]:
    x = tg.Tensor([1.0, -2.0, 3.0], requires_grad=True, name="x")
    w = tg.Tensor([0.5, 0.25, -0.5], requires_grad=True, name="w")
    y = f(x, w)
    y.backward()  # fills x.grad and w.grad
    print("y      =", round(y.item(), 6))
    print("dy/dx  =", x.grad)
    print("dy/dw  =", w.grad)

    # 1. against the derivative worked out by hand: d tanh(u) = 1 - tanh(u)^2, d mean(x^2)/dx = 2x/n
    t = np.tanh(x.data * w.data)
    by_hand_x = (1 - t**2) * w.data + 2 * x.data / x.size
    by_hand_w = (1 - t**2) * x.data
    print("matches the hand-derived formulas:", np.allclose(x.grad, by_hand_x) and np.allclose(w.grad, by_hand_w))

    # 2. against central finite differences, in float64
    x64, w64 = (tg.Tensor(v.data, dtype=np.float64, requires_grad=True) for v in (x, w))
    print("gradcheck (finite differences):", gradcheck(f, [x64, w64]))
    return {"x_grad": x.grad, "w_grad": w.grad, "by_hand_x": by_hand_x, "by_hand_w": by_hand_w}


if __name__ == "__main__":
    main()
