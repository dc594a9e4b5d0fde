"""Scene and "stuff" cues from region colour and texture statistics.

The packaged models know objects, not scenes: ImageNet and COCO have no sky, sea,
grass, snow, night or sunset class. These cues fill that gap with measured region
statistics — a smooth bright band on top is sky, textured green below is grass, a
warm smooth upper half is a sunset sky, a dark frame with point lights is night.
Each cue is a score in 0..1; thresholds live in the tagger, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class SceneCues:
    sky: float = 0.0
    clouds: float = 0.0
    sunset: float = 0.0
    night: float = 0.0
    greenery: float = 0.0
    grass: float = 0.0
    trees: float = 0.0
    water: float = 0.0
    snow: float = 0.0
    sand: float = 0.0
    outdoor: float = 0.0
    sky_cover: float = 0.0  # share of the whole frame that looks like sky
    overcast: float = 0.0
    stars: float = 0.0  # a dark frame sprinkled with many small points of light
    uniform_texture: float = 0.0  # the same busy texture everywhere: a surface close-up
    blossom: float = 0.0  # vivid warm or pink patches set in green: flowers
    blades: float = 0.0  # green texture made of upright strokes: grass seen from the side

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in self.__dict__.items()}


def _local_texture(gray: np.ndarray) -> np.ndarray:
    g = gray.astype(np.float32)
    mean = cv2.blur(g, (7, 7))
    sq = cv2.blur(g * g, (7, 7))
    return np.sqrt(np.maximum(sq - mean * mean, 0))


def scene_cues(rgb: np.ndarray) -> SceneCues:
    """Measure scene cues on a small RGB array (the pipeline passes ~256 px)."""
    h, w = rgb.shape[:2]
    if h < 8 or w < 8:
        return SceneCues()
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hue = hsv[..., 0].astype(np.float32) * 2.0  # degrees 0..360
    sat = hsv[..., 1].astype(np.float32) / 255.0
    val = hsv[..., 2].astype(np.float32) / 255.0
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    tex = _local_texture(gray)
    smooth = tex < 6.0
    textured = tex > 10.0

    top = slice(0, h // 3)
    upper = slice(0, h // 2)
    lower = slice(h // 2, h)
    bottom = slice(2 * h // 3, h)

    blue_sky = (hue >= 185) & (hue <= 250) & (sat > 0.12) & (val > 0.35)
    grey_sky = (sat < 0.14) & (val > 0.62)
    warm = ((hue <= 45) | (hue >= 320)) & (sat > 0.3) & (val > 0.3)
    sky_px = (blue_sky | grey_sky | warm) & smooth
    sky_top = float(sky_px[top].mean())
    # Sky sits on top: require that the top rows are mostly sky-like and brighter than the bottom.
    brighter_on_top = float(val[top].mean() - val[bottom].mean())
    sky = float(np.clip((sky_top - 0.35) / 0.45, 0, 1) * np.clip(0.6 + brighter_on_top * 3, 0, 1))

    cloud_px = (sat < 0.25) & (val > 0.45) & (tex > 2.5) & (tex < 14)
    # Clouds need some blue sky around them; a flat pale frame could be a wall or a ceiling.
    clouds = (
        float(np.clip(cloud_px[upper].mean() / 0.25, 0, 1))
        * float(((blue_sky | grey_sky) & (tex < 14))[upper].mean() > 0.5)
        * float(blue_sky[upper].mean() > 0.08)
    )

    # Sunset: a bright, smooth sky in warm or pink tones above a darker ground, often with the sun.
    head = slice(0, int(h * 0.45))
    foot = slice(int(h * 0.7), h)
    glow = ((hue <= 50) | (hue >= 290)) & (sat > 0.15) & (sat < 0.85) & (val > 0.45) & (tex < 8)
    glow_head = float(glow[head].mean())
    ground_darker = float(np.clip((val[head].mean() - val[foot].mean()) / 0.2, 0, 1))
    sun_mask = (val > 0.97) & (sat < 0.35)
    sun_share = float(sun_mask[: int(h * 0.7)].mean())
    sun = float(0.0005 < sun_share < 0.06)
    glow_score = float(np.clip((glow_head - 0.12) / 0.3, 0, 1))
    sunset = float(
        np.clip(
            max(glow_score * (0.35 + 0.65 * ground_darker), sun * ground_darker * 0.7 * float(glow_head > 0.03)), 0, 1
        )
    )

    brightness = float(val.mean())
    lights = float((val > 0.85).mean())
    # Night: a dark frame with several small light sources (street lights, windows).
    n_lights = cv2.connectedComponents((val > 0.85).astype(np.uint8))[0] - 1 if brightness < 0.3 else 0
    night = float(np.clip((0.3 - brightness) / 0.15, 0, 1) * (1.0 if (0.001 < lights < 0.1 and n_lights >= 4) else 0.2))

    green = (hue >= 60) & (hue <= 170) & (sat > 0.18) & (val > 0.12)
    green_tex = green & textured
    greenery = float(np.clip(green_tex.mean() / 0.35, 0, 1))
    grass = float(np.clip(green_tex[lower].mean() / 0.45, 0, 1)) * float(
        green_tex[lower].mean() > green_tex[upper].mean() * 0.8
    )
    trees = float(np.clip(green_tex[upper].mean() / 0.35, 0, 1))

    water_px = (hue >= 170) & (hue <= 250) & (sat > 0.15) & (val > 0.15)
    water_lower = float(water_px[lower].mean())
    # Water below sky differs from it: a horizon (a step in colour) or waves (more texture).
    step = float(np.abs(rgb[top].reshape(-1, 3).mean(0) - rgb[bottom].reshape(-1, 3).mean(0)).max() / 255.0)
    waves = float(tex[lower].mean() - tex[top].mean())
    horizon = float(np.clip(max(step / 0.12, waves / 2.0), 0, 1))
    water = float(np.clip((water_lower - 0.2) / 0.4, 0, 1)) * float(np.clip(sky + 0.3, 0, 1)) * horizon
    # Cloudscapes are textured, so the frame-wide sky share uses a looser texture bound.
    sky_cover = float(((blue_sky | grey_sky | warm) & (tex < 14)).mean())
    overcast = float(np.clip((grey_sky & smooth)[upper].mean() / 0.6, 0, 1)) * float(blue_sky[upper].mean() < 0.15)

    snow_px = (sat < 0.12) & (val > 0.75)
    snow_tex = float(((tex > 2.0) & snow_px)[lower].mean())  # real snow has grain; a blank page has none
    snow = (
        float(np.clip((snow_px[lower].mean() - 0.35) / 0.4, 0, 1))
        * float(textured[lower].mean() < 0.6)
        * float(np.clip(snow_tex / 0.15, 0, 1))
    )

    sand_px = (hue >= 20) & (hue <= 50) & (sat > 0.12) & (sat < 0.55) & (val > 0.5)
    sand = float(np.clip((sand_px[bottom].mean() - 0.25) / 0.4, 0, 1))

    bright_pts = (val > 0.6).astype(np.uint8)
    n_points = cv2.connectedComponents(bright_pts)[0] - 1 if brightness < 0.25 else 0
    stars = float(
        np.clip((n_points - 40) / 120, 0, 1)
        * np.clip((0.25 - brightness) / 0.1, 0, 1)
        * float((val > 0.6).mean() < 0.08)
        * float(green.mean() < 0.2)
    )

    # Stationarity: texture energy and colour barely change from cell to cell.
    cells = [
        (
            tex[i * h // 4 : (i + 1) * h // 4, j * w // 4 : (j + 1) * w // 4].mean(),
            val[i * h // 4 : (i + 1) * h // 4, j * w // 4 : (j + 1) * w // 4].mean(),
        )
        for i in range(4)
        for j in range(4)
    ]
    energy = np.array([c[0] for c in cells])
    levels = np.array([c[1] for c in cells])
    busy = float(np.clip((energy.min() - 6.0) / 8.0, 0, 1))
    steady = float(np.clip(1.0 - (energy.std() / (energy.mean() + 1e-6)) / 0.35, 0, 1))
    even = float(np.clip(1.0 - levels.std() / 0.12, 0, 1))
    uniform_texture = busy * steady * even

    # Flower close-up: one large vivid warm/pink blob (petals) against green or dark bokeh.
    petals = ((hue >= 280) | (hue <= 65)) & (sat > 0.5) & (val > 0.3)
    blob = 0.0
    if petals.mean() > 0.05:
        n, _labels, stats, _ = cv2.connectedComponentsWithStats(petals.astype(np.uint8))
        blob = float(stats[1:, cv2.CC_STAT_AREA].max() / petals.size) if n > 1 else 0.0
    backdrop = float(((green & (sat > 0.15)) | (val < 0.2)).mean())
    centred = float(petals[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].mean() > petals.mean())
    blossom = float(
        np.clip((blob - 0.06) / 0.1, 0, 1)
        * float(blob < 0.9)
        * np.clip(backdrop / 0.15, 0, 1)
        * (0.6 + 0.4 * centred)
        * (1.0 - sunset)
    )

    # Grass blades stand upright: in green texture, edges across x outweigh edges across y
    # (measured gx/gy: a meadow 3.3; leaves, moss, forest, flower beds 0.9-1.5).
    blades = 0.0
    if green_tex.mean() >= 0.3:
        gx = np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3))
        gy = np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))
        edge = green & ((gx + gy) > 20)
        ratio = float(gx[edge].sum() / (gy[edge].sum() + 1e-6))
        blades = float(np.clip((ratio - 1.8) / 0.8, 0, 1) * np.clip(green_tex.mean() / 0.5, 0, 1))

    outdoor = float(np.clip(max(sky, greenery * 0.8, water, sunset, snow * 0.7), 0, 1))
    return SceneCues(
        sky=sky,
        clouds=clouds,
        sunset=sunset,
        night=night,
        greenery=greenery,
        grass=grass,
        trees=trees,
        water=water,
        snow=snow,
        sand=sand,
        outdoor=outdoor,
        sky_cover=sky_cover,
        overcast=overcast,
        stars=stars,
        uniform_texture=uniform_texture,
        blossom=blossom,
        blades=blades,
    )
