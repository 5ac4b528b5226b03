"""Skip guards shared by the tests, each defined once: what is missing on this machine and how to install it.

Marks for single tests (`@needs_neural`) or whole modules (`pytestmark = [needs_chromium]`), and
`require_*()` calls for the top of a module whose imports need an optional extra (those must skip the
module before it imports them). scripts/test installs the Debian tools and every extra, so in CI none skips.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from broadcaster import listen
from broadcaster.engines.base import get_engine
from broadcaster.errors import EngineUnavailable


def _available(engine: str) -> tuple[bool, str]:
    try:
        return get_engine(engine).available()
    except EngineUnavailable as exc:
        return False, str(exc)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


# ---------------------------------------------------------------- engines and the listener (extras)
neural_ok, neural_why = _available("neural")
needs_neural = pytest.mark.skipif(not neural_ok, reason=f"neural voice not installed here: {neural_why}")

kokoro_ok, kokoro_why = _available("kokoro")
needs_kokoro = pytest.mark.skipif(not kokoro_ok, reason=f"kokoro engine not installed here: {kokoro_why}")
needs_praat = pytest.mark.skipif(not _importable("parselmouth"),
                                 reason="praat-parselmouth is not installed (extra 'accent')")
# Kokoro's front end (misaki) alone: reading and phonemes without the model and its npm voices
needs_kokoro_frontend = pytest.mark.skipif(not _importable("misaki"), reason="misaki is not installed (extra 'kokoro')")

listener_ok, listener_why = listen.available()
needs_listener = pytest.mark.skipif(not listener_ok, reason=f"the listener is not installed here: {listener_why}")
needs_scoring = pytest.mark.skipif(not _importable("rapidfuzz"),
                                   reason="rapidfuzz is not installed (pip install 'broadcaster[verify]')")

# ---------------------------------------------------------------- Debian tools the tests drive for real
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Debian chromium and chromium-driver are not "
                                    "installed (scripts/test installs them)")

needs_gpsd = pytest.mark.skipif(shutil.which("gpsfake") is None or shutil.which("gpsd") is None
                                and not Path("/usr/sbin/gpsd").exists(),
                                reason="gpsd/gpsfake not installed (apt-get install gpsd gpsd-clients)")

needs_fifos = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


# ---------------------------------------------------------------- whole modules
DESK_EXTRA = ("starlette", "argon2", "ruamel.yaml")  # what the desk's tests import or start the desk with


def require_desk() -> None:
    """Skip the calling test module where the `desk` extra is not installed (call it before importing it)."""
    for module in DESK_EXTRA:
        pytest.importorskip(module)


def require_browser() -> None:
    """Skip the calling test module where the desk or Selenium is not installed."""
    require_desk()
    pytest.importorskip("selenium.webdriver")


def require_cluster() -> None:
    """Skip the calling test module where Dask's distributed (the `cluster` extra) is not installed."""
    pytest.importorskip("distributed", reason="the cluster extra: pip install 'broadcaster[cluster]'")
