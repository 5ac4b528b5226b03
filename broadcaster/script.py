"""Notice -> Script: the template filled in and cut into the parts of a program."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
import jinja2.meta
import jinja2.sandbox
import yaml

from broadcaster.errors import BadInput
from broadcaster.notice import Notice
from broadcaster.resources import templates_dir
from broadcaster.speech.voices import VoiceProfile

_META_RE = re.compile(r"^\s*\{#-?(.*?)-?#\}", re.S)
_SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")


@dataclass(frozen=True)
class Speech:
    """Text to be spoken, as written (normalization comes later)."""

    text: str
    role: str = "body"  # lead | body | emphasis | line | half-line


@dataclass(frozen=True)
class Pause:
    ms: int


@dataclass(frozen=True)
class Chime:
    kind: str = "attention"  # attention | urgent | closing


Segment = Speech | Pause | Chime


@dataclass(frozen=True)
class ProgramDefaults:
    """An output profile's program parts; a notice's own options (chime, lead, ...) override them."""

    chime: bool = True
    closing_chime: bool = False
    lead: bool = True
    emphasis_intro: str = "重要的事情说三遍"  # said before the emphasized sentences
    emphasis_times: int = 3


@dataclass(frozen=True)
class Script:
    """A program as a sequence of segments; the audio stage turns it into sound."""

    notice_id: str
    segments: tuple[Segment, ...]
    body: str  # the filled-in text, as written
    music: Path | None = None  # a music bed to lay under the program (the notice's `music:`)

    def speeches(self) -> tuple[Speech, ...]:
        out: list[Speech] = []
        for s in self.segments:
            if isinstance(s, Speech):
                out.append(s)
            elif hasattr(s, "speeches"):  # a jingle's beat block holds its lines' speeches
                out.extend(s.speeches())
        return tuple(out)


@dataclass(frozen=True)
class TemplateInfo:
    """A built-in template: its name, title, description and variables."""

    name: str
    title: str
    description: str
    required: dict  # var -> meaning
    optional: dict
    path: Path


def _environment(search: tuple[str, ...]) -> jinja2.sandbox.SandboxedEnvironment:
    return jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(list(search)), undefined=jinja2.StrictUndefined,
        autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=64)
def _env_for(search: tuple[str, ...]) -> jinja2.sandbox.SandboxedEnvironment:
    return _environment(search)


def template_info(path: Path) -> TemplateInfo:
    source = path.read_text(encoding="utf-8")
    meta = {}
    match = _META_RE.match(source)
    if match:
        meta = yaml.safe_load(match.group(1)) or {}
    return TemplateInfo(name=path.stem, title=str(meta.get("title", path.stem)),
                        description=str(meta.get("description", "")),
                        required=dict(meta.get("vars") or {}), optional=dict(meta.get("optional") or {}),
                        path=path)


def builtin_templates() -> list[TemplateInfo]:
    return [template_info(p) for p in sorted(templates_dir().glob("*.j2"))]


def fill(notice: Notice) -> str:
    """The notice's text with its variables filled in; BadInput for anything missing or unsafe."""
    builtin = str(templates_dir())
    here = str(notice.path.parent.resolve())
    try:
        if notice.template is not None:
            name = notice.template
            if name.endswith(".j2"):
                env = _env_for((here, builtin))
                if Path(name).is_absolute() or ".." in Path(name).parts:
                    raise notice.error(f"template path '{name}' leaves the notice's folder",
                                       "put the .j2 file in this notice's folder and name it relatively",
                                       "template")
            else:
                env = _env_for((builtin,))
                known = [t.stem for t in templates_dir().glob("*.j2")]
                if name not in known:
                    from broadcaster.yamlsource import did_you_mean
                    hint = did_you_mean(name, known)
                    raise notice.error(f"unknown template '{name}'",
                                       (hint + " " if hint else "") + "see `broadcaster templates`",
                                       "template")
                name = name + ".j2"
            template = env.get_template(name)
        else:
            env = _env_for((here, builtin))
            template = env.from_string(notice.text or "")
        text = template.render(**notice.vars)
    except jinja2.UndefinedError as exc:
        missing = re.search(r"'([^']+)' is undefined", str(exc))
        var = missing.group(1) if missing else str(exc)
        where = notice.template or "the text"
        raise notice.error(f"missing variable '{var}' (needed by {where})",
                           f"add `{var}: ...` under vars", "vars" if notice.vars else ()) from None
    except jinja2.exceptions.SecurityError as exc:
        raise notice.error(f"the template tried something unsafe ({exc})",
                           "use only variables and simple filters", "template" if notice.template else "text") from None
    except jinja2.TemplateNotFound as exc:
        raise notice.error(f"template file '{exc.name}' not found (or outside the template folders)",
                           "put the .j2 file in this notice's folder", "template" if notice.template else "text") from None
    except jinja2.TemplateSyntaxError as exc:
        place = exc.filename or str(notice.path)
        raise BadInput(f"template syntax error: {exc.message}", "check the {{ }} and {% %} pairs",
                       place, exc.lineno if exc.filename else notice.doc.line("text") if notice.doc else None) from None
    except jinja2.TemplateError as exc:
        raise notice.error(f"template error: {exc}", "check the template", "template") from None
    return _tidy(text)


