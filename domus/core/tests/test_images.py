"""The shared image check: the pixel budget is read from the header, before decoding."""

import io
import struct
import warnings

import pytest
from PIL import Image

from domus.core.exceptions import ValidationFailed
from domus.core.images import image_check, install_pillow_limits
from domus.core.tests.images import png_bomb


def test_the_bomb_is_small_on_disk_and_declares_13000_squared():
    data = png_bomb()

    assert len(data) < 512 * 1024
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (13_000, 13_000)


@pytest.mark.parametrize("size", [(13_000, 13_000), (7_000, 7_000)])
def test_an_image_over_the_budget_is_refused_naming_the_limit(size):
    with pytest.raises(ValidationFailed) as refused:
        image_check(io.BytesIO(png_bomb(*size)))

    assert "40,000,000 pixels" in refused.value.detail
    assert "40,000,000 pixels" in refused.value.errors["file"][0]


def test_the_budget_is_a_setting(settings):
    settings.IMAGE_MAX_PIXELS = 100 * 100
    buffer = io.BytesIO()
    Image.new("RGB", (101, 100)).save(buffer, "PNG")

    with pytest.raises(ValidationFailed) as refused:
        image_check(buffer)

    assert refused.value.errors == {"file": ["At most 10,000 pixels (width x height) (101 x 100 given)."]}


def test_pillow_itself_refuses_what_the_budget_refuses():
    with warnings.catch_warnings():
        warnings.resetwarnings()  # as in production: no test runner's filters
        install_pillow_limits()

        assert Image.MAX_IMAGE_PIXELS == 40_000_000
        with pytest.raises(Image.DecompressionBombWarning):
            Image.open(io.BytesIO(png_bomb(7_000, 7_000)))
