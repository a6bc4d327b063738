"""Dutch and English admin texts, including the program's validation messages."""

from __future__ import annotations

from admin.texts import CHOICE_LABELS, FIELD_LABELS, label, problem_text, text


def test_texts_fill_in_their_parameters() -> None:
    assert text("program.saved", "nl", version=3) == "Opgeslagen als versie 3."
    assert text("program.saved", "en", version=3) == "Saved as version 3."


def test_fields_and_choices_have_labels_and_an_unlisted_one_shows_its_key() -> None:
    assert label("pending_days", "nl", FIELD_LABELS).startswith("Dagen voordat punten")
    assert label("half_up", "en", CHOICE_LABELS) == "round half up"
    assert label("no_such_field", "nl", FIELD_LABELS) == "no_such_field"


def test_validation_messages_are_translated_for_dutch_staff() -> None:
    assert problem_text("Input should be greater than or equal to 0", "nl") == "Moet minstens 0 zijn"
    assert problem_text("Input should be a valid integer, unable to parse string as an integer", "nl") == (
        "Vul een heel getal in"
    )
    assert problem_text("Input should be 'down', 'half_up' or 'up'", "nl") == "Kies 'down', 'half_up' or 'up'"
    assert problem_text("a fixed_amount reward needs an amount", "nl").startswith("Een beloning met vast bedrag")
    assert (
        problem_text("Input should be greater than or equal to 0", "en") == "Input should be greater than or equal to 0"
    )
    assert problem_text("something new", "nl") == "something new"
