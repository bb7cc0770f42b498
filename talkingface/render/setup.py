"""Portrait → rig → renderer: the one way every entry point gets a Renderer.

File generation, the CLI's live stream, the server's live sessions, the scripts and the tests
all frame the face, matte the person and build the rig here, so a live frame and a file frame
of the same portrait come from the same renderer.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from ..face.choice import FaceChoice
from ..face.landmarker import FaceLandmarker
from ..face.matte import PersonMatte, matte_of_person, person_of_matte
from ..face.portrait import Portrait, full_image, prepare_portrait
from .bases import build_bases
from .known import load_prepared, portrait_key, save_prepared
from .layers import BackgroundLayer, background_layer
from .renderer import Renderer
from .rig import FaceRig, build_rig, delaunay


def person_alpha(framed: Portrait, matte: bool | PersonMatte) -> tuple[np.ndarray | None, str | None]:
    """The person's soft alpha (None when matting is off), and a note when the matting model
    missed the person (then None too: the picture moves as with ``--no-matte``). ``matte`` may be
    an open model to reuse (a batch worker or a server renders many portraits with one)."""
    if matte is False:
        return None, None
    if isinstance(matte, PersonMatte):
        return matte_of_person(matte, framed.image, framed.face)
    with PersonMatte() as model:
        return matte_of_person(model, framed.image, framed.face)


def layered_parts(
    framed: Portrait, alpha: np.ndarray | None, bases: np.ndarray | None = None
) -> tuple[FaceRig, BackgroundLayer | None]:
    """The rig of a framed portrait and, with a matte, the background layer the person moves over
    (:mod:`talkingface.render.layers`): what a :class:`Renderer` is made of."""
    background = None if alpha is None else background_layer(framed.image, alpha)
    return build_rig(framed.image, framed.face, alpha, bases), background


def layered_renderer(framed: Portrait, alpha: np.ndarray | None) -> Renderer:
    """The renderer of a framed portrait; with a matte the person moves as a layer over a
    background that stays still."""
    return Renderer(*layered_parts(framed, alpha))


def renderer_for(framed: Portrait, matte: bool | PersonMatte = True) -> Renderer:
    """The renderer of a framed portrait, matted unless ``matte`` is False."""
    return layered_renderer(framed, person_alpha(framed, matte)[0])


def warm_kernels() -> None:
    """Import numba and load the renderer's compiled loops (about half a second)."""
    from .kernels import warm

    warm()


def prepare_face(
    rgb: np.ndarray,
    landmarker: FaceLandmarker | None = None,
    *,
    mode: str = "crop",
    size: int = 512,
    name: str = "the portrait",
    face: FaceChoice | str | int | None = None,
    matte: bool | PersonMatte = True,
    known: bool = False,
) -> tuple[Portrait, Renderer]:
    """Find and frame the face, matte the person, build the rig (a landmarker is opened when none
    is given). Raises the face errors of :func:`~talkingface.face.portrait.prepare_portrait`.
    With ``known`` all of it is read from the portrait cache when this picture was prepared so
    before, and kept there when not (:mod:`talkingface.render.known`).

    What does not need the face runs on a second thread while the landmarker looks for it: the
    matting model loads (and in full mode, where it sees the whole picture, runs), the
    triangulation the rig needs is imported and the renderer's compiled loops are loaded; the
    model and the landmarker both compute outside the GIL, so the two overlap on two cores. While
    the network mattes the framed picture, the rig's blendshape bases (which need only the face)
    are built beside it."""
    key = None
    if known:
        key = portrait_key(rgb, mode=mode, size=size, face=face, matte=matte is not False)
        if (hit := load_prepared(key, rgb, mode, size)) is not None:
            framed, rig, layer = hit
            return framed, Renderer(rig, layer)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="face-aside") as aside:
        model = aside.submit(PersonMatte) if matte is True else None
        whole = None
        if mode == "full" and matte is not False:
            whole = aside.submit(lambda: (model.result() if model else matte)(full_image(rgb)))
        aside.submit(delaunay)
        aside.submit(warm_kernels)
        try:
            with contextlib.nullcontext(landmarker) if landmarker else FaceLandmarker() as found:
                framed = prepare_portrait(rgb, found, mode, size, name=name, face=face)
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="matte") as side:
                matting = None
                if whole is not None:
                    matting = side.submit(lambda: person_of_matte(whole.result(), framed.face))
                elif matte is not False:
                    matting = side.submit(
                        lambda: matte_of_person(model.result() if model else matte, framed.image, framed.face)
                    )
                bases = build_bases(framed.face.landmarks)  # needs no matte: built while the network runs
                alpha, note = matting.result() if matting is not None else (None, None)
        finally:
            if model is not None:  # ours: its memory goes now, not when the thread pool is collected
                aside.submit(lambda: model.result().__exit__(None, None, None))
    if note:
        framed = replace(framed, notes=(*framed.notes, note))
    rig, background = layered_parts(framed, alpha, bases)
    if key is not None:
        save_prepared(key, framed, rig, background)
    return framed, Renderer(rig, background)
