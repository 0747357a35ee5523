"""The grader's plain-data channel: what crosses it comes back as the same plain value, and
anything else — a student's class, a pickled or malformed value, a function that is not nnlib's —
is refused."""
import os

import numpy as np
import pytest

import nnlib
from homework.channel import Channel, ChannelError, KernelDied, Unencodable, decode, encode
from homework.trusted import defined_names, split_hidden


@pytest.mark.parametrize("value", [1, 2.5, "text", None, True, [1, (2, 3.0)], (), {"a": [1]},
                                   {3: "x"}, np.float64(2.0), np.int64(3), np.array(0.5),
                                   np.arange(6).reshape(2, 3), np.zeros((2, 0)),
                                   np.array([True, False])])
def test_plain_values_round_trip_with_their_types(value):
    back = decode(encode(value))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
    else:
        assert back == value


def test_networks_are_rebuilt_by_nnlib():
    net = nnlib.mlp([3, 4, 2], seed=0)
    back = decode(encode(net))
    assert type(back) is nnlib.Sequential
    x = np.ones((2, 3))
    np.testing.assert_array_equal(back(x), net(x))


class int:  # noqa: A001 — the attack: a class named like a builtin, equal to everything
    def __eq__(self, other):
        return True


class Liar(np.ndarray):
    pass


@pytest.mark.parametrize("value", [int(), np.zeros(2).view(Liar), np.array(["a"]),
                                   np.array([object()]), lambda x: x, {1, 2}])
def test_student_objects_cannot_be_encoded(value):
    with pytest.raises(Unencodable):
        encode(value)


@pytest.mark.parametrize("message", [
    {"$a": ["|O", [1], "AAAAAAAAAAA="]}, {"$a": ["<f8", [2], "AAAAAAAAAAA="]},
    {"$s": ["<U1", "AAAAAA=="]}, {"$x": 1}, {"a": 1, "b": 2}, {"$f": "nnlib.network:os.system"},
    {"$f": "os:system"}, {"$cb": 0},
    {"$net": [[{"type": "Dense", "n_in": 10**7, "n_out": 2, "bias": True}], []]},
    {"$d": [[[1], 2]]}])
def test_malformed_or_forbidden_values_are_refused(message):
    with pytest.raises(ChannelError):
        decode(message, None, functions=False)


def test_nnlib_functions_are_sent_by_name():
    assert encode(nnlib.sigmoid) == {"$f": "nnlib.activations:sigmoid"}
    assert decode(encode(nnlib.sigmoid)) is nnlib.sigmoid
    with pytest.raises(ChannelError):
        decode(encode(nnlib.sigmoid), None, functions=False)  # the grader accepts no functions
    assert encode(lambda: 0, callback=lambda fn: 7) == {"$cb": 7}


def test_channel_frames_messages_and_limits_their_size():
    r, w = os.pipe()
    chan = Channel(r, w, max_message=20_000)
    chan.send({"op": "x", "v": [1, 2]})
    assert chan.recv(deadline=None) == {"op": "x", "v": [1, 2]}
    os.write(w, b"[" * 10_000 + b"]" * 10_000 + b"\n")  # nested too deeply for json
    with pytest.raises(ChannelError):
        chan.recv()
    os.write(w, b"x" * 30_000)  # no end of line in sight
    with pytest.raises(ChannelError):
        chan.recv()
    os.close(w)
    with pytest.raises(KernelDied):
        Channel(r, os.open(os.devnull, os.O_WRONLY)).recv()


def test_solution_names_and_hidden_split():
    assert defined_names("import numpy as np\nx = 1\na, (b, c) = 1, (2, 3)\n"
                         "def f():\n    y = 2\nclass K: pass\nfor i in []: pass\n") == \
        ["x", "a", "b", "c", "f", "K", "i"]
    visible, hidden = split_hidden("a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\n")
    assert visible == "a = 1\n" and hidden.startswith("### BEGIN HIDDEN TESTS\nb = 2")
    assert split_hidden("if x:\n    ### BEGIN HIDDEN TESTS\n    y\n") == \
        ("if x:\n    ### BEGIN HIDDEN TESTS\n    y\n", "")
