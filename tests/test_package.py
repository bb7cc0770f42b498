"""The package's surface: what `import talkingface` offers and costs, one exception tree, typing."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import talkingface
from talkingface import errors

#: libraries that take hundreds of milliseconds to import: loaded only by the code that needs them
HEAVY = ("numpy", "scipy", "cv2", "mediapipe", "av", "c2pa", "pocketsphinx", "fastapi", "PIL", "langcodes")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_importing_the_package_loads_no_heavy_library():
    assert _loaded_after("import talkingface") == []


def test_the_command_line_help_loads_no_heavy_library():
    code = "from talkingface.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass"
    assert _loaded_after(code) == []
    code = code.replace("['--help']", "['generate', '--help']")
    assert _loaded_after(code) == []


def test_public_names_are_exactly_these():
    assert sorted(talkingface.__all__) == [
        "ARKIT_CHANNELS",
        "GenerateOptions",
        "GenerateResult",
        "MotionTrack",
        "POSE_COLUMNS",
        "TalkingFaceError",
        "__version__",
        "generate",
    ]
    for name in talkingface.__all__:
        assert getattr(talkingface, name) is not None
    assert talkingface.generate.__module__ == "talkingface.pipeline.generate"
    assert talkingface.GenerateOptions is talkingface.pipeline.options.GenerateOptions
    assert set(talkingface.__all__) <= set(dir(talkingface))
    with pytest.raises(AttributeError):
        talkingface.no_such_name  # noqa: B018


def _imported_module(node: ast.ImportFrom | ast.Import, package: str) -> list[str]:
    """The talkingface subpackages one import statement in ``package`` names."""
    if isinstance(node, ast.ImportFrom) and node.level:  # relative: resolve against the package
        return [package if node.level == 1 else (node.module or "").split(".")[0]]
    modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    return [m.split(".")[1] for m in modules if m.startswith("talkingface.")]


def _imported_packages(package: str) -> dict[str, set[str]]:
    """module file → the talkingface subpackages it imports (top level or inside functions)."""
    found = {}
    for path in sorted((Path(talkingface.__file__).parent / package).glob("*.py")):
        tree = ast.parse(path.read_text())
        imports = (n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom | ast.Import))
        found[path.name] = {name for node in imports for name in _imported_module(node, package)}
    return found


def test_layers_import_only_downwards():
    """core/ is below every stage; motion/ never reaches up into eval/; one module builds renderers."""
    assert _imported_packages("core")
    for module, names in _imported_packages("core").items():
        assert names <= {"core"}, f"core/{module} imports {names - {'core'}}"
    for module, names in _imported_packages("motion").items():
        assert "eval" not in names, f"motion/{module} imports eval/"
    for package in ("pipeline", "stream", "server"):
        for path in (Path(talkingface.__file__).parent / package).rglob("*.py"):
            assert "build_rig(" not in path.read_text(), f"{path}: build renderers with render.setup"
    assert "build_rig(" not in (Path(talkingface.__file__).parent / "cli.py").read_text()


def test_every_error_raised_on_purpose_lives_in_one_tree():
    from talkingface.audio.phones import AlignmentError
    from talkingface.motion.track_io import MotionFileError
    from talkingface.provenance.credentials import SigningError
    from talkingface.server.uploads import UploadError

    assert AlignmentError is errors.AlignmentError and MotionFileError is errors.MotionFileError
    assert SigningError is errors.SigningError and UploadError is errors.UploadError
    for cls in (AlignmentError, MotionFileError, UploadError):
        assert issubclass(cls, errors.InputError) and issubclass(cls, ValueError)
    upload = UploadError(413, "too large")
    assert upload.status == 413 and str(upload) == "too large" and isinstance(upload, errors.TalkingFaceError)


def test_errors_say_which_file(tmp_path):
    from talkingface.io.audio import probe_audio
    from talkingface.io.image import check_image_header

    with pytest.raises(errors.UnreadableImageError) as caught:
        check_image_header(tmp_path)
    assert caught.value.path == tmp_path and "is a directory" in str(caught.value)
    with pytest.raises(errors.UnreadableAudioError) as caught:
        probe_audio(tmp_path / "missing.wav")
    assert caught.value.path == tmp_path / "missing.wav" and caught.value.frame is None


def test_the_package_says_it_is_typed():
    assert resources.files("talkingface").joinpath("py.typed").is_file()


def test_the_face_model_loads_without_matplotlib_yet_mediapipe_can_still_plot(samples):
    """MediaPipe's package imports matplotlib.pyplot and sounddevice for helpers we never call:
    they stay unloaded while we find a face, and load for real when MediaPipe's helper is used."""
    code = (
        "import sys\n"
        "from talkingface.face.landmarker import FaceLandmarker\n"
        "from talkingface.io.image import load_portrait\n"
        f"faces = FaceLandmarker().detect(load_portrait({str(samples.astronaut)!r}))\n"
        "loaded = [m for m in ('matplotlib', 'matplotlib.pyplot', 'sounddevice') if m in sys.modules]\n"
        "from mediapipe.tasks.python.vision import drawing_utils\n"
        "import matplotlib.figure\n"
        "figure = drawing_utils.plt.figure()\n"
        "print(len(faces), loaded, isinstance(figure, matplotlib.figure.Figure))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[-2] == "1 [] True"


def test_the_compiled_loops_load_without_scipy_linalg_yet_numba_still_has_blas():
    """numba asks scipy.linalg whether np.dot may use BLAS when its first kernel loads; the
    renderer's loops never do, so that import (a quarter of a second) is skipped, and numba's
    own linear algebra still compiles (it imports and checks scipy itself)."""
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from talkingface.render.kernels import warm\n"
        "warm()\n"
        "from numba.np import arraymath\n"
        "print('scipy.linalg' in sys.modules, arraymath._HAVE_BLAS)\n"
        "from numba import njit\n"
        "dot = njit(lambda a, b: np.dot(a, b))\n"
        "print(float(dot(np.ones(3), np.ones(3))), 'scipy.linalg' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-2:] == ["False True", "3.0 True"]


def test_the_garbage_collector_is_paused_only_between_pause_and_resume():
    import gc

    from talkingface import gcpause

    assert gc.isenabled()
    gcpause.pause()
    assert not gc.isenabled()
    gcpause.resume()
    assert gc.isenabled()
    gcpause.resume()  # a second resume is a no-op
    assert gc.isenabled()
    gc.disable()  # turned off by the caller: stays off
    try:
        gcpause.pause()
        gcpause.resume()
        assert not gc.isenabled()
    finally:
        gc.enable()
