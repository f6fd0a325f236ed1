"""The default relevance cascade: the lexicon decides what it is sure of, the embedding head the rest."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.corpus import VOCAB
from models.relevance.lexicon import cascade, load_lexicon, relevance_score, score_batch, uncertain
from models.relevance.training import DATA_DIR, load_passages, metrics, score_passages
from pipeline.classify.classifier import classify_batch
from pipeline.core.config import Settings
from pipeline.core.record import Article


@pytest.fixture(scope="module")
def model() -> Any:
    from models.relevance.model import load_relevance_model

    return load_relevance_model()


def _salad(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """Word salad as the e2e benchmark writes it: (title, text, lang)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        lang = rng.choice(sorted(VOCAB))
        words = VOCAB[lang]
        out.append((" ".join(rng.choice(words) for _ in range(6)),
                    ". ".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(4)), lang))
    return out


@pytest.mark.parametrize("text, lang", [
    ("The new arrivals were moved from the hotel to a barracks on the edge of town.", "en"),
    ("Les sans-papiers occupent depuis lundi la bourse du travail.", "fr"),
    ("Les nouveaux arrivants dorment sous les ponts du canal.", "fr"),
    ("Los menores no acompañados duermen en el suelo del centro de acogida.", "es"),
    ("Die Neuankömmlinge wurden in einer Turnhalle untergebracht.", "de"),
    ("I nuovi arrivati sono stati trasferiti in un centro a Bari.", "it"),
    # v2.2 categories: papers and status, centres, rescue at sea, money sent home, origin, rhetoric
    ("Her residence permit expired while the renewal sat unopened for a year.", "en"),
    ("The detention centre near the airport was found unfit for families.", "en"),
    ("Sans récépissé, il a perdu son travail de plongeur.", "fr"),
    ("Les rescapés ont été débarqués à Marseille par le navire.", "fr"),
    ("Sin tarjeta de residencia no puede alquilar un piso.", "es"),
    ("Cada mes manda dinero a su familia en Cochabamba.", "es"),
    ("Seine Duldung wurde wieder nur um drei Monate verlängert.", "de"),
    ("Die Erstaufnahmeeinrichtung ist seit Wochen überfüllt.", "de"),
    ("Senza permesso di soggiorno non può lavorare.", "it"),
    ("Le motovedette hanno soccorso un barchino al largo di Lampedusa.", "it"),
    ("The Eritrean family waited two years in a flat above the chip shop.", "en"),
    # v2.3: hyphenated cues read after de-obfuscation ("rendez-vous" -> "rendezvous"), people on board or in a
    # lorry, paperwork, money transfers, cities of origin, farm workers, recognition exams
    ("Ils attendent depuis l'aube un rendez-vous à la préfecture.", "fr"),
    ("Police found eleven people in a refrigerated lorry near the port.", "en"),
    ("Il peschereccio aveva trecento persone a bordo.", "it"),
    ("She lost her job because the paperwork was never filed.", "en"),
    ("The money transfer shop on the corner is busiest on Fridays.", "en"),
    ("Su hermano llegó desde Kabul hace dos años.", "es"),
    ("Las jornaleras de la fresa cobran por debajo del convenio.", "es"),
    ("Er wartet seit einem Jahr auf die Kenntnisprüfung.", "de"),
    # lexicon 2.3 (French round g): camps and sheltering, classes for newly arrived pupils
    ("La mairie a ouvert un gymnase pour la mise à l'abri des familles du campement.", "fr"),
    ("Les élèves allophones suivent des cours de français renforcés.", "fr"),
])
def test_implicit_references_are_left_to_the_embedding(text: str, lang: str) -> None:
    lexicon = load_lexicon()
    score = relevance_score("", text, lang, lexicon)
    assert score >= lexicon.sure or uncertain("", text, lang, score, lexicon)


def test_word_salad_and_sure_items_never_cost_an_encoder_pass(model: Any) -> None:
    lexicon = load_lexicon()
    salad = _salad(200)
    assert not any(uncertain(t, x, lang, relevance_score(t, x, lang, lexicon), lexicon) for t, x, lang in salad)
    sure = ("Migrants and refugees", "Asylum seekers and migrants wait for a decision on their asylum claims.", "en")
    docs = [*salad[:3], sure]
    lexical = [relevance_score(t, x, lang, lexicon) for t, x, lang in docs]
    assert lexical[3] >= lexicon.sure
    assert cascade(docs, lexical, lexicon, model) == lexical  # nothing asked: the scores are the lexicon's