def _tidy(text: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def sentences(text: str) -> list[str]:
    """Cut text at sentence ends (。！？；and line breaks), keeping the punctuation."""
    return [s.strip() for s in _SENTENCE_RE.findall(text) if s.strip(" \t，,、")]


def build_script(notice: Notice, voice: VoiceProfile, program: ProgramDefaults | None = None) -> Script:
    """The program for a notice: body sentences with pauses, read `repeat` times, framed by
    chime, lead line, emphasis and closing chime (`frame_program`)."""
    if notice.kind == "jingle":  # lines on a beat grid, not sentences (broadcaster/jingle/rhythm.py)
        from broadcaster.jingle.rhythm import build_jingle_script
        return frame_program(notice, voice, build_jingle_script(notice, voice), program)
    body = fill(notice) if notice.kind == "notice" else "\n".join(notice.lines)
    parts = sentences(body)
    if not parts:
        raise notice.error("the notice has nothing to say after filling in the template",
                           "write some text or check the variables", "text" if notice.text else "template")
    gap = int(notice.options.get("gap", voice.pauses.repeat_gap / 1000) * 1000)
    reading: list[Segment] = []
    for i, sentence in enumerate(parts):
        if i:
            reading.append(Pause(voice.pauses.sentence))
        reading.append(Speech(sentence, "line" if notice.kind == "jingle" else "body"))
    segments: list[Segment] = []
    for n in range(notice.repeat):
        if n:
            segments.append(Pause(gap))
        segments.extend(reading)
    return frame_program(notice, voice, Script(notice_id=notice.id, segments=tuple(segments), body=body),
                         program)


# ---------------------------------------------------------------- program parts (issue 6)
_PUNCT_RE = re.compile(r"[\s，,。.！!？?；;：:、…—～~“”\"'（）()]+")
PAUSE_AFTER_CHIME_MS = 500
URGENT_PRIORITIES = ("urgent", "emergency")


def _bare(text: str) -> str:
    return _PUNCT_RE.sub("", text)


def lead_line(notice: Notice, voice: VoiceProfile, program: ProgramDefaults, body: str) -> str | None:
    """The opening line to say after the chime, or None.

    Built-in templates already open with 各位村民请注意: saying it again as a lead would
    make three in a row, so the lead is skipped when the body starts with it.
    """
    option = notice.options.get("lead", program.lead)
    if option is False:
        return None
    line = voice.lead if option is True else str(option).strip()
    if not _bare(line) or _bare(body).startswith(_bare(line)):
        return None
    return line


def _emphasis(notice: Notice) -> list[str]:
    """The emphasized sentences, their variables filled in like the body."""
    from dataclasses import replace

    out = []
    for i, item in enumerate(notice.options.get("emphasis") or []):
        if not isinstance(item, str) or not item.strip():
            raise notice.error(f"emphasis item {i + 1} is not a sentence",
                               "write each sentence to repeat as text, e.g. - 不聚集", "emphasis", i)
        filled = fill(replace(notice, template=None, text=item))
        out.extend(sentences(filled))
    return out


def _music(notice: Notice) -> Path | None:
    name = notice.options.get("music")
    if not name:
        return None
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = notice.path.parent / path
    if not path.is_file():
        raise notice.error(f"music file '{name}' not found",
                           "give the path of an audio file relative to this notice", "music")
    return path


def frame_program(notice: Notice, voice: VoiceProfile, script: Script,
                  program: ProgramDefaults | None = None) -> Script:
    """Wrap the readings in the program parts: opening chime (urgent one for urgent/emergency
    notices), lead line, "重要的事情说三遍" emphasis, closing chime; and the music bed."""
    from dataclasses import replace

    program = program or ProgramDefaults()
    opts = notice.options
    gap = int(opts.get("gap", voice.pauses.repeat_gap / 1000) * 1000)
    head: list[Segment] = []
    if opts.get("chime", program.chime):
        head += [Chime("urgent" if notice.priority in URGENT_PRIORITIES else "attention"),
                 Pause(PAUSE_AFTER_CHIME_MS)]
    lead = lead_line(notice, voice, program, script.body)
    if lead:
        head += [Speech(lead, "lead"), Pause(voice.pauses.after_lead)]
    tail: list[Segment] = []
    emphasized = _emphasis(notice)
    if emphasized:
        tail += [Pause(gap), Speech(program.emphasis_intro, "lead"), Pause(voice.pauses.after_lead)]
        for k, sentence in enumerate(emphasized):
            for n in range(program.emphasis_times):
                if k or n:
                    tail.append(Pause(voice.pauses.sentence))
                tail.append(Speech(sentence, "emphasis"))
    if opts.get("closing_chime", program.closing_chime):
        tail += [Pause(voice.pauses.after_lead), Chime("closing")]
    return replace(script, segments=tuple(head) + tuple(script.segments) + tuple(tail),
                   music=_music(notice))
