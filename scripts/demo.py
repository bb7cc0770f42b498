"""`make demo`: the sample portrait reads Shakespeare's Sonnet 1 (real speech, 53 s)."""

import sys

from talkingface.cli import main
from talkingface.samples import fetch_samples

samples = fetch_samples()
out = sys.argv[1] if len(sys.argv) > 1 else "out/demo.mp4"
sys.argv = ["talkingface", "generate", str(samples.astronaut), str(samples.sonnet), "-o", out]
main()
