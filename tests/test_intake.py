import io

import numpy as np
import pytest
from hostile import animated_gif, exif_rotated_jpeg, hostile_files, jpeg_bytes, photo_like, png_bytes
from PIL import Image

from snapscribe.config import IntakeConfig
from snapscribe.errors import IntakeError
from snapscribe.intake import decode

CFG = IntakeConfig()


@pytest.mark.parametrize("name", sorted(hostile_files()))
def test_hostile_file_gives_stable_error_code(name):
    data, code = hostile_files()[name]
    with pytest.raises(IntakeError) as info:
        decode(data, CFG)
    assert info.value.code == code
    assert info.value.message


def test_bomb_is_refused_from_header_without_decoding():
    data, _ = hostile_files()["bomb.png"]
    assert len(data) < 10_000  # the file is tiny; only its header claims 10 gigapixels
    with pytest.raises(IntakeError, match="decompression bomb"):
        decode(data, CFG)


def test_caps_are_configurable():
    data = jpeg_bytes(photo_like(400, 300))
    with pytest.raises(IntakeError) as info:
        decode(data, IntakeConfig(max_bytes=1000))
    assert info.value.code == "file_too_large"
    with pytest.raises(IntakeError) as info:
        decode(data, IntakeConfig(max_side=200))
    assert info.value.code == "dimensions_too_large"
    with pytest.raises(IntakeError) as info:
        decode(jpeg_bytes(photo_like(40, 8)), CFG)
    assert info.value.code == "image_too_small"


def test_exif_rotation_gives_upright_image_and_size():
    img = photo_like(320, 240)
    decoded = decode(exif_rotated_jpeg(img, orientation=6), CFG)
    assert decoded.exif_rotated
    assert decoded.image.size == (240, 320)
    assert decoded.upright_size == (240, 320)
    # Orientation 6 means "rotate 90° clockwise to view": the red block moves accordingly.
    arr = np.asarray(decoded.image).astype(int)
    expected = np.asarray(img.transpose(Image.Transpose.ROTATE_270)).astype(int)
    assert np.abs(arr - expected).mean() < 6


def test_cmyk_16bit_palette_alpha_and_animation_become_rgb():
    base = photo_like(120, 90)
    cmyk = io.BytesIO()
    base.convert("CMYK").save(cmyk, "JPEG")
    sixteen = Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257)
    palette = base.convert("RGBA")
    palette.putalpha(Image.new("L", base.size, 0))  # fully transparent -> white background
    pal = palette.convert("P", palette=Image.Palette.ADAPTIVE)
    pal.info["transparency"] = 0
    cases = {
        "cmyk": cmyk.getvalue(),
        "16bit": png_bytes(sixteen),
        "rgba": png_bytes(palette),
        "palette": png_bytes(pal, transparency=0),
        "gif": animated_gif(),
    }
    for name, data in cases.items():
        decoded = decode(data, CFG)
        assert decoded.image.mode == "RGB", name
    gif = decode(cases["gif"], CFG)
    assert gif.animated
    assert np.asarray(gif.image)[0, 0].tolist() == [255, 0, 0]  # the first frame
    sixteen_rgb = np.asarray(decode(cases["16bit"], CFG).image)
    assert 0 < sixteen_rgb.mean() < 255 and sixteen_rgb.max() > 100  # scaled, not clipped to white
    assert np.asarray(decode(cases["rgba"], CFG).image).min() >= 250  # transparent -> white


def test_jpeg_draft_decodes_big_photos_small_but_reports_full_size():
    big = photo_like(2400, 1600)
    decoded = decode(jpeg_bytes(big), CFG, draft_side=512)
    assert max(decoded.image.size) >= 512
    assert max(decoded.image.size) < 2400
    assert decoded.upright_size == (2400, 1600)
    assert decoded.scale_to_upright == pytest.approx(2400 / decoded.image.size[0])
