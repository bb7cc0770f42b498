"""Portrait + speech → video: the stages in order."""
