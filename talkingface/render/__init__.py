"""How the face is drawn: the rig built once per portrait and the per-frame warp and layers."""
