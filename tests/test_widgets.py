"""nnlib.widgets: one explorer gives a live widget and a no-kernel HTML fallback."""
import io
import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnlib.widgets import (INLINE_DPI, LIVE_SCALE, RUN_NOTE, WIDGET_VIEW, Dropdown, Slider,
                           _flat_index, explore, figure_png)


def draw_line(w, b=0.0, kind="linear"):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    x = np.linspace(-1, 1, 5)
    ax.plot(x, w * x + b if kind == "linear" else np.tanh(w * x + b))
    print(f"w={w:g} b={b:g} kind={kind}")
    return fig


def data_of(html):
    m = re.search(r'<script type="application/json" class="nnlib-data">(.*?)</script>', html)
    assert m, "the fallback must carry its frames as JSON"
    return json.loads(m.group(1))


def test_lists_become_sliders_and_dropdowns():
    ex = explore(draw_line, w=[-1, 0, 1], kind=["linear", "tanh"])
    assert isinstance(ex.controls["w"], Slider)
    assert isinstance(ex.controls["kind"], Dropdown)
    assert ex.controls["w"].value == 0  # sliders start in the middle
    assert ex.controls["kind"].value == "linear"  # dropdowns start at the first option
    assert len(ex.grid) == 6


def test_frames_follow_grid_order_and_capture_printed_text():
    ex = explore(draw_line, w=[1, 2], b=[0.0, 0.5])
    frames = ex.frames()
    assert [f.text for f in frames] == [f"w={w:g} b={b:g} kind=linear"
                                        for w, b in ex.grid]
    assert all(f.data[:4] == b"RIFF" and f.data[8:12] == b"WEBP" for f in frames)


def test_flat_index_matches_grid_order():
    ex = explore(draw_line, w=[1, 2, 3], b=[0, 1], kind=["linear", "tanh"])
    sizes = [3, 2, 2]
    for k, key in enumerate(ex.grid):
        idx = [ex.controls[n].values.index(v) if isinstance(ex.controls[n], Slider)
               else ex.controls[n].options.index(v) for n, v in zip(ex.controls, key)]
        assert _flat_index(idx, sizes) == k


def test_html_fallback_is_self_contained_and_complete():
    ex = explore(draw_line, title="a line", w=Slider([1, 2, 3], value=2),
                 kind=Dropdown(["linear", "tanh"]))
    html = ex.to_html()
    data = data_of(html)
    assert data["sizes"] == [3, 2]
    assert len(data["frames"]) == 6
    assert all(0 <= i < len(data["images"]) for i, _ in data["frames"])
    assert html.count('type="range"') == 1 and html.count("<select") == 1
    assert 'value="1"' in html  # the slider starts at index 1 (value 2)
    assert "http" not in html  # nothing fetched from anywhere
    # the picture shown before any script runs is the start frame
    start = data["frames"][_flat_index([1, 0], [3, 2])]
    assert f'src="data:image/webp;base64,{data["images"][start[0]]}"' in html


def test_identical_pictures_are_stored_once():
    def ignores_b(w, b):
        return draw_line(w)
    html = explore(ignores_b, w=[1, 2], b=[0, 1, 2]).to_html()
    data = data_of(html)
    assert len(data["frames"]) == 6 and len(data["images"]) == 2


def test_html_is_reproducible():
    a = explore(draw_line, w=[1, 2]).to_html()
    b = explore(draw_line, w=[1, 2]).to_html()
    assert a == b


def test_mimebundle_offers_widget_view_and_html():
    bundle = explore(draw_line, w=[1, 2])._repr_mimebundle_()
    assert set(bundle) >= {"text/plain", "text/html", WIDGET_VIEW}
    assert "2 frames" in bundle["text/plain"]


def test_live_widget_shows_the_frame_of_the_chosen_values():
    ex = explore(draw_line, w=[1, 2, 3])
    box = ex.widget()
    slider = box.children[0].children[0]
    image = box.children[1]
    assert image.value == ex.live_frame(w=2).data
    slider.value = 3
    assert image.value == ex.live_frame(w=3).data
    assert "w=3" in box.children[2].value


