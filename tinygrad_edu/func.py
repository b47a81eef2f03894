r"""Functional transforms: vector-Jacobian and Jacobian-vector products, Jacobians, Hessians and
Hessian-vector products of a Python function, all by backpropagation (``tg.grad``).

The names and conventions are those of ``torch.autograd.functional`` (and JAX where it has the name): each
transform takes a function ``func`` and its ``inputs`` (a Tensor, or a tuple of Tensors passed to ``func``
as separate arguments), evaluates ``func`` at fresh copies of the inputs that require grad, and returns
numbers. For :math:`y = f(x)` with Jacobian :math:`J = \partial y / \partial x`:

=================  =====================================  ==============================================
transform          returns                                how
=================  =====================================  ==============================================
``vjp(f, x, u)``   :math:`(f(x),\ u^\top J)`              one backward pass (reverse mode)
``jvp(f, x, v)``   :math:`(f(x),\ J v)`                   the VJP of a VJP: two backward passes
``jacobian(f, x)`` :math:`J`, shape ``y.shape + x.shape``  one backward pass per element of :math:`y`
``hvp(f, x, v)``   :math:`(f(x),\ \nabla^2 f(x)\, v)`     reverse over reverse: two backward passes
``hessian(f, x)``  :math:`\nabla^2 f(x)`                  one Hessian-vector product per element of x
=================  =====================================  ==============================================

A Hessian-vector product never forms the Hessian: since the Hessian is the Jacobian of the gradient,

.. math:: \nabla^2 f(x)\, v = \nabla_x \langle \nabla f(x), v \rangle ,

so backpropagate once with ``create_graph=True`` to get :math:`\nabla f(x)` as a Tensor with a graph, take
its inner product with the constant :math:`v`, and backpropagate that scalar. It costs a small multiple
of one gradient (``benchmarks/hvp_cost.py`` measures it) and memory linear in the size of the graph.

Forward mode by the double-VJP trick: :math:`g(u) = J^\top u` is linear in :math:`u`, and its own VJP with
:math:`v` is :math:`\nabla_u \langle J^\top u, v\rangle = J v`. So a JVP is two reverse passes, with a
dummy :math:`u` (its value does not matter).

Results are numpy arrays (like ``tg.grad``), or Tensors with a graph when ``create_graph=True`` (so that
they can be differentiated again). A part of the output that does not depend on an input gives zeros (like
PyTorch's ``strict=False``). ``func``'s value comes back as a Tensor without a graph.

>>> import numpy as np, tinygrad_edu as tg
>>> f = lambda x: (x ** 3).sum()                       # Hessian diag(6 x)
>>> x = tg.Tensor(np.array([1.0, 2.0]))
>>> value, hv = tg.hvp(f, x, np.array([1.0, 1.0]))
>>> value.item(), hv
(9.0, array([ 6., 12.]))
>>> tg.hessian(f, x)
array([[ 6.,  0.],
       [ 0., 12.]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .tensor import Tensor, enable_grad, grad, stack

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "HessianOperator"]

Inputs = Tensor | Sequence[Any]


# --------------------------------------------------------------------------------------------------------
# inputs, outputs and vectors
# --------------------------------------------------------------------------------------------------------


def _leaves(inputs: Any, fn: str) -> tuple[bool, list[Tensor]]:
    """``(is_tuple, leaves)``: fresh leaves that require grad, sharing the inputs' data (a Tensor, an array-like,
    or a tuple/list of them). Integer inputs are refused: they cannot require grad."""
    is_tuple = isinstance(inputs, (tuple, list))
    items = list(inputs) if is_tuple else [inputs]
    if is_tuple and not items:
        raise ValueError(f"{fn}: inputs is an empty sequence; pass a Tensor or a tuple of Tensors")
    leaves = []
    for i, x in enumerate(items):
        t = x if isinstance(x, Tensor) else Tensor(x)
        if t.dtype.kind != "f":
            raise TypeError(
                f"{fn}: input {i} has dtype {t.dtype}; only floating-point inputs can be differentiated, "
                "pass e.g. x.astype(np.float64)"
            )
        leaves.append(Tensor(t.data, requires_grad=True, name=t.name))
    return is_tuple, leaves


def _call(func: Callable[..., Any], leaves: list[Tensor], fn: str) -> tuple[bool, list[Tensor]]:
    """Evaluate ``func(*leaves)`` with grad enabled; ``(is_tuple, outputs)``, every output a Tensor."""
    if not callable(func):
        raise TypeError(f"{fn}: func must be a function of the inputs returning a Tensor, got {type(func).__name__}")
    with enable_grad():
        out = func(*leaves)
    is_tuple = isinstance(out, (tuple, list))
    outputs = list(out) if is_tuple else [out]
    for k, o in enumerate(outputs):
        if not isinstance(o, Tensor):
            what = f"output {k}" if is_tuple else "the output"
            raise TypeError(f"{fn}: func must return a Tensor (or a tuple of Tensors); {what} is {type(o).__name__}")
    return is_tuple, outputs


def _scalar_output(func: Callable[..., Any], leaves: list[Tensor], fn: str) -> Tensor:
    """``func(*leaves)``, which must be one Tensor with one element (a loss)."""
    is_tuple, outputs = _call(func, leaves, fn)
    if is_tuple or outputs[0].size != 1:
        got = f"a tuple of {len(outputs)} Tensors" if is_tuple else f"a Tensor of shape {outputs[0].shape}"
        raise ValueError(
            f"{fn}: func must return a single one-element Tensor (a scalar loss), got {got}; reduce it, e.g. .sum()"
        )
    return outputs[0]


def _vectors(v: Any, like: list[Tensor], is_tuple: bool, fn: str, name: str, what: str) -> list[np.ndarray]:
    """``v`` as arrays of the shapes of ``like`` (same structure: one array, or a tuple with one per entry)."""
    items = list(v) if isinstance(v, (tuple, list)) and is_tuple else [v]
    if is_tuple and not isinstance(v, (tuple, list)):
        raise ValueError(f"{fn}: there are {len(like)} {what}s, so {name} must be a tuple of {len(like)} arrays")
    if len(items) != len(like):
        raise ValueError(
            f"{fn}: {name} has {len(items)} entries but there are {len(like)} {what}s; pass one per {what}"
        )
    arrays = []
    for i, (vi, t) in enumerate(zip(items, like, strict=True)):
        arr = np.asarray(vi.data if isinstance(vi, Tensor) else vi)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{fn}: {name} must hold numbers, got dtype {arr.dtype} for {what} {i}")
        if arr.shape != t.shape:
            where = f" for {what} {i}" if len(like) > 1 else ""
            raise ValueError(
                f"{fn}: {name} has shape {arr.shape}{where} but the {what} has shape {t.shape}; "
                f"{name} must have the {what}'s shape"
            )
        arrays.append(arr.astype(t.dtype, copy=False))
    return arrays


def _pack(items: list[Any], is_tuple: bool) -> Any:
    return tuple(items) if is_tuple else items[0]


def _finish(g: Any, like: Tensor, create_graph: bool) -> Any:
    """A gradient as the transforms return it: zeros for ``None`` (no dependence); an array, or a Tensor under
    ``create_graph``."""
    if g is None:
        zeros = np.zeros(like.shape, dtype=like.dtype)
        return Tensor(zeros) if create_graph else zeros
    if create_graph:
        return g
    return np.array(g.data if isinstance(g, Tensor) else g, dtype=like.dtype, copy=True)


def _detached(t: Tensor, create_graph: bool) -> Tensor:
    return t if create_graph else t.detach()


def _grads(output: Tensor, leaves: list[Tensor], seed: Any, create_graph: bool, retain: bool = False) -> list[Any]:
    """``tg.grad(output, leaves, seed)``, with ``None`` for every leaf when ``output`` has no graph at all
    (it does not depend on any leaf, e.g. a constant)."""
    if not output.requires_grad:
        return [None] * len(leaves)
    return list(grad(output, leaves, grad_outputs=seed, retain_graph=retain or create_graph, create_graph=create_graph))


def _pairing(tensors: list[Any], vectors: list[Any]) -> Tensor | None:
    r""":math:`\sum_i \langle t_i, v_i\rangle` as a Tensor with a graph, over the entries that have one (``None``
    when none does: the sum is then a constant and its gradient zero)."""
    total = None
    for t, v in zip(tensors, vectors, strict=True):
        if isinstance(t, Tensor) and t.requires_grad:
            term = (t * v).sum()
            total = term if total is None else total + term
    return total


# --------------------------------------------------------------------------------------------------------
# the transforms
# --------------------------------------------------------------------------------------------------------


def vjp(func: Callable[..., Any], inputs: Inputs, v: Any = None, create_graph: bool = False) -> tuple[Any, Any]:
    r"""The vector-Jacobian product :math:`u^\top J` of ``func`` at ``inputs``: one backward pass.

    Parameters
    ----------
    func : callable
        Takes the inputs (as separate arguments) and returns a Tensor or a tuple of Tensors.
    inputs : Tensor, array-like, or tuple of them
        The point :math:`x`. They are not modified, and their ``.grad`` is not touched.
    v : array-like or tuple, optional
        :math:`u`, of the output's shape (one per output for a tuple). May be omitted for a one-element
        output (:math:`u = 1`: the gradient).
    create_graph : bool, default False
        Return Tensors with a graph, to differentiate the result again.

    Returns
    -------
    (output, vjp)
        ``func``'s value (a Tensor, or a tuple of them) and :math:`u^\top J` with the structure and shapes of
        ``inputs``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> A = tg.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> tg.vjp(lambda x: A @ x, tg.Tensor(np.ones(2)), np.array([1.0, 0.0]))[1]   # u^T A
    array([1., 2.])
    """
    in_tuple, leaves = _leaves(inputs, "vjp")
    out_tuple, outputs = _call(func, leaves, "vjp")
    if v is None:
        if out_tuple or outputs[0].size != 1:
            shapes = [o.shape for o in outputs]
            raise ValueError(f"vjp: v is needed for outputs of shapes {shapes}; pass v with the output's shape")
        vectors = [np.ones(outputs[0].shape, dtype=outputs[0].dtype)]
    else:
        vectors = _vectors(v, outputs, out_tuple, "vjp", "v", "output")
    if len(outputs) == 1:
        gs = _grads(outputs[0], leaves, vectors[0], create_graph)
    else:
        total = _pairing(outputs, vectors)
        gs = [None] * len(leaves) if total is None else _grads(total, leaves, None, create_graph)
    result = [_finish(g, x, create_graph) for g, x in zip(gs, leaves, strict=True)]
    return _pack([_detached(o, create_graph) for o in outputs], out_tuple), _pack(result, in_tuple)


def jvp(func: Callable[..., Any], inputs: Inputs, v: Any = None, create_graph: bool = False) -> tuple[Any, Any]:
    r"""The Jacobian-vector product :math:`J v` (forward mode) of ``func`` at ``inputs``, by the double-VJP trick.

    :math:`g(u) = J^\top u` is linear in :math:`u`; backpropagating :math:`\langle g(u), v\rangle` to :math:`u`
    gives :math:`J v`. Two backward passes, whatever the sizes: the directional derivative of every output
    along :math:`v`, :math:`\frac{d}{dt} f(x + t v)` at :math:`t = 0`.

    Parameters
    ----------
    func : callable
        Takes the inputs and returns a Tensor or a tuple of Tensors.
    inputs : Tensor, array-like, or tuple of them
        The point :math:`x`.
    v : array-like or tuple, optional
        The direction, with the structure and shapes of ``inputs``; may be omitted when there is one input
        with one element.
    create_graph : bool, default False
        Return Tensors with a graph.

    Returns
    -------
    (output, jvp)
        ``func``'s value and :math:`J v`, with the structure and shapes of the output.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> f = lambda x: x ** 2                              # J = diag(2 x)
    >>> tg.jvp(f, tg.Tensor(np.array([1.0, 3.0])), np.array([1.0, 1.0]))[1]
    array([2., 6.])
    """
    in_tuple, leaves = _leaves(inputs, "jvp")
    out_tuple, outputs = _call(func, leaves, "jvp")
    if v is None:
        if in_tuple or leaves[0].size != 1:
            raise ValueError(f"jvp: v is needed for inputs of shapes {[x.shape for x in leaves]}; pass the direction")
        directions = [np.ones(leaves[0].shape, dtype=leaves[0].dtype)]
    else:
        directions = _vectors(v, leaves, in_tuple, "jvp", "v", "input")
    dummies = [Tensor(np.zeros(o.shape, dtype=o.dtype), requires_grad=True) for o in outputs]
    with enable_grad():
        if len(outputs) == 1:
            transposed = _grads(outputs[0], leaves, dummies[0], create_graph=True)  # J^T u, linear in u
        else:
            total = _pairing(outputs, dummies)
            transposed = [None] * len(leaves) if total is None else _grads(total, leaves, None, create_graph=True)
        pairing = _pairing(transposed, directions)  # <J^T u, v>
    gs = [None] * len(outputs) if pairing is None else _grads(pairing, dummies, None, create_graph)
    result = [_finish(g, o, create_graph) for g, o in zip(gs, outputs, strict=True)]
    return _pack([_detached(o, create_graph) for o in outputs], out_tuple), _pack(result, out_tuple)


def jacobian(func: Callable[..., Any], inputs: Inputs, create_graph: bool = False) -> Any:
    r"""The Jacobian :math:`J_{kj} = \partial y_k / \partial x_j` of ``func`` at ``inputs``: one backward pass
    per output element (row), so cheap for few outputs and many inputs.

    Parameters
    ----------
    func : callable
        Takes the inputs and returns a Tensor or a tuple of Tensors.
    inputs : Tensor, array-like, or tuple of them
        The point :math:`x`.
    create_graph : bool, default False
        Return Tensors with a graph.

    Returns
    -------
    array, or tuple
        For one output and one input, an array of shape ``output.shape + input.shape``. For a tuple of inputs,
        a tuple with one such block per input; for a tuple of outputs, a tuple per output (of blocks, or of
        tuples of blocks when the inputs are a tuple too): PyTorch's ``torch.autograd.functional.jacobian``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> tg.jacobian(lambda x: x.sum(axis=0), tg.Tensor(np.ones((2, 3)))).shape
    (3, 2, 3)
    """
    in_tuple, leaves = _leaves(inputs, "jacobian")
    out_tuple, outputs = _call(func, leaves, "jacobian")
    per_output = [jacobian_blocks(o, leaves, create_graph) for o in outputs]
    return _pack([_pack(blocks, in_tuple) for blocks in per_output], out_tuple)


def jacobian_blocks(output: Tensor, leaves: list[Tensor], create_graph: bool) -> list[Any]:
    """The blocks ``d output / d leaf`` (shape ``output.shape + leaf.shape``), one backward pass per element of
    ``output``, for Tensors already in a graph (what :func:`jacobian` and ``tg.gradcheck.jacobian`` share)."""
    rows: list[list[Any]] = [[] for _ in leaves]
    for k in range(output.size):
        seed = np.zeros(output.shape, dtype=output.dtype)
        seed.reshape(-1)[k] = 1
        gs = _grads(output, leaves, seed, create_graph, retain=True)
        for i, (g, x) in enumerate(zip(gs, leaves, strict=True)):
            rows[i].append(_finish(g, x, create_graph))
    return [_stack_rows(r, output.shape, x, create_graph) for r, x in zip(rows, leaves, strict=True)]


def _stack_rows(rows: list[Any], out_shape: tuple[int, ...], x: Tensor, create_graph: bool) -> Any:
    shape = out_shape + x.shape
    if not rows:  # an output with no elements
        zeros = np.zeros(shape, dtype=x.dtype)
        return Tensor(zeros) if create_graph else zeros
    if create_graph:
        return stack(rows, axis=0).reshape(shape)
    return np.stack(rows, axis=0).reshape(shape)


def hvp(func: Callable[..., Any], inputs: Inputs, v: Any, create_graph: bool = False) -> tuple[Tensor, Any]:
    r"""The Hessian-vector product :math:`\nabla^2 f(x)\, v` of a scalar ``func``, by reverse over reverse:
    :math:`\nabla_x \langle \nabla f(x), v\rangle`. The Hessian is never formed.

    Parameters
    ----------
    func : callable
        Takes the inputs and returns a one-element Tensor.
    inputs : Tensor, array-like, or tuple of them
        The point :math:`x`.
    v : array-like or tuple
        The vector, with the structure and shapes of ``inputs``.
    create_graph : bool, default False
        Return Tensors with a graph (third derivatives).

    Returns
    -------
    (output, hvp)
        ``func``'s value and :math:`H v`, with the structure and shapes of ``inputs``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> f = lambda w: 0.5 * (w * (tg.Tensor(A) @ w)).sum()  # f = w'Aw / 2, Hessian A (A symmetric)
    >>> tg.hvp(f, tg.Tensor(np.zeros(2)), np.array([1.0, 0.0]))[1]
    array([2., 1.])
    """
    in_tuple, leaves = _leaves(inputs, "hvp")
    vectors = _vectors(v, leaves, in_tuple, "hvp", "v", "input")
    output = _scalar_output(func, leaves, "hvp")
    with enable_grad():
        gradient = _grads(output, leaves, None, create_graph=True)
        pairing = _pairing(gradient, vectors)
    gs = [None] * len(leaves) if pairing is None else _grads(pairing, leaves, None, create_graph)
    result = [_finish(g, x, create_graph) for g, x in zip(gs, leaves, strict=True)]
    return _detached(output, create_graph), _pack(result, in_tuple)


def hessian(func: Callable[..., Any], inputs: Inputs, create_graph: bool = False) -> Any:
    r"""The Hessian :math:`H_{ij} = \partial^2 f / \partial x_i \partial x_j` of a scalar ``func``: the Jacobian
    of its gradient, one backward pass through the gradient's graph per element of the inputs.

    Parameters
    ----------
    func : callable
        Takes the inputs and returns a one-element Tensor.
    inputs : Tensor, array-like, or tuple of them
        The point :math:`x`.
    create_graph : bool, default False
        Return Tensors with a graph.

    Returns
    -------
    array or tuple of tuples
        For one input of shape ``s``, an array of shape ``s + s``. For a tuple of inputs, ``H[i][j]`` is the
        block :math:`\partial^2 f/\partial x_i \partial x_j` of shape ``x_i.shape + x_j.shape`` (PyTorch's
        layout). For the whole matrix of a vector, ``reshape(n, n)``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> tg.hessian(lambda x, y: (x * y).sum(), (tg.Tensor(np.array([1.0])), tg.Tensor(np.array([2.0]))))
    ((array([[0.]]), array([[1.]])), (array([[1.]]), array([[0.]])))
    """
    in_tuple, leaves = _leaves(inputs, "hessian")
    output = _scalar_output(func, leaves, "hessian")
    with enable_grad():
        gradient = _grads(output, leaves, None, create_graph=True)
    blocks: list[list[Any]] = []
    for gi, xi in zip(gradient, leaves, strict=True):
        if isinstance(gi, Tensor) and gi.requires_grad:
            row = jacobian_blocks(gi, leaves, create_graph)
        else:  # a gradient with no graph: constant in x, so this row of the Hessian is zero
            row = [_finish(None, Tensor(np.zeros(xi.shape + xj.shape, dtype=xj.dtype)), create_graph) for xj in leaves]
        blocks.append(row)
    return _pack([_pack(row, in_tuple) for row in blocks], in_tuple)


class HessianOperator:
    r"""The Hessian of a scalar ``loss`` with respect to ``params`` as a linear operator on flat vectors:
    ``op(v)`` is :math:`Hv`, one backward pass through the retained graph of the gradient each time.

    What iterative methods need (conjugate gradients in ``tg.optim.Newton``, Lanczos and power iteration in
    ``tg.train.curvature``): the gradient is built once with a graph, and every product reuses it, so a
    product costs one backward pass through the gradient's graph instead of a forward and two backwards.

    Parameters
    ----------
    loss : Tensor
        A one-element Tensor computed from ``params`` with grad enabled (its graph not yet freed).
    params : sequence of Tensors
        The variables (leaves, usually a model's parameters). Vectors are flat, over ``params`` in order.
    grads : sequence, optional
        Gradients of ``loss`` that carry a graph (e.g. each ``p.grad`` after ``loss.backward(create_graph=True)``);
        computed from ``loss`` when omitted.
    where : str, default "HessianOperator"
        The name in error messages.

    Attributes
    ----------
    n : int
        The number of variables. ``loss`` : float and ``gradient`` : float64 array of length ``n``.
    calls : int
        Products computed so far.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> w = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> op = tg.func.HessianOperator((w ** 3).sum(), [w])      # H = diag(6 w)
    >>> op(np.array([1.0, 1.0])), op.gradient
    (array([ 6., 12.]), array([ 3., 12.]))
    """

    def __init__(
        self, loss: Tensor, params: Sequence[Tensor], grads: Sequence[Any] | None = None, where: str = "HessianOperator"
    ) -> None:
        self.params = list(params)
        if not isinstance(loss, Tensor) or loss.size != 1:
            got = f"shape {loss.shape}" if isinstance(loss, Tensor) else type(loss).__name__
            raise ValueError(f"{where}: the loss must be a one-element Tensor, got {got}")
        self.n = sum(p.size for p in self.params)
        self.calls = 0
        self.loss = float(loss.data)
        if grads is None:
            with enable_grad():
                grads = _grads(loss, self.params, None, create_graph=True)
        self._grads = [g if isinstance(g, Tensor) and g.requires_grad else None for g in grads]
        self.gradient = self._flat(grads)

    def _flat(self, pieces: Sequence[Any]) -> np.ndarray:
        return np.concatenate(
            [
                np.zeros(p.size) if g is None else np.asarray(getattr(g, "data", g), np.float64).ravel()
                for g, p in zip(pieces, self.params, strict=True)
            ]
        )

    def __call__(self, v: np.ndarray) -> np.ndarray:
        """:math:`Hv` for a flat vector ``v`` of length :attr:`n` (computed in the parameters' dtype, returned
        in float64)."""
        self.calls += 1
        pieces, start = [], 0
        for p in self.params:
            pieces.append(np.asarray(v[start : start + p.size]).reshape(p.shape).astype(p.dtype))
            start += p.size
        with enable_grad():
            pairing = _pairing(self._grads, pieces)
        if pairing is None:  # the gradient is constant: the loss is linear (or constant) in the parameters
            return np.zeros(self.n)
        return self._flat(grad(pairing, self.params, retain_graph=True))

    def matrix(self) -> np.ndarray:
        """The whole (n, n) Hessian, one product per unit vector, symmetrised (symmetric in exact arithmetic,
        rounding makes it slightly not): for small problems only (n products, n^2 floats)."""
        H = np.column_stack([self(e) for e in np.eye(self.n)]) if self.n else np.zeros((0, 0))
        return 0.5 * (H + H.T)
