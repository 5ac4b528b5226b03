"""Proof-listening: how much of a rendered program an independent listener hears right.

The spoken text written beside each program (`<id>.txt`) is the reference; the listener's
text (broadcaster/listen.py, pieces cut at pauses) is compared with it:

- characters heard right = 1 − CER, where CER = edit distance / reference length over the
  characters left after removing punctuation and spaces (never below 0);
- pinyin error rate = edit distance / reference length over toneless pinyin syllables
  (read in context by the same front end the voices read with, speech/pinyin.py), so a homophone written with another character (在/再, 幺/要)
  is not an error, while a syllable heard as another (注意 zhu yi → 驻营 zhu ying) is.

The listener writes numbers as digits (8点, 60岁, 13911112222); each digit run becomes the
Chinese reading nearest the reference (as a number, or digit by digit with 一 or 幺), since
any of those is the number heard right. Scoring is pure; `verify_files` does the I/O.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from broadcaster.errors import AudioError, BadInput, Unplayable
from broadcaster.i18n import _
from broadcaster.listen import Listener
from broadcaster.player.audiofile import inspect
from broadcaster.vocabulary import HAN
from broadcaster.speech.pinyin import mandarin_pinyin
from broadcaster.speech.voices import get_profile
from broadcaster.yamlsource import read_text

AUDIO_SUFFIXES = (".mp3", ".wav")
_DIGIT_RUN = re.compile(r"(\d{1,2})[:：](\d{2})|\d+(?:\.\d+)?|[零〇一二三四五六七八九幺]{3,}")
# a manifest lists a folder's programs and a transcript is a program's text: kilobytes; the caps
# only keep a wrong file from being read whole
MAX_MANIFEST_BYTES = 20_000_000
MAX_TRANSCRIPT_BYTES = 1_000_000
_DIGITS_ONE = "零一二三四五六七八九"
_DIGITS_YAO = "零幺二三四五六七八九"


@dataclass(frozen=True)
class Difference:
    """A stretch heard differently: what was said and what was heard, with their pinyin."""

    said: str
    heard: str
    said_pinyin: str
    heard_pinyin: str
    count: int = 1  # how often the same difference occurs in the file (programs repeat)


@dataclass(frozen=True)
class Score:
    """Edit counts against the reference (kept as counts so that files can be pooled)."""

    characters: int          # reference length after normalization
    char_edits: int          # edit distance between the characters
    syllables: int           # reference syllables (= characters)
    pinyin_edits: int        # edit distance between toneless pinyin syllables
    tone_edits: int = 0      # the same with tones (pypinyin TONE3, neutral tone 5): for comparison
    differences: tuple[Difference, ...] = ()

    @property
    def heard_right(self) -> float:
        """1 − CER, never below 0 (a listener inventing text can make CER exceed 1)."""
        return max(0.0, 1.0 - self.char_edits / self.characters) if self.characters else float(not self.char_edits)

    @property
    def pinyin_errors(self) -> float:
        return self.pinyin_edits / self.syllables if self.syllables else float(bool(self.pinyin_edits))

    @property
    def tone_errors(self) -> float:
        return self.tone_edits / self.syllables if self.syllables else float(bool(self.tone_edits))


def pooled(scores: list[Score]) -> Score:
    """Several files' scores as one (sums of counts: long files weigh more)."""
    return Score(sum(s.characters for s in scores), sum(s.char_edits for s in scores),
                 sum(s.syllables for s in scores), sum(s.pinyin_edits for s in scores),
                 sum(s.tone_edits for s in scores))


@dataclass(frozen=True)
class Verdict:
    """One file's result; `score` is None when it was not checked: `reason` says why when that
    was meant (a Cantonese voice), `error` when the file could not be read (a failure)."""

    file: str
    transcript: str
    score: Score | None
    heard_text: str = ""
    reason: str = ""
    error: str = ""

    def as_dict(self) -> dict:
        out = {"file": self.file, "transcript": self.transcript, "checked": self.score is not None}
        if self.error:
            out["error"] = self.error
            return out
        if self.score is None:
            out["reason"] = self.reason
            return out
        out.update(heard_right=round(self.score.heard_right, 4), pinyin_error_rate=round(self.score.pinyin_errors, 4),
                   toned_pinyin_error_rate=round(self.score.tone_errors, 4),
                   characters=self.score.characters, heard_text=self.heard_text,
                   differences=[d.__dict__ for d in self.score.differences])
        return out


def clean(text: str) -> str:
    """Only letters and digits (Han characters included), lower case: punctuation and spaces go."""
    return "".join(ch for ch in text.lower() if unicodedata.category(ch)[0] in "LN" and not ch.isspace())


