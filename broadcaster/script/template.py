"""Notice templates filled in a bounded Jinja2 sandbox: every mistake is bad input at its line.

A template is the user's program: the sandbox refuses attribute tricks, and loops, ranges, string
sizes and powers are counted, so no template runs without end or fills the memory. The built-in
templates are in data/notice_templates/ (resources.templates_dir); a notice may also use a .j2 file
of its own folder, never one outside it.
"""
from __future__ import annotations

import contextvars
import functools
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
import jinja2.meta
import jinja2.nodes
import jinja2.runtime
import jinja2.sandbox
import yaml

from broadcaster.errors import BadInput, raise_all
from broadcaster.i18n import _
from broadcaster.notice import Notice
from broadcaster.resources import templates_dir
from broadcaster.yamlsource import closest

_META_RE = re.compile(r"^\s*\{#-?(.*?)-?#\}", re.S)
PLACES = "places.yaml"  # beside the built-in templates: the words that follow the place
PLACE_WORDS = ("residents", "committee", "whole")  # also filters: {{ village | committee }}


@dataclass(frozen=True)
class TemplateInfo:
    """A built-in template: its name, title, description and variables."""

    name: str
    title: str
    description: str
    required: dict  # var -> meaning
    optional: dict
    path: Path


# A template is the user's program: it may loop and multiply, but never without end. Every loop
# item, every produced string and the whole output are counted (numbers, not a timer).
MAX_LOOP_ITEMS = 10_000   # loop items in one filling, over all loops
MAX_RANGE = 1_000         # items in one range()
MAX_STRING = 20_000       # characters in any string a template makes (MAX_TEXT is 10,000)
MAX_POWER = 64            # exponent of ** (2 ** 10 ** 10 would never finish)
MAX_MISSING = 20          # missing variables reported from one template

_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("template_budget")


class _Runaway(Exception):
    """A template wanted more than a notice can hold; reported as bad input with its line."""


class _TemplateLeavesFolder(jinja2.TemplateNotFound):
    """A template file that is, or links to, a file outside the notice's folder."""


def _spend(items: int) -> None:
    budget = _budget.get(None)
    if budget is None:
        return
    budget[0] -= items
    if budget[0] < 0:
        raise _Runaway(_("the template loops more than {n} times").format(n=MAX_LOOP_ITEMS))


@jinja2.pass_context  # never folded at compile time: it counts while the template runs
def _counted(_context, iterable):
    for item in iterable:
        _spend(1)
        yield item


def _safe_range(*args: int) -> range:
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise _Runaway(_("range() of {n} items (at most {limit})").format(n=len(items), limit=MAX_RANGE))
    return items


def _too_long() -> _Runaway:
    return _Runaway(_("the template makes a text of more than {n} characters").format(n=MAX_STRING))


def _refuse_big(value):
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_STRING:
        raise _too_long()
    return value


def _check_args(name: str, args: tuple, kwargs: dict) -> None:
    """Refuse the arguments that make huge strings: widths and counts, and replace() blow-ups."""
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_STRING:
            raise _Runaway(_("the template asks for {n} of something (at most {limit})").format(
                n=arg, limit=MAX_STRING))
        _refuse_big(arg)
    if name == "replace" and len(args) >= 3 and all(isinstance(a, str) for a in args[:3]):
        text, old, new = args[:3]
        grown = len(text) + (text.count(old) if old else len(text) + 1) * max(0, len(new) - len(old))
        if grown > MAX_STRING:
            raise _too_long()


def _guarded_filter(name: str, func):
    @functools.wraps(func)  # keeps jinja's pass_context marks
    def guarded(*args, **kwargs):
        _check_args(name, tuple(a for a in args if not isinstance(a, jinja2.runtime.Context)), kwargs)
        return _refuse_big(func(*args, **kwargs))
    return guarded


