"""How a loader's mistake reads in a form: at its field, without the file and line, in the form's words.

The loaders' messages are written for someone editing a YAML file (`notices/x.yaml:5: … — add a line
`place: ...` under vars`). In the desk nobody sees the file: a mistake is shown at the field it belongs
to, a field left empty is asked for by its label ("Fill in 检测地点"), and advice about editing the file
(backquoted YAML, quotes, colons) is left out at a field, since the desk writes the file itself. A
mistake that belongs to no field (a misspelt key in a hand-written file) can only be fixed in a text
editor: it keeps its line number and all its advice. The whole line `broadcaster check` prints stays in
`detail`. Nothing here decides what is wrong.
"""
from __future__ import annotations

from broadcaster.errors import BadInput
from broadcaster.i18n import N_, _

# advice that only makes sense in a file (the desk writes these parts itself); compared after translation
FILE_ADVICE = (N_('write it as "07:00" or "18:30:30", in quotes'), N_("write its value after the colon"),
               N_("write dates as 2021-10-27"), N_("paths are relative to the schedule file"))


def is_file_advice(fix: str) -> bool:
    """Whether `fix` tells how to edit the YAML file: a backquoted snippet, or one of FILE_ADVICE."""
    return "`" in fix or fix in {_(m) for m in FILE_ADVICE}


def in_form_words(error: BadInput, field: str, label: str, value: str) -> str:
    """The mistake as the form shows it at `field` (its `label`, the `value` typed there)."""
    if field and not value.strip():
        return _("Fill in {label}").format(label=label or field)
    if not field:  # about the file as a whole, which only a text editor can fix: which line, all the advice
        what = f"{error.what} — {error.fix}" if error.fix else error.what
        return _("line {line}: {message}").format(line=error.line, message=what) if error.line else what
    if error.fix and not is_file_advice(error.fix):
        return f"{error.what} — {error.fix}"
    return error.what


def form_errors(errors, values: dict[str, str], labels: dict[str, str], folder_prefix: str) -> list[dict]:
    """Each FieldError as {field, message in form words, detail: the line `check` prints (the folder's
    path left out)}. One message per field: a field left empty is asked for once."""
    out, seen = [], set()
    for e in errors:
        detail = e.message.replace(folder_prefix, "")
        if e.cause is None:
            message = detail
        else:
            message = in_form_words(e.cause, e.field, labels.get(e.field, ""), str(values.get(e.field, "")))
        if (e.field, message) in seen:
            continue
        seen.add((e.field, message))
        out.append({"field": e.field, "message": message, "detail": detail})
    return out