def _readings(run: re.Match) -> list[str]:
    """Chinese readings a listener's digits may stand for."""
    import cn2an

    if run.group(1):  # a clock time 8:30
        hour = cn2an.an2cn(run.group(1))
        minute = int(run.group(2))
        after = [""] if minute == 0 else ["半"] if minute == 30 else []
        after.append(cn2an.an2cn(str(minute)) + ("分" if minute else ""))
        return [f"{hour}点{m}" for m in after]
    digits = run.group(0)
    if not digits[0].isascii():  # digits heard as characters, e.g. 一三九: 1 may be 一 or 幺
        return [digits, digits.replace("幺", "一"), digits.replace("一", "幺")]
    out = [cn2an.an2cn(digits)]
    if "." not in digits:
        out += ["".join(_DIGITS_ONE[int(d)] for d in digits), "".join(_DIGITS_YAO[int(d)] for d in digits)]
        if digits == "2":
            out.append("两")
    return out


def numbers_as_said(heard: str, reference: str) -> str:
    """`heard` with every digit run replaced by its reading nearest to the reference."""
    from rapidfuzz.distance import Levenshtein

    runs = list(_DIGIT_RUN.finditer(heard))
    if not runs:
        return heard
    chosen = [_readings(r)[0] for r in runs]

    def joined() -> str:
        out, pos = [], 0
        for r, text in zip(runs, chosen):
            out += [heard[pos:r.start()], text]
            pos = r.end()
        return "".join(out + [heard[pos:]])

    ref = clean(reference)
    for i, run in enumerate(runs):  # greedy, left to right: each run against the whole reference
        best = None
        for reading in _readings(run):
            chosen[i] = reading
            d = Levenshtein.distance(clean(joined()), ref)
            if best is None or d < best[0]:
                best = (d, reading)
        chosen[i] = best[1]
    return joined()


def syllables(text: str, tones: bool = False) -> list[str]:
    """One pinyin syllable per character that `clean` keeps (toneless unless `tones`), read by the
    voices' own front end (speech.pinyin.mandarin_pinyin: the polyphone rules, word fixes and tone
    sandhi the engines read with), over the text with its punctuation, so that the context is the
    one the voice had (添衣，着凉 is not 衣着). Other characters as they are."""
    text = text.lower()
    out = []
    for char, syllable in zip(text, mandarin_pinyin(text)):
        if unicodedata.category(char)[0] not in "LN" or char.isspace():
            continue
        if HAN.match(char) and not tones:
            syllable = syllable.rstrip("012345")
        out.append(syllable)
    return out


def score(reference: str, heard: str) -> Score:
    """Compare what was said with what was heard (see the module's notes for the definitions)."""
    from rapidfuzz.distance import Levenshtein

    ref = clean(reference)
    heard = numbers_as_said(heard, reference)
    hyp = clean(heard)
    ref_py, hyp_py = syllables(reference), syllables(heard)
    return Score(characters=len(ref), char_edits=Levenshtein.distance(ref, hyp),
                 syllables=len(ref_py), pinyin_edits=Levenshtein.distance(ref_py, hyp_py),
                 tone_edits=Levenshtein.distance(syllables(reference, True), syllables(heard, True)),
                 differences=_differences(ref, hyp, ref_py, hyp_py))


def _differences(ref: str, hyp: str, ref_py: list[str], hyp_py: list[str]) -> tuple[Difference, ...]:
    """The stretches where the pinyin differs, neighbours a syllable apart merged, equal ones counted."""
    from rapidfuzz.distance import Levenshtein

    spans: list[list[int]] = []  # [ref start, ref end, hyp start, hyp end]
    for op in Levenshtein.opcodes(ref_py, hyp_py):
        if op.tag == "equal":
            continue
        if spans and op.src_start - spans[-1][1] <= 1 and op.dest_start - spans[-1][3] <= 1:
            spans[-1][1], spans[-1][3] = op.src_end, op.dest_end
        else:
            spans.append([op.src_start, op.src_end, op.dest_start, op.dest_end])
    counts: dict[tuple, int] = {}
    for a, b, c, d in spans:
        if a == b or c == d:  # a syllable heard or lost alone: show the one before it too, for context
            if a > 0 and c > 0:
                a, c = a - 1, c - 1
            elif b < len(ref) and d < len(hyp):
                b, d = b + 1, d + 1
        key = (ref[a:b], hyp[c:d], " ".join(ref_py[a:b]), " ".join(hyp_py[c:d]))
        counts[key] = counts.get(key, 0) + 1
    return tuple(Difference(*key, count=n) for key, n in counts.items())


