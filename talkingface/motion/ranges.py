"""The ranges of the controls a person sets, in one table.

Light on purpose (no imports): the options object reads it at import time, the live protocol and
the motion passes read it too, so a range is written once for files, the API and live.
"""

MAX_GAZE_DEG = 25.0  # main gaze directions are clamped to this

#: control → (low, high) for the numbers
RANGES: dict[str, tuple[float, float]] = {
    "emotion_strength": (0.0, 1.5),
    "head_distance": (0.75, 1.35),
    "motion_scale": (0.0, 3.0),
    "blink_rate": (0.0, 60.0),
    "gaze_yaw": (-MAX_GAZE_DEG, MAX_GAZE_DEG),
    "gaze_pitch": (-MAX_GAZE_DEG, MAX_GAZE_DEG),
}
HEAD_DISTANCE_RANGE = RANGES["head_distance"]

#: a driving video's head is held to these (yaw, pitch, roll soft clamp in degrees; sideways and
#: up/down shift soft clamp in the portrait's inter-ocular distances; scale): the rig is built to
#: stay tear-free over them, so render reads them here, not from the driver. The shift is held
#: well inside what a driver does (the carphone man sways 0.6 eye distances in his car seat): the
#: portrait's shoulders stay put, and a head that slides further off its neck than this folds the
#: mesh against the picture's edge or, without a matte, drags that edge along (0.3 already does)
DRIVER_POSE_LIMITS = (15.0, 15.0, 12.0)
DRIVER_SHIFT_LIMIT = 0.2
DRIVER_SCALE_RANGE = (0.8, 1.25)
