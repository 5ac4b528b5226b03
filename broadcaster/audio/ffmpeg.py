"""Finding ffmpeg (from the imageio-ffmpeg wheel, else PATH) and running it."""
from __future__ import annotations

import shutil
import subprocess
import warnings
from functools import lru_cache

from broadcaster.errors import AudioError
from broadcaster.i18n import N_, _

INSTALL_HINT = N_("install it with `pip install imageio-ffmpeg` (it bundles a static ffmpeg)")


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if found:
            return found
    raise AudioError(_("ffmpeg was not found: {install}").format(install=_(INSTALL_HINT)))


def run(args: list[str], stdin: bytes | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ffmpeg with args (no shell); AudioError with its last message line on failure."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AudioError(_("ffmpeg took longer than {seconds:.0f} s").format(seconds=timeout)) from None
    if proc.returncode != 0:
        last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or [_("no message")])[-1]
        raise AudioError(_("ffmpeg failed: {message}").format(message=last))
    return proc


# pydub looks for ffmpeg on PATH while its module is imported and warns when there is none; ours
# comes from the imageio-ffmpeg wheel (not on PATH) and is set as pydub's converter right after.
# Exactly that warning is silenced, nothing else pydub or anyone says.
PYDUB_NO_FFMPEG = r"Couldn't find ffmpeg or avconv"


@lru_cache(maxsize=1)
def pydub():
    """pydub's AudioSegment, pointed at our ffmpeg (imported here so nothing else does)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=PYDUB_NO_FFMPEG, category=RuntimeWarning)
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_exe()
    AudioSegment.ffmpeg = ffmpeg_exe()
    return AudioSegment