# ---------------------------------------------------------------- files
def audio_files(paths: list[Path]) -> list[Path]:
    """Programs to check: the files given, and in a folder every .mp3/.wav with a .txt beside it."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += [p for p in sorted(path.iterdir())
                    if p.suffix.lower() in AUDIO_SUFFIXES and p.with_suffix(".txt").is_file()]
        elif not path.exists():
            raise BadInput(_("there is no file {path}").format(path=path),
                           _("give rendered programs (.mp3 or .wav) or the folder they were rendered to"))
        elif path.suffix.lower() not in AUDIO_SUFFIXES:
            raise BadInput(_("{path} is not a rendered program").format(path=path),
                           _("give the .mp3 or .wav files written by `broadcaster render`"))
        elif not path.with_suffix(".txt").is_file():
            raise BadInput(_("{path} has no spoken text beside it ({txt})").format(
                               path=path, txt=path.with_suffix(".txt").name),
                           _("render it with `broadcaster render`, which writes the .txt beside the audio"))
        else:
            out.append(path)
    if not out:
        raise BadInput(_("no rendered programs to check"),
                       _("give .mp3 or .wav files, or a folder holding them with their .txt files"))
    return out


def _entry(audio: Path) -> dict | None:
    """The file's entry in the manifest beside it, or None."""
    try:  # read_text: a FIFO put there as manifest.json is refused, not waited on
        doc = json.loads(read_text(audio.parent / "manifest.json", max_bytes=MAX_MANIFEST_BYTES))
        entry = next(e for e in doc.get("notices", []) if e.get("file") == audio.name)
    except (BadInput, ValueError, StopIteration, AttributeError):
        return None
    return entry if isinstance(entry, dict) else None


def unwritten_words(audio: Path) -> bool:
    """Whether some of the program's words were not written by anyone but heard by the listener itself,
    or not written at all (a recording without `text:`): scoring them would judge the listener by itself."""
    entry = _entry(audio)
    return entry is not None and entry.get("transcript_source", "text") != "text"


def cantonese(audio: Path) -> bool:
    """Whether the manifest beside the file says a Cantonese voice spoke it (Whisper cannot judge that)."""

    entry = _entry(audio)
    if entry is None:
        return False
    try:
        profile = get_profile(str(entry.get("voice", "")))
        if profile.language.lower().startswith(("zh-hk", "yue")) or profile.rhyme == "cantonese":
            return True
    except BadInput:
        pass  # a profile not known here: judge by what the entry says about the voice
    said = " ".join(str(v) for k, v in entry.items() if "voice" in k or "dialect" in k).lower()
    return any(w in said for w in ("yue", "zh-hk", "cantonese", "粤语"))


def verify_file(audio: Path, listener) -> Verdict:
    """One program heard and scored; a file that cannot be read is a Verdict with `error` (naming
    it), so that the others are still checked. A missing listener is raised: nothing can be checked."""
    transcript = audio.with_suffix(".txt")
    try:
        # the player's own check before anything reads the file: a FIFO or a device named .mp3
        # is refused from its stat alone (ffmpeg would wait on it for ever), and so is a file
        # whose headers are not audio
        inspect(audio)
    except Unplayable as exc:
        return Verdict(str(audio), str(transcript), None, error=str(exc))
    if cantonese(audio):
        return Verdict(str(audio), str(transcript), None, reason=_("not checked (Cantonese)"))
    if unwritten_words(audio):
        return Verdict(str(audio), str(transcript), None, reason=_(
            "not checked (a recording's words were written down by the listener, or by nobody)"))
    try:
        said = read_text(transcript, max_bytes=MAX_TRANSCRIPT_BYTES)
    except BadInput as exc:
        return Verdict(str(audio), str(transcript), None, error=str(exc))
    try:
        heard = "".join(h.text for h in listener.hear(audio))
    except AudioError:  # headers that pass, sound that ffmpeg cannot decode
        return Verdict(str(audio), str(transcript), None, error=_(
            "cannot read the sound in {path}: the file is damaged or is not audio").format(path=audio))
    return Verdict(str(audio), str(transcript), score(said, heard), heard)


def verify_files(paths: list[Path], listener=None, on_done=None) -> list[Verdict]:
    """Check every program (see `audio_files`); `on_done(verdict)` after each. A file that cannot
    be read does not stop the others: its verdict carries the error (see `failed`)."""
    files = audio_files(paths)
    listener = listener or Listener()
    out = []
    for audio in files:
        verdict = verify_file(audio, listener)
        out.append(verdict)
        if on_done:
            on_done(verdict)
    return out


def failed(verdicts: list[Verdict]) -> list[Verdict]:
    """The files that could not be checked because they could not be read."""
    return [v for v in verdicts if v.error]


def below(verdicts: list[Verdict], min_heard: float) -> list[Verdict]:
    """The checked files that heard fewer characters right than `min_heard` (0..1)."""
    return [v for v in verdicts if v.score is not None and v.score.heard_right < min_heard]