class _BoundedEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """The sandbox (no attribute tricks) plus bounds on loops, ranges, strings and powers."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.filters = {name: _guarded_filter(name, f) for name, f in self.filters.items()}
        self.filters["_counted"] = _counted
        for word in PLACE_WORDS:  # {{ village | residents }}: 村民 in a 村, 居民 in a 社区
            self.filters[word] = _place_filter(word)
        self.globals["range"] = _safe_range

    def _parse(self, source, name, filename):
        """Every `{% for %}` loop goes through `_counted`, so nested loops share one budget."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(jinja2.nodes.For):
            loop.iter = jinja2.nodes.Filter(loop.iter, "_counted", [], [], None, None, lineno=loop.lineno)
        return tree

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int) and right > MAX_POWER and abs(left) > 1:
            raise _Runaway(_("the template raises a number to the power {n} (at most {limit})").format(
                n=right, limit=MAX_POWER))
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_STRING:
                    raise _too_long()
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (jinja's own signature)
        name = getattr(__obj, "__name__", "")
        owner = getattr(__obj, "__self__", None)
        _check_args(name, ((owner,) if isinstance(owner, str) else ()) + args, kwargs)
        return _refuse_big(super().call(__context, __obj, *args, **kwargs))


class _FolderLoader(jinja2.FileSystemLoader):
    """Templates from the given folders only: a symlink leading out of its folder is refused."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(Path(folder).resolve()) for folder in self.searchpath):
            raise _TemplateLeavesFolder(template)
        return source, filename, uptodate


def _place_filter(word: str):
    @jinja2.pass_context
    def place_word(context, place) -> str:
        own = context.get(word)  # the notice's own word wins (committee: 村两委)
        if own is not None and not isinstance(own, jinja2.Undefined):
            return own
        return place_words(str(place))[word]  # str() of a missing place reports it as missing
    return place_word


def _spoken_value(value):
    """`{{ place }}` with a list of places is read as 北门、南门, never as Python's ['北门', '南门']."""
    if isinstance(value, (list, tuple)):
        return "、".join(str(_spoken_value(v)) for v in value)
    if isinstance(value, dict):
        return "、".join(str(_spoken_value(v)) for v in value.values())
    return value


def _environment(search: tuple[str, ...]) -> jinja2.sandbox.SandboxedEnvironment:
    return _BoundedEnvironment(
        loader=_FolderLoader(list(search)), undefined=jinja2.StrictUndefined, finalize=_spoken_value,
        autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=64)
def _env_for(search: tuple[str, ...]) -> jinja2.sandbox.SandboxedEnvironment:
    return _environment(search)


def _render(template: jinja2.Template, variables: dict) -> str:
    """Fill a template within the budget: loop items, string sizes and the whole output."""
    token = _budget.set([MAX_LOOP_ITEMS])
    try:
        out: list[str] = []
        size = 0
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_STRING:
                raise _too_long()
            out.append(chunk)
        return "".join(out)
    finally:
        _budget.reset(token)


def _render_all_missing(template: jinja2.Template, variables: dict) -> tuple[str, list[str]]:
    """Fill the template; with variables missing, every missing name (first use first), not only one."""
    values = dict(variables)
    missing: list[str] = []
    while True:
        try:
            return _render(template, values), missing
        except jinja2.UndefinedError as exc:
            found = re.search(r"'([^']+)' is undefined", str(exc))
            if missing and (not found or found.group(1) in values or len(missing) >= MAX_MISSING):
                return "", missing  # a follow-on of a name already reported
            if not found or found.group(1) in values:
                raise
            missing.append(found.group(1))
            values[found.group(1)] = ""  # stands in so the rest of the template can be checked


def _template_place(exc: BaseException) -> tuple[str | None, int | None]:
    """(template file or '<template>', line) of the innermost template frame of an error."""
    place: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2") or name == "<template>":
            place = (name, tb.tb_lineno)
        tb = tb.tb_next
    return place


@lru_cache(maxsize=1)
def _places() -> dict:
    return yaml.safe_load((templates_dir() / PLACES).read_text(encoding="utf-8"))


def place_words(place: object) -> dict[str, str]:
    """How a notice names the people of `place` and their committee (data/notice_templates/places.yaml):
    宏福苑社区 -> residents 居民, committee 社区居委会, whole 全社区; a village (or no place) 村民, 村委会, 全村."""
    data = _places()
    name = str(place).strip() if isinstance(place, (str, int)) else ""
    for kind in data["kinds"]:
        if (name.endswith(tuple(str(e) for e in kind.get("ends") or ()))
                or any(str(h) in name for h in kind.get("has") or ())):
            return {k: str(kind[k]) for k in PLACE_WORDS}
    return {k: str(data["default"][k]) for k in PLACE_WORDS}


def place_lead(line: str, place: object) -> str:
    """A voice profile's lead line for the people of `place`: 各位村民请注意 -> 各位居民请注意 in a 社区."""
    return line.replace(str(_places()["lead_word"]), place_words(place)["residents"])


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
    where_key = "template" if notice.template else "text"
    try:
        if notice.template is not None:
            name = notice.template
            if name.endswith(".j2"):
                env = _env_for((here, builtin))
                if Path(name).is_absolute() or ".." in Path(name).parts:
                    raise notice.error(_("template path '{name}' leaves the notice's folder").format(name=name),
                                       _("put the .j2 file in this notice's folder and write only its name"),
                                       "template")
            else:
                env = _env_for((builtin,))
                known = [t.stem for t in templates_dir().glob("*.j2")]
                if name not in known:
                    close = closest(name, known)
                    raise notice.error(_("unknown template '{name}'").format(name=name),
                                       _("did you mean '{word}'? See `broadcaster templates`").format(word=close)
                                       if close else _("see `broadcaster templates` for the names"),
                                       "template")
                name = name + ".j2"
            template = env.get_template(name)
        else:
            env = _env_for((here, builtin))
            template = env.from_string(notice.text or "")
        text, missing = _render_all_missing(template, notice.vars)
    except jinja2.UndefinedError as exc:
        # not a plain missing name: e.g. {{ place.name }} where place is text
        part = re.search(r"has no (?:attribute|element) '?([^']+?)'?$", str(exc))
        what = (_("the template asks for the part '{part}' of a variable that has no such part").format(
            part=part.group(1)) if part else _("the template uses a variable that is not there"))
        raise notice.error(what, _("check the names in {{ }} against the vars"), where_key) from None
    except jinja2.exceptions.SecurityError:
        raise notice.error(_("the template tries something that is not allowed"),
                           _("use only variables and simple filters, e.g. {{ place }}"), where_key) from None
    except _TemplateLeavesFolder as exc:
        raise notice.error(_("template '{name}' leads outside the notice's folder").format(name=exc.name),
                           _("copy the .j2 file into this notice's folder instead of linking to it"),
                           where_key) from None
    except jinja2.TemplateNotFound as exc:
        raise notice.error(_("template file '{name}' not found (or outside the template folders)").format(
            name=exc.name), _("put the .j2 file in this notice's folder"), where_key) from None
    except jinja2.TemplateSyntaxError as exc:
        place = exc.filename or str(notice.path)
        what, fix = _syntax_words(exc.message or "")
        raise BadInput(what, fix, place, exc.lineno if exc.filename
                       else notice.doc.line(where_key) if notice.doc else None) from None
    except jinja2.TemplateError:
        raise notice.error(_("the template cannot be filled in"),
                           _("check the {{ }} and {% %} marks in it"), where_key) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        # e.g. {{ start + 1 }} with text in start, or {{ n / 0 }}: the user's template, not our bug
        filename, line = _template_place(exc)
        what = _("the template cannot work something out with these values (text and numbers mixed?)")
        fix = _("check the {{ }} on this line: a sum needs numbers, and nothing may be divided by 0")
        if filename and filename.endswith(".j2"):
            raise BadInput(what, fix, filename, line) from None
        raise notice.error(what, fix, where_key) from None
    except (_Runaway, OverflowError, MemoryError, RecursionError) as exc:
        what = str(exc) if isinstance(exc, _Runaway) else _("the template runs without end")
        fix = _("a notice needs only a few short loops: check the template")
        filename, line = _template_place(exc)
        if filename and filename.endswith(".j2"):
            raise BadInput(what, fix, filename, line) from None
        raise notice.error(what, fix, where_key) from None
    if missing:
        raise_all([_missing(notice, var, missing) for var in missing])
    return _tidy(text)


def _missing(notice: Notice, var: str, missing: list[str]) -> BadInput:
    """A missing variable, with the template's own words for it and a misspelt var named."""
    meaning = _meanings(notice).get(var, "")
    if meaning:
        what = _("missing variable '{name}' ({meaning})").format(name=var, meaning=meaning)
    elif notice.template:
        what = _("missing variable '{name}' (template {template} needs it)").format(name=var,
                                                                                    template=notice.template)
    else:
        what = _("missing variable '{name}' (the text uses it)").format(name=var)
    spare = [v for v in notice.vars if v not in missing and v not in _used(notice)]
    typo = closest(var, spare)

    def at(fix: str, *keys: str) -> BadInput:
        # placed at the line of `keys`, and about the variable itself (the desk shows it at that field)
        return BadInput(what, fix, notice.path, notice.doc.line(*keys) if notice.doc else None, ("vars", var))
    if typo is not None and notice.doc is not None:
        line = notice.doc.line("vars", typo)
        if notice.template and not notice.template.endswith(".j2"):  # a built-in's names are right
            fix = _("'{typo}' on line {line} looks misspelt: rename it to '{name}'").format(
                typo=typo, line=line, name=var)
        else:  # the user wrote both names: either may be the slip
            fix = _("vars has '{typo}' on line {line}: write the same name in vars and between {marks}").format(
                typo=typo, line=line, marks="{{ }}")
        return at(fix, "vars", typo)
    if notice.vars:
        return at(_("add a line `{name}: ...` under vars").format(name=var), "vars")
    return at(_("add `vars:` and below it a line `  {name}: ...`").format(name=var),
              "template" if notice.template else "text")


def _template_file(notice: Notice) -> Path | None:
    name = notice.template
    if not name:
        return None
    path = notice.path.parent / name if name.endswith(".j2") else templates_dir() / f"{name}.j2"
    return path if path.is_file() else None


def _meanings(notice: Notice) -> dict:
    """var -> the template's own description of it ("开始时间，如 8:00"), when it has one."""
    path = _template_file(notice)
    if path is None:
        return {}
    try:
        info = template_info(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}  # a user's template with a broken header: no descriptions, still a message
    return {str(k): str(v) for k, v in {**info.optional, **info.required}.items() if v}


def _used(notice: Notice) -> set[str]:
    """The variable names the notice's template or text uses."""
    path = _template_file(notice)
    try:
        source = path.read_text(encoding="utf-8") if path else (notice.text or "")
        return set(jinja2.meta.find_undeclared_variables(_env_for((str(templates_dir()),)).parse(source)))
    except (OSError, UnicodeDecodeError, jinja2.TemplateError):
        return set()


# jinja's words for a broken template (its messages are English and technical) -> plain words
def _syntax_words(message: str) -> tuple[str, str]:
    found = re.search(r"No (filter|test) named '([^']+)'", message)
    if found:
        return (_("the template uses '{name}', which it does not know").format(name=found.group(2)),
                _("remove `| {name}` or check its spelling").format(name=found.group(2)))
    found = re.search(r"innermost block that needs to be closed is '(\w+)'", message)
    if found:
        return (_("a '{tag}' block in the template is not closed").format(tag=found.group(1)),
                _("add `{end}` where it should end").format(end="{% end" + found.group(1) + " %}"))
    found = re.search(r"Encountered unknown tag '(\w+)'", message)
    if found:
        return (_("the template has an unknown mark '{tag}'").format(tag="{% " + found.group(1) + " %}"),
                _("use only if, for and set between {% %}, each closed with its end mark"))
    if "print statement" in message:
        return (_("a '{{' in the template is not closed with '}}', or holds more than a name"),
                _("write one variable name between the marks, e.g. {{ place }}"))
    return (_("the template's {{ }} or {% %} marks are not written right"),
            _("check that every {{ has its }} and every {% if %} or {% for %} its {% endif %} or {% endfor %}"))


def _tidy(text: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)
