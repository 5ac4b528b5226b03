"""Mistakes below the CLI are errors of our tree (exit 1 or 2 with a message), never an internal error."""
from __future__ import annotations

import pytest

from broadcaster import resources
from broadcaster.engines import neural_model
from broadcaster.engines.speak import speak_then
from broadcaster.errors import BadInput, CouldNotDo
from broadcaster.jingle import forms
from broadcaster.vocabulary import JINGLE_FORMS


def test_an_unknown_jingle_form_is_bad_input_naming_the_forms():
    with pytest.raises(BadInput) as caught:
        forms.layout(["戴口罩、勤洗手"], "五言")
    assert "五言" in str(caught.value) and all(f in str(caught.value) for f in JINGLE_FORMS)


def test_a_missing_data_folder_says_reinstall():
    with pytest.raises(CouldNotDo) as caught:
        resources.data_dir("no-such-folder")
    assert caught.value.exit_code == 1 and "reinstall broadcaster" in str(caught.value)


def test_an_unknown_neural_model_variant_is_bad_input():
    with pytest.raises(BadInput) as caught:
        neural_model.acoustic_model("louder")
    assert "louder" in str(caught.value) and "fixed" in str(caught.value)


def test_speaking_with_no_concurrency_at_all_is_bad_input():
    with pytest.raises(BadInput):
        speak_then([], lambda i, spoken: None, concurrency=0)
