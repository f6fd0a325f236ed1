"""The shipped hate model: per-sentence evidence, long texts, determinism, targets and severity."""

from __future__ import annotations

from typing import Any

import pytest

from models.hate.model import units_of, windows

pytestmark = pytest.mark.slow


def test_units_are_title_and_windows() -> None:
    text = "One sentence. Two sentences."
    units = units_of("Headline here", text, 0)
    assert [(u.field, u.start, u.end) for u in units] == [("title", 0, 13), ("text", 0, len(text))]
    long = "A short sentence here. " * 100
    spans = windows([(i * 23, i * 23 + 22) for i in range(100)], 500)
    assert len(spans) > 3 and all(e - s <= 500 for s, e in spans)
    assert len(units_of("", long, 0)) == len(spans)


def test_evidence_offsets_point_into_the_text(classifier: Any) -> None:
    text = "The weather was fine today. Migrants are vermin and should be thrown out. Buses ran late."
    (result,) = classifier.hate.predict([("", text)])
    span = result.evidence[0]
    assert text[span.start:span.end] == span.text and span.field == "text"


def test_hateful_post_beats_neutral_post(classifier: Any) -> None:
    hateful, neutral = classifier.hate.predict([
        ("", "Migrants are parasites and vermin, send every one of them back."),
        ("", "I am a refugee and I just got my nursing licence."),
    ])
    assert hateful.score > neutral.score
    assert hateful.hate and not neutral.hate
    assert hateful.target == "migrants" and hateful.severity == "dehumanising"
    assert neutral.severity == "none"


def test_long_text_past_512_tokens_is_chunked(classifier: Any) -> None:
    long = " ".join(["The council discussed the local bus timetable for an hour."] * 300)
    long += " Refugees are vermin who should be burned out of our towns."
    (result,) = classifier.hate.predict([("", long)])
    assert result.evidence[0].start > 10000
    assert result.score > 0.3


def test_same_input_same_output(classifier: Any) -> None:
    docs = [("T", "Send the invaders back to where they came from!"), ("", "Nice weather.")]
    assert classifier.hate.predict(docs) == classifier.hate.predict(docs)


def test_empty_and_emoji_only(classifier: Any) -> None:
    empty, emoji = classifier.hate.predict([("", ""), ("", "🙂🙂🙂")])
    assert empty.hate is False and empty.evidence == ()
    assert 0.0 <= emoji.score <= 1.0


def test_hate_spans_cut_only_overlong_sentences_after_lowercase_stops() -> None:
    from models.hate.model import hate_spans
    from pipeline.core.text import sentence_spans

    short = "These people are fine. e.g. they work. Ok."
    assert hate_spans(short, limit=300) == sentence_spans(short) and len(sentence_spans(short)) == 2
    long = "they are rats. " + "word " * 80 + "end; more text here."
    spans = hate_spans(long, limit=100)
    assert [long[s:e] for s, e in spans][0] == "they are rats." and long[spans[-1][0]:spans[-1][1]] == "more text here."
    assert all(long[s:e].strip() == long[s:e] for s, e in spans)


@pytest.mark.parametrize("title", ["", " ", "Send them b4ck", "www.example.org", "s.p.a.c.e", "@user 12,5 %", "é"])
@pytest.mark.parametrize("text", ["", "\n", "they are v e r m i n", "Les migrants, 3l1te!", "\u0301accent", "a_b"])
def test_document_model_text_is_model_text_of_the_joined_document(title: str, text: str) -> None:
    from models.features import document_model_text, model_text

    assert document_model_text(title, text) == model_text(f"{title}\n{text}")
