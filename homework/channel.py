"""The narrow channel between the trusted grader and a student's kernel: plain data only.

Both sides use this file; inside the sandbox it is the only grader code the student's kernel
sees (mounted read-only next to :mod:`homework.kernel`). Messages are one JSON object per line.
A value crosses the channel as

* ``None``, ``bool``, ``int``, ``float`` (NaN and ±inf included), ``str`` — JSON itself;
* ``list`` → JSON list; ``tuple`` → ``{"$t": [...]}``; ``dict`` → ``{"$d": [[key, value], ...]}``;
* a numeric numpy array → ``{"$a": [dtype, shape, base64 bytes]}`` (kinds b, i, u, f only);
  a numpy scalar → ``{"$s": [dtype, base64 bytes]}`` (so ``type(x).__name__`` stays honest);
* an nnlib network or box → ``{"$net": [[config, ...], [array, ...]]}`` / ``{"$box": [config,
  [array, ...]]}``: its architecture and parameters, rebuilt from nnlib on the receiving side;
* a function of nnlib → ``{"$f": "module:qualname"}`` (named, never shipped);
* any other function the trusted side passes → ``{"$cb": id}``, a call-back: the student's kernel
  gets a stub that sends plain-data arguments back to the grader and receives plain data.

Nothing is ever pickled, and the decoder builds only the types above, so an object of a class the
student wrote (one whose ``__eq__`` always says True, or a class named ``int``) cannot reach the
trusted side: the student's encoder cannot express it, and a forged message decodes to plain data
or is refused.
"""
from __future__ import annotations

import base64
import json
import os
import select
import time

#: the largest message accepted from a student's kernel (bytes); bigger answers are refused
MAX_MESSAGE = 64 * 2**20
_KINDS = "biuf"
_MAX_DEPTH = 64


class ChannelError(Exception):
    """The other side sent something that is not a valid message, or went away."""


class KernelDied(ChannelError):
    """The student's kernel closed the channel (it exited or was killed)."""


class Unencodable(TypeError):
    """A value that cannot cross the channel as plain data."""


def _describe(x) -> str:
    t = type(x)
    return f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__qualname__


def encode(x, callback=None, depth: int = 0):
    """``x`` as JSON-ready plain data. ``callback(fn) -> id`` handles functions that are not
    nnlib's (None: refuse them)."""
    import numpy as np

    if depth > _MAX_DEPTH:
        raise Unencodable("the value is nested too deeply")
    t = type(x)
    if x is None or t in (bool, int, float, str):
        return x
    if t is list:
        return [encode(v, callback, depth + 1) for v in x]
    if t is tuple:
        return {"$t": [encode(v, callback, depth + 1) for v in x]}
    if t is dict:
        return {"$d": [[encode(k, callback, depth + 1), encode(v, callback, depth + 1)]
                       for k, v in x.items()]}
    if t is np.ndarray:
        if x.dtype.kind not in _KINDS:
            raise Unencodable(f"an array of dtype {x.dtype} (only numbers can be graded)")
        a = x if x.flags.c_contiguous else x.copy(order="C")
        return {"$a": [a.dtype.str, list(a.shape), base64.b64encode(a.tobytes()).decode()]}
    if isinstance(x, np.generic) and t.__module__ == "numpy":
        if x.dtype.kind not in _KINDS:
            raise Unencodable(f"a numpy scalar of dtype {x.dtype}")
        return {"$s": [x.dtype.str, base64.b64encode(x.tobytes()).decode()]}
    kind = _nnlib_kind(x)
    if kind == "net":
        return {"$net": [[l.config() for l in x.layers],
                         [encode(p, None, depth + 1) for _, p in x.parameters()]]}
    if kind == "box":
        return {"$box": [x.config(), [encode(p, None, depth + 1) for p in x.params.values()]]}
    if callable(x):
        mod, qual = getattr(x, "__module__", None) or "", getattr(x, "__qualname__", "")
        if (mod == "nnlib" or mod.startswith("nnlib.")) and "<" not in qual:
            return {"$f": f"{mod}:{qual}"}
        if callback is not None:
            return {"$cb": callback(x)}
    raise Unencodable(f"an object of type {_describe(x)}")


def _nnlib_kind(x):
    """'net' / 'box' for nnlib's own Sequential and Layer classes (exactly those, by identity)."""
    import sys

    network, layers = sys.modules.get("nnlib.network"), sys.modules.get("nnlib.layers")
    if network is not None and type(x) is network.Sequential:
        return "net"
    if layers is not None and isinstance(x, layers.Layer) \
            and type(x).__module__.startswith("nnlib."):
        return "box"
    return None


