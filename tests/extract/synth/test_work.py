"""Working life (extract/synth/work.py): job titles composed and cased the way business text writes
them, French titles agreeing with the person, and the nouns that name a job in each of them."""

from __future__ import annotations

import random
import re

from extract.synth.work import french_job_title, job_nouns, job_words
from tests.extract.synth.conftest import by_language, span_texts


def test_job_titles_are_composed_and_cased_like_business_text(corpus):
    titles = span_texts(corpus, "JOBTITLE")
    words = job_words()
    descriptor, area, kind = (set(words[f"en {p}"]) for p in ("descriptor", "area", "type"))
    assert any(len(t.split()) == 3 and t.split()[0] in descriptor and t.split()[1] in area and t.split()[2] in kind
               for t in titles)  # "Forward Directives Architect"
    assert any(re.fullmatch(r"(Senior|Junior|Lead|Principal|Staff|Associate) [A-Z][\w ]+", t) for t in titles)
    assert sum(t.islower() for t in titles) >= 0.1 * len(titles)
    fr_titles = span_texts(by_language(corpus, "fr"), "JOBTITLE")
    assert any(re.match(r"(Responsable|Chargée? d|Directeur|Directrice)", t, re.I) for t in fr_titles)


def test_french_job_titles_agree_with_the_person():
    rng = random.Random(0)
    chargés = 0
    for _ in range(300):
        feminine = french_job_title(rng, True)
        assert not re.match(r"(Directeur|Chargé |Technicien |Conseiller |Consultant |Développeur|Acheteur )", feminine), feminine
        assert "commercial " not in feminine + " " and "financier" not in feminine, feminine
        masculine = french_job_title(rng, False)
        assert not re.match(r"(Directrice|Chargée|Cheffe|Technicienne|Conseillère)", masculine), masculine
        for title in (feminine, masculine):
            if title.startswith("Chargé"):
                assert re.match(r"Chargée? (de |d'|des |du )", title), title
                chargés += 1
    assert chargés >= 5


def test_companies_have_domains_without_legal_words(corpus):
    emails = [e for r in corpus for e in span_texts([r], "EMAIL")]
    urls = span_texts(corpus, "URL")
    domains = {e.split("@")[1] for e in emails} | {re.sub(r"^(https?://)?(www\.|account\.|meet\.|news\.|portal\.)?", "", u)
                                                   .split("/")[0] for u in urls}
    assert domains
    assert not any(re.search(r"(^|-)(inc|llc|ltd|plc|sarl|sas)(\.|-)", d) for d in domains), domains


def test_companies_also_have_composed_names_with_their_legal_form(corpus):
    from extract.synth.work import _company_lists
    from extract.synth.values import column

    stems = set(column(_company_lists()["company stems"]))
    names = span_texts(corpus, "COMPANYNAME")
    composed = [n for n in names if any(n.startswith(stem + " ") or f" {stem}" in n for stem in stems)]
    assert 0.15 * len(names) <= len(composed) <= 0.6 * len(names)
    assert any(re.fullmatch(r"[A-Z][\w ]+ (Logistics|Holdings|Consulting|Solutions|Capital|Partners)( \w+)?", n)
               for n in composed)
    assert any(n.endswith((" Ltd", " plc", " SAS", " SARL", " Inc", " LLC")) for n in composed)  # the form inside
    assert not any(n.endswith(".") for n in names)


def test_every_job_title_of_the_corpus_holds_one_of_its_job_nouns(big_corpus):
    # What the head's span rules keep of a job title in lower case: it must name a job.
    nouns = job_nouns()
    titles = set(span_texts(big_corpus, "JOBTITLE"))
    assert len(titles) > 300
    nameless = [t for t in titles if not any(part in nouns for word in t.casefold().split()
                                             for part in (word, *re.split(r"[-'’/]", word)))]
    assert not nameless, nameless[:10]
    assert {"manager", "head", "directrice", "conducteur", "analyst"} <= nouns
    assert not {"of", "de", "senior", "procurement"} & nouns  # fields and seniorities name no job
