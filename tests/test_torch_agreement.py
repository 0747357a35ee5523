"""nnlib's gradients agree with PyTorch autograd in float64 (same weights, same batch), for every
hidden activation and loss that both libraries provide, to a relative difference of 1e-10.

PyTorch is optional: these tests are skipped without it. The comparison itself lives in
``benchmarks/agreement.py`` (``make bench`` shows its table in the book's appendix).
"""
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip(
    "torch", reason="PyTorch is not installed; install the CPU build with "
                    "`.venv/bin/pip install torch==2.13.0` to compare gradients with autograd")

import nnlib  # noqa: E402
from nnlib.losses import LOSSES  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "nnlib_benchmarks_agreement",
    Path(__file__).resolve().parents[1] / "benchmarks" / "agreement.py")
agreement = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(agreement)

TOLERANCE = 1e-10


def test_every_nnlib_activation_and_loss_is_compared_or_has_a_reason():
    assert set(nnlib.ACTIVATIONS) == set(agreement.ACTIVATIONS) | set(agreement.NOT_COMPARED)
    compared = {name.replace("_onehot", "") for name in agreement.LOSSES}
    assert compared == set(LOSSES)


@pytest.mark.parametrize("loss", agreement.LOSSES)
@pytest.mark.parametrize("activation", agreement.ACTIVATIONS)
def test_gradients_agree_with_torch_autograd(activation, loss):
    assert agreement.compare(activation, loss) <= TOLERANCE


def test_rel_diff():
    assert agreement.rel_diff([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert agreement.rel_diff([1.0, 2.0], [1.0, 4.0]) == 0.5