def decode(x, callback=None, depth: int = 0, functions: bool = True):
    """The value that ``encode`` turned into ``x``; ``callback(id)`` makes a stub for ``$cb``
    (None: refuse call-backs); ``functions=False`` refuses nnlib functions too (the trusted side
    accepts no callables from a student). Anything else is refused with :class:`ChannelError`."""
    import numpy as np

    if depth > _MAX_DEPTH:
        raise ChannelError("a value nested too deeply")
    t = type(x)
    if x is None or t in (bool, int, float, str):
        return x
    if t is list:
        return [decode(v, callback, depth + 1, functions) for v in x]
    if t is not dict or len(x) != 1:
        raise ChannelError(f"not a valid value: {str(x)[:80]}")
    (tag, v), = x.items()
    try:
        if tag == "$t":
            return tuple(decode(e, callback, depth + 1, functions) for e in _list(v))
        if tag == "$d":
            out = {}
            for pair in _list(v):
                k, val = _list(pair, 2)
                k = decode(k, callback, depth + 1, functions)
                if type(k) not in (str, int, float, bool, tuple) and k is not None:
                    raise ChannelError("a dictionary key that is not a plain value")
                out[k] = decode(val, callback, depth + 1, functions)
            return out
        if tag == "$a":
            dtype, shape, data = _list(v, 3)
            dt = np.dtype(str(dtype))
            if dt.kind not in _KINDS or dt.fields is not None or dt.subdtype is not None:
                raise ChannelError(f"an array of dtype {dt}")
            shape = tuple(int(s) for s in _list(shape))
            if len(shape) > 32 or any(s < 0 for s in shape):
                raise ChannelError("an array of an impossible shape")
            raw = base64.b64decode(str(data), validate=True)
            n = 1
            for s in shape:
                n *= s
            if n * dt.itemsize != len(raw):
                raise ChannelError("an array whose data does not fit its shape")
            return np.frombuffer(raw, dtype=dt).reshape(shape).copy()
        if tag == "$s":
            dtype, data = _list(v, 2)
            dt = np.dtype(str(dtype))
            raw = base64.b64decode(str(data), validate=True)
            if dt.kind not in _KINDS or dt.fields is not None or len(raw) != dt.itemsize:
                raise ChannelError("a numpy scalar that is not a number")
            return np.frombuffer(raw, dtype=dt)[0]
        if tag == "$net":
            configs, params = _list(v, 2)
            from nnlib.network import Sequential

            net = Sequential(_box_from_config(c) for c in _list(configs))
            _load_params([p for _, p in net.parameters()], params, callback, depth)
            return net
        if tag == "$box":
            config, params = _list(v, 2)
            box = _box_from_config(config)
            _load_params(list(box.params.values()), params, callback, depth)
            return box
        if tag == "$f" and functions:
            return _nnlib_function(str(v))
        if tag == "$cb" and callback is not None:
            return callback(int(v))
    except ChannelError:
        raise
    except Exception as e:  # malformed data of a known tag
        raise ChannelError(f"a malformed {tag} value ({type(e).__name__}: {e})") from None
    raise ChannelError(f"an unknown kind of value {tag!r}")


def _list(v, n=None):
    if type(v) is not list or (n is not None and len(v) != n):
        raise ChannelError("a malformed value")
    return v


def _box_from_config(config):
    from nnlib.network import layer_from_config

    if type(config) is not dict or not all(type(k) is str for k in config):
        raise ChannelError("a malformed layer description")
    for val in config.values():
        if val is not None and type(val) not in (bool, int, float, str):
            raise ChannelError("a layer description with a value that is not plain")
        if type(val) is int and abs(val) > 10**6:  # no layer of the book is this big
            raise ChannelError("a layer description with an impossible size")
    return layer_from_config(config)


def _load_params(targets, params, callback, depth):
    import numpy as np

    params = _list(params, len(targets))
    for target, p in zip(targets, params):
        p = decode(p, callback, depth + 1)
        if type(p) is not np.ndarray or p.shape != target.shape:
            raise ChannelError("network parameters of the wrong shape")
        target[...] = p


def _nnlib_function(name: str):
    import importlib

    mod, _, qual = name.partition(":")
    if not (mod == "nnlib" or mod.startswith("nnlib.")) or not qual:
        raise ChannelError(f"not a function of nnlib: {name!r}")
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        if part.startswith("_"):
            raise ChannelError(f"not a public function of nnlib: {name!r}")
        obj = getattr(obj, part)
    if not str(getattr(obj, "__module__", "")).startswith("nnlib") or not callable(obj):
        raise ChannelError(f"not a function of nnlib: {name!r}")
    return obj


class Channel:
    """One JSON message per line over two pipe file descriptors."""

    def __init__(self, read_fd: int, write_fd: int, max_message: int = MAX_MESSAGE):
        self.read_fd, self.write_fd, self.max_message = read_fd, write_fd, max_message
        self._buf = bytearray()

    def send(self, msg: dict) -> None:
        data = (json.dumps(msg, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        try:
            while view:
                n = os.write(self.write_fd, view)
                view = view[n:]
        except (BrokenPipeError, OSError) as e:
            raise KernelDied(f"the channel is closed ({e})") from None

    def recv(self, deadline: float | None = None) -> dict:
        """The next message; TimeoutError after ``deadline`` (a ``time.monotonic()`` value)."""
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line = bytes(self._buf[:end])
                del self._buf[:end + 1]
                try:
                    msg = json.loads(line)
                except (ValueError, RecursionError):
                    raise ChannelError("a message that is not JSON") from None
                if type(msg) is not dict:
                    raise ChannelError("a message that is not a JSON object")
                return msg
            if len(self._buf) > self.max_message:
                raise ChannelError(f"a message larger than {self.max_message // 2**20} MiB")
            if deadline is not None:
                wait = deadline - time.monotonic()
                if wait <= 0 or not select.select([self.read_fd], [], [], wait)[0]:
                    raise TimeoutError("no answer in time")
            try:
                chunk = os.read(self.read_fd, 1 << 20)
            except OSError as e:
                raise KernelDied(f"the channel is closed ({e})") from None
            if not chunk:
                raise KernelDied("the kernel closed the channel")
            self._buf += chunk