def test_live_picture_is_sharp_at_the_size_of_a_chapter_figure():
    from PIL import Image

    ex = explore(draw_line, w=[1, 2, 3])
    box = ex.widget()
    image = box.children[1]
    fig = draw_line(2)
    width_px = fig.get_figwidth() * INLINE_DPI
    assert image.layout.width == f"{round(width_px)}px"
    # twice as many pixels as it is shown wide (HiDPI), unlike the fallback's 80-dpi frames
    assert Image.open(io.BytesIO(image.value)).size[0] == round(width_px * LIVE_SCALE)


def test_live_step_gives_a_finer_live_slider_than_the_frames():
    ex = explore(draw_line, w=Slider([1, 2, 3], value=2, live_step=0.25))
    box = ex.widget()
    slider = box.children[0].children[0]
    slider.value = 2.25  # between two precomputed frames
    assert "w=2.25" in box.children[2].value
    assert len(ex.frames()) == 3  # the book still gets the three frames


def test_no_kernel_view_says_how_to_use_the_sliders():
    page = explore(draw_line, w=[1, 2]).to_html()
    assert RUN_NOTE in page  # shown where the script cannot run (untrusted JupyterLab)
    assert ".nnlib-run-note').hidden=true" in page  # hidden by the script everywhere else


def test_figure_png_is_small():
    fig = draw_line(1)
    png = figure_png(fig)
    plt.close(fig)
    assert png.startswith(b"\x89PNG") and len(png) < 20_000


@pytest.mark.parametrize("kwargs, error, message", [
    ({}, ValueError, "at least one control"),
    ({"w": 3}, TypeError, "control 'w' must be a Slider"),
    ({"w": []}, ValueError, "control 'w' has no values"),
    ({"w": Slider([1, 2], value=5)}, ValueError, "start value 5 is not one of"),
    ({"w": list(range(20)), "b": list(range(20))}, ValueError, "20 × 20 = 400 combinations"),
])
def test_bad_controls_are_explained(kwargs, error, message):
    with pytest.raises(error, match=message):
        explore(draw_line, **kwargs)


def test_frame_rejects_values_off_the_grid():
    ex = explore(draw_line, w=[1, 2])
    with pytest.raises(ValueError, match="w=1.5 is not one of"):
        ex.frame(w=1.5)


def test_draw_must_be_callable():
    with pytest.raises(TypeError, match="draw must be a function"):
        explore("not a function", w=[1])


def test_no_frames_mode_draws_nothing(monkeypatch):
    calls = []

    def draw(w):
        calls.append(w)
        return draw_line(w)
    monkeypatch.setenv("NNLIB_NO_FRAMES", "1")
    bundle = explore(draw, w=[1, 2])._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and "NNLIB_NO_FRAMES" in bundle["text/plain"]
    assert calls == []


def test_html_fallback_speaks_values_and_describes_the_frame():
    ex = explore(draw_line, title="a line", w=Slider([1, 2, 3], value=2, label="weight w"),
                 kind=Dropdown(["linear", "tanh"]))
    html = ex.to_html()
    data = data_of(html)
    assert 'aria-valuetext="2"' in html  # the slider says its value, not its position
    assert 'aria-live="polite"' in html  # the printed result is announced when it changes
    alt = re.search(r'<img class="nnlib-frame[^>]* alt="([^"]*)"', html).group(1)
    assert alt.startswith("a line (weight w = 2, kind = linear). Plot")
    assert len(data["alt"]) == len(data["frames"]) and data["alts"]
    # the frame is shown at the figure's size (2 x 1.5 in) with twice as many image pixels
    from PIL import Image
    import io
    frame = ex.frame(w=2)
    size = Image.open(io.BytesIO(frame.data)).size
    assert (frame.image.width, frame.image.height) == (200, 150)
    assert size == (400, 300)
    assert 'width="200" height="150"' in html