def test_the_default_classifier_passes_implicit_migration_and_keeps_look_alikes_out(classifier: Any) -> None:
    assert Settings().relevance_embedding and classifier.relevance_model is not None
    items = [Article(url="a", outlet="o", lang="es",
                     text="Los menores no acompañados duermen en el suelo del centro de acogida de Ceuta."),
             Article(url="b", outlet="o", lang="en",
                     text="New arrivals at the zoo include two snow leopards from a breeding programme."),
             Article(url="c", outlet="o", lang="en", text="The council approved a new cycle lane by the river.")]
    out = classify_batch(items, classifier, gate=Settings().relevance_gate)
    assert [a.hate is not None for a in out] == [True, False, False]
    lexicon_only = score_batch(items, classifier.lexicon)
    assert lexicon_only[0].relevance == 0.0  # the lexicon alone would have dropped it


# Head 1.2.0 measured test 0.795 / 0.890 (1.1.0: 0.808 / 0.890), hard:test 0.739 / 1.000 (0.810 / 1.000) and
# politics 0.745 / 0.717 (0.582 / 0.736): political and foreign news is the weakness the politics floor guards.
# With lexicon 2.3's look-alikes: test 0.819 / 0.890, dev 0.969 / 0.927 (0.955 / 0.938 with the French round g
# and its cues), lookalikes.jsonl 1.000 / 1.000 (0.429 / 1.000 without them: every animal or data migration passed).
@pytest.mark.parametrize("split, min_precision, min_recall", [("test.jsonl", 0.80, 0.88), ("hard:test", 0.70, 0.94),
                                                            ("dev.jsonl", 0.95, 0.90), ("politics.jsonl", 0.70, 0.70),
                                                            ("lookalikes.jsonl", 0.90, 0.90)])
def test_default_gate_quality_on_held_out_passages(model: Any, tmp_path: Path, split: str,
                                                   min_precision: float, min_recall: float) -> None:
    path = DATA_DIR / split
    if split.startswith("hard:"):
        rows = (DATA_DIR / "hard.jsonl").read_text(encoding="utf-8").splitlines()
        path = tmp_path / "hard_test.jsonl"
        path.write_text("\n".join(r for r in rows if '"split": "test"' in r) + "\n", encoding="utf-8")
    passages = load_passages(path)
    scores, _ = score_passages(model, passages)
    m = metrics(np.array([p.label for p in passages]), (scores >= Settings().relevance_gate).astype(int))
    assert m["precision"] >= min_precision and m["recall"] >= min_recall, m


def test_lexicon_only_is_still_a_setting(classifier: Any) -> None:
    lexicon_only = replace(classifier, relevance_model=None)
    text = "Los menores no acompañados duermen en el suelo del centro de acogida de Ceuta."
    (out,) = classify_batch([Article(url="a", outlet="o", lang="es", text=text)], lexicon_only, gate=0.1)
    assert out.hate is None and out.relevance == 0.0


class _Spy:
    """A relevance model that records what it is asked about and scores everything 1.0."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def predict(self, docs: list[tuple[str, str]], lexical: list[float]) -> np.ndarray:
        """1.0 for every item, remembering the items."""
        self.asked.extend(docs)
        return np.ones(len(docs))


@pytest.mark.parametrize("text, lang", [
    ("Thousands of geese stop on the estuary during their autumn migration.", "en"),
    ("La migration des données vers le nouveau logiciel a bloqué la mairie.", "fr"),
    ("Las cigüeñas vuelven de África y anidan de nuevo en los campanarios.", "es"),  # a cue, no term
    ("Die Datenmigration der Stadtverwaltung dauert länger als geplant.", "de"),
])
def test_look_alikes_score_0_and_never_reach_the_head(text: str, lang: str) -> None:
    spy, lexicon = _Spy(), load_lexicon()
    docs = [("", text, lang)]
    assert cascade(docs, [relevance_score("", text, lang, lexicon)], lexicon, spy) == [0.0]  # type: ignore[arg-type]
    assert spy.asked == []


@pytest.mark.parametrize("text, lang", [
    ("A migrant worker on the salmon farm said he had not been paid for months.", "en"),
    ("Des exilés dorment près des étangs où nichent les oies sauvages.", "fr"),
    ("Según los datos de Interior, la migración irregular hacia Canarias se ha duplicado.", "es"),
])
def test_an_item_that_names_migrants_is_no_look_alike(text: str, lang: str) -> None:
    lexicon = load_lexicon()
    lexical = relevance_score("", text, lang, lexicon)
    assert cascade([("", text, lang)], [lexical], lexicon) == [lexical] and lexical > 0
