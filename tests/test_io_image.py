"""Portrait loading: EXIF rotation, greyscale, alpha, formats, and the refusals."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from talkingface.errors import InputError, UnreadableImageError
from talkingface.io.image import load_portrait


def test_exif_rotation_is_applied(samples, tmp_path):
    img = Image.open(samples.grace_hopper)  # 512 wide, 600 tall
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° CW to display"
    path = tmp_path / "rotated.jpg"
    img.save(path, exif=exif.tobytes())
    rgb = load_portrait(path)
    assert rgb.shape[:2] == (img.width, img.height)


def test_greyscale_becomes_three_equal_channels(samples, tmp_path):
    path = tmp_path / "grey.png"
    Image.open(samples.astronaut).convert("L").save(path)
    rgb = load_portrait(path)
    assert rgb.shape == (512, 512, 3)
    assert np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])


def test_transparent_pixels_become_white(samples, tmp_path):
    rgba = Image.open(samples.astronaut).convert("RGBA")
    alpha = np.full((512, 512), 255, np.uint8)
    alpha[:50] = 0
    rgba.putalpha(Image.fromarray(alpha))
    path = tmp_path / "cutout.png"
    rgba.save(path)
    rgb = load_portrait(path)
    assert (rgb[:50] == 255).all() and not (rgb[100:] == 255).all()


@pytest.mark.parametrize("fmt", ["WEBP", "BMP", "JPEG"])
def test_other_formats_load(samples, tmp_path, fmt):
    path = tmp_path / f"portrait.{fmt.lower()}"
    Image.open(samples.astronaut).save(path, format=fmt)
    reference = np.asarray(Image.open(samples.astronaut).convert("RGB")).astype(int)
    rgb = load_portrait(path)
    assert rgb.shape == (512, 512, 3) and np.abs(rgb.astype(int) - reference).mean() < 6


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"hello"])
def test_unreadable_images(tmp_path, content):
    path = tmp_path / "broken.png"
    path.write_bytes(content)
    with pytest.raises(UnreadableImageError) as info:
        load_portrait(path)
    assert "\n" not in str(info.value)


def test_huge_image_is_refused_before_decoding(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("RGB", (20000, 8), (128, 128, 128)).save(path)
    with pytest.raises(InputError, match="downscale"):
        load_portrait(path)
