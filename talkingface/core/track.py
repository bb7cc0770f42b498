"""The MotionTrack: the contract between "what the face does" and "how it is drawn" (DESIGN §2).

Per frame: head pose plus the ARKit blendshape channels, by their ARKit names, as offsets
from the portrait's own neutral (0 = as in the photo). ARKit names make a track exportable to
Blender / Live Link / ARKit tools, let a driving video be just another track source (Face
Landmarker reports the same channels), and make the renderer verifiable by re-analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: The 51 ARKit blendshapes Face Landmarker estimates, in its order (its list minus ``_neutral``;
#: ARKit's 52nd, tongueOut, is not estimated: track files write it as 0 and ignore it on reading).
ARKIT_CHANNELS: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight",
    "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft",
    "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
    "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight",
    "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
)  # fmt: skip
CHANNEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(ARKIT_CHANNELS)}

#: Head pose columns. Angles in degrees, seen from the camera: yaw > 0 turns the nose toward
#: image +x (viewer's right), pitch > 0 tips the nose down (image +y), roll > 0 rotates the face
#: clockwise in the image. tx, ty move the head in units of the portrait's inter-ocular
#: distance (image axes); scale multiplies head size (1 = as in the photo, >1 = closer).
POSE_COLUMNS: tuple[str, ...] = ("yaw", "pitch", "roll", "tx", "ty", "scale")


def channel_vector(**values: float) -> np.ndarray:
    """A (51,) float32 blendshape vector from ARKit names: ``channel_vector(jawOpen=0.5)``."""
    vector = np.zeros(len(ARKIT_CHANNELS), np.float32)
    for name, value in values.items():
        if name not in CHANNEL_INDEX:
            raise KeyError(f"{name!r} is not an ARKit blendshape name")
        vector[CHANNEL_INDEX[name]] = value
    return vector


@dataclass
class MotionTrack:
    """Frame-aligned head pose and blendshape offsets.

    ``pose``: float32 (n, 6) in :data:`POSE_COLUMNS` order.
    ``blendshapes``: float32 (n, 51) in :data:`ARKIT_CHANNELS` order, offsets from the portrait's
    neutral, each typically in [-1, 1].
    """

    fps: float
    pose: np.ndarray
    blendshapes: np.ndarray
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pose = np.asarray(self.pose, np.float32)
        self.blendshapes = np.asarray(self.blendshapes, np.float32)
        n = len(self.pose)
        if self.pose.shape != (n, len(POSE_COLUMNS)) or self.blendshapes.shape != (n, len(ARKIT_CHANNELS)):
            raise ValueError(
                f"MotionTrack needs pose (n, 6) and blendshapes (n, 51); got {self.pose.shape}, "
                f"{self.blendshapes.shape}"
            )

    @classmethod
    def neutral(cls, n_frames: int, fps: float) -> MotionTrack:
        """A still track: the photo as it is, for ``n_frames`` frames."""
        pose = np.zeros((n_frames, len(POSE_COLUMNS)), np.float32)
        pose[:, 5] = 1.0
        return cls(fps, pose, np.zeros((n_frames, len(ARKIT_CHANNELS)), np.float32))

    def __len__(self) -> int:
        return len(self.pose)

    @property
    def duration(self) -> float:
        return len(self) / self.fps

    def channel(self, name: str) -> np.ndarray:
        """A view of one blendshape channel (writable: passes fill tracks in place)."""
        return self.blendshapes[:, CHANNEL_INDEX[name]]

    def pose_column(self, name: str) -> np.ndarray:
        return self.pose[:, POSE_COLUMNS.index(name)]

    def frame(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return self.pose[i], self.blendshapes[i]
