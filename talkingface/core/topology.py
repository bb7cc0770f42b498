"""Face Landmarker mesh topology: named index groups (procedural.md §5.3) and the triangle list.

"Left"/"right" are the subject's own sides: the subject's right eye is on the image's left.
"""

from __future__ import annotations

from functools import cache

import numpy as np

LIPS_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNERS = (61, 291, 78, 308)

RIGHT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_EYE_LOWER = (263, 249, 390, 373, 374, 380, 381, 382, 362)
# the ring of skin just above each upper lid (the lid crease region), moved part-way in a blink
RIGHT_LID_CREASE = (130, 247, 30, 29, 27, 28, 56, 190, 243)
LEFT_LID_CREASE = (359, 467, 260, 259, 257, 258, 286, 414, 463)
RIGHT_IRIS = (468, 469, 470, 471, 472)
LEFT_IRIS = (473, 474, 475, 476, 477)

RIGHT_BROW = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)
LEFT_BROW = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
RIGHT_BROW_INNER = (107, 66, 55, 65)
LEFT_BROW_INNER = (336, 296, 285, 295)
RIGHT_BROW_OUTER = (70, 63, 46, 53)
LEFT_BROW_OUTER = (300, 293, 276, 283)

FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
CHIN = 152
FOREHEAD = 10
NOSE_TIP = 1


def closed_polygon(upper: tuple[int, ...], lower: tuple[int, ...]) -> tuple[int, ...]:
    """An outline from two corner-to-corner chains sharing their end points."""
    return tuple(upper) + tuple(reversed(lower[1:-1]))


MOUTH_HOLE = closed_polygon(LIPS_INNER_UPPER, LIPS_INNER_LOWER)
RIGHT_EYE_HOLE = closed_polygon(RIGHT_EYE_UPPER, RIGHT_EYE_LOWER)
LEFT_EYE_HOLE = closed_polygon(LEFT_EYE_UPPER, LEFT_EYE_LOWER)


@cache
def face_triangles() -> np.ndarray:
    """(852, 3) int32 triangles of MediaPipe's face tessellation; mouth and eyes are holes."""
    from .mediapipe_import import load_mediapipe

    tessellation = load_mediapipe().vision.FaceLandmarksConnections.FACE_LANDMARKS_TESSELATION
    edges = np.array([(c.start, c.end) for c in tessellation], np.int32)
    # the tessellation lists each triangle as three consecutive edges a→b, b→c, c→a
    tris = np.stack([edges[0::3, 0], edges[0::3, 1], edges[1::3, 1]], 1)
    assert (edges[1::3, 0] == edges[0::3, 1]).all() and (edges[2::3, 1] == edges[0::3, 0]).all()
    return tris
