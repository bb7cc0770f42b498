"""Portrait → rig → renderer: the one way every entry point gets a Renderer.

File generation, the CLI's live stream, the server's live sessions, the scripts and the tests
all frame the face, matte the person and build the rig here, so a live frame and a file frame
of the same portrait come from the same renderer.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..face.choice import FaceChoice
from ..face.landmarker import FaceLandmarker
from ..face.matte import PersonMatte
from ..face.portrait import Portrait, prepare_portrait
from .layers import background_layer
from .renderer import Renderer
from .rig import build_rig


def person_alpha(image: np.ndarray, matte: bool | PersonMatte) -> np.ndarray | None:
    """The person's soft alpha (None when matting is off); ``matte`` may be an open model to reuse."""
    if matte is False:
        return None
    if isinstance(matte, PersonMatte):
        return matte(image)
    with PersonMatte() as model:
        return model(image)


def renderer_for(framed: Portrait, matte: bool | PersonMatte = True) -> Renderer:
    """The renderer of a framed portrait; with the matte the person moves as a layer over a
    background that stays still (:mod:`talkingface.render.layers`)."""
    alpha = person_alpha(framed.image, matte)
    background = None if alpha is None else background_layer(framed.image, alpha)
    return Renderer(build_rig(framed.image, framed.face, alpha), background)


def prepare_face(
    rgb: np.ndarray,
    landmarker: FaceLandmarker | None = None,
    *,
    mode: str = "crop",
    size: int = 512,
    name: str = "the portrait",
    face: FaceChoice | str | int | None = None,
    matte: bool | PersonMatte = True,
) -> tuple[Portrait, Renderer]:
    """Find and frame the face, matte the person, build the rig (a landmarker is opened when none
    is given). Raises the face errors of :func:`~talkingface.face.portrait.prepare_portrait`."""
    with contextlib.nullcontext(landmarker) if landmarker else FaceLandmarker() as model:
        framed = prepare_portrait(rgb, model, mode, size, name=name, face=face)
    return framed, renderer_for(framed, matte)
