"""Working life in a text: companies with their web domains, job titles, the products shops sell.

Job titles come from Faker's lists or are composed of parts, as business text and generated data write them.
"""

from __future__ import annotations

import importlib
import random
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from extract.synth.people import person_of
from extract.synth.text import cased, slug
from extract.synth.values import NOTHING, Rows, checked_lists, column, options_by_key

if TYPE_CHECKING:
    from extract.synth.fill import Fill

# Job titles: Faker's lists, then titles made of parts, the way business text and generated
# data write them ("Senior Marketing Coordinator", "Central Infrastructure Manager"; "Chargée de clientèle").
COMPOSED_JOB_SHARE = 0.5
# Share of companies with a composed brand name ("Brightline Logistics", "Northgate Holdings Ltd", "Transports
# Horizon SAS") rather than Faker's surname-based one: firms' names that read like job areas or places.
COMPOSED_COMPANY_SHARE = 0.35
# Share of job titles written in lower case where the template does not fix the case ("as a senior data analyst").
LOWER_JOB_SHARE = 0.2
_EN_JOB_PARTS = ("descriptor", "area", "type", "seniority", "field", "role")
# Where a job title's field starts ("Head of Procurement", "Engineer, civil", "chargé de clientèle"): the
# words before it name the job.
_JOB_COMPLEMENT = re.compile(r",|\(|\s(?:(?:of|for|and|de|du|des|en|à|au|aux|pour|et)(?=\s|$)|d['’])")


@dataclass
class Company:
    name: str
    domain: str


@cache
def _company_lists() -> dict[str, Rows]:
    """templates/_values/companies.txt: legal words, domain endings, products, composed names' words, apps."""
    return checked_lists("companies", {"legal words": (1,), "domain endings": (2,), "en products": (1,),
                                       "fr products": (1,), "company stems": (1,), "en company sectors": (1,),
                                       "fr company sectors": (1,), "company legal forms": (2,), "apps": (1,)})


@cache
def _legal_forms() -> dict[str, tuple[str, ...]]:
    return options_by_key(_company_lists()["company legal forms"])


def composed_company_name(fill: Fill) -> str:
    """'Brightline Logistics', 'Northgate Holdings Ltd', 'Transports Horizon SAS', 'Azur Conseil'."""
    rng, lists = fill.rng, _company_lists()
    stem = rng.choice(column(lists["company stems"]))
    sector = rng.choice(column(lists[f"{'fr' if fill.fr else 'en'} company sectors"]))
    name = f"{sector} {stem}" if fill.fr and rng.random() < 0.5 else f"{stem} {sector}"
    form = rng.choice(_legal_forms()[fill.locale])
    return name if form == NOTHING else f"{name} {form}"


@cache
def _legal_words() -> frozenset[str]:
    """Words of a company name that a web domain leaves out."""
    return frozenset(column(_company_lists()["legal words"]))


@cache
def _domain_endings() -> dict[str, tuple[str, ...]]:
    return options_by_key(_company_lists()["domain endings"])


@cache
def products(lang: str) -> tuple[str, ...]:
    return column(_company_lists()[f"{lang} products"])


@cache
def apps() -> tuple[str, ...]:
    """Messaging apps and services: 'WhatsApp', 'Teams', never labelled."""
    return column(_company_lists()["apps"])


def new_company(fill: Fill) -> Company:
    fake, rng = fill.fake, fill.rng
    if rng.random() < COMPOSED_COMPANY_SHARE:
        name = composed_company_name(fill)
    else:
        name = fake.company()
    if fill.fr:
        # Faker writes 'S.A.R.L.'; the trailing period would read as sentence punctuation, and
        # French firms mostly write SARL / SAS today. A bare surname gets a legal form so it reads
        # as a firm rather than a person.
        name = name.replace(".", "")
        if " " not in name:
            name = rng.choice((f"{name} SAS", f"{name} SARL", f"Groupe {name}", f"{name} et Associés", f"{name} SA"))
    words = [w for w in re.split(r"[ ,]+", name) if w.lower() not in _legal_words()]
    stem = slug(" ".join(words[:2]) or name, "-")
    return Company(name, stem + rng.choice(_domain_endings()[fill.locale]))


@cache
def _faker_jobs(locale: str) -> tuple[str, ...]:
    """Faker's job list without entries like 'Engineer, civil (consulting)': no punctuation
    that would read as sentence punctuation at a span edge, nothing that needs brackets."""
    module = "en_US" if locale.startswith("en") else "fr_FR"
    jobs = importlib.import_module(f"faker.providers.job.{module}").Provider.jobs
    return tuple(job for job in jobs if not re.search(r"[,()/]", job) and len(job.split()) <= 5)


@cache
def _job_lists() -> dict[str, Rows]:
    return checked_lists("jobs", {**{f"en {part}": (1,) for part in _EN_JOB_PARTS},
                                  "fr role": (2,), "fr domain": (1,), "fr level": (2,)})


@cache
def job_words() -> dict[str, tuple[str, ...]]:
    """The parts of composed English titles: {"en descriptor": (...), "en area": (...), ...}."""
    return {name: column(rows) for name, rows in _job_lists().items() if not name.startswith("fr ")}


@cache
def job_nouns() -> frozenset[str]:
    """The words that name the job in every title the corpus writes, in lower case: the last word
    of an English title before its field ('manager' of 'Senior Data Manager', 'head' of 'Head of
    Procurement'), the words of a French one before its complement ('conducteur', 'cariste'), the
    composed French roles in both genders ('directeur', 'directrice')."""
    nouns = set()
    for locale in ("en_US", "fr_FR"):
        for job in importlib.import_module(f"faker.providers.job.{locale}").Provider.jobs:
            words = _JOB_COMPLEMENT.split(job.casefold(), maxsplit=1)[0].split()
            nouns.update(words[-1:] if locale == "en_US" else words)
    lists = _job_lists()
    nouns.update(row[0].casefold().split()[-1] for part in ("type", "role") for row in lists[f"en {part}"])
    nouns.update(role.casefold().split()[0] for row in lists["fr role"] for role in row)
    return frozenset(nouns | {"head"})  # the one seniority that heads a title: "Head of Procurement"


def job_title(fill: Fill, index: int, variants: set[str]) -> str:
    rng = fill.rng
    words = job_words()
    if rng.random() >= COMPOSED_JOB_SHARE:
        title = rng.choice(_faker_jobs(fill.locale))
    elif fill.fr:
        title = french_job_title(rng, person_of(fill, index).gender == "f")
    elif rng.random() < 0.5:  # descriptor + area + type
        title = " ".join(rng.choice(words[f"en {part}"]) for part in ("descriptor", "area", "type"))
    else:  # seniority + field + role; the seniority is often left out
        seniority = rng.choice(words["en seniority"]) + " " if rng.random() < 0.6 else ""
        title = seniority + rng.choice(words["en field"]) + " " + rng.choice(words["en role"])
        if seniority == "Head ":
            title = f"Head of {title.split(' ', 1)[1].rsplit(' ', 1)[0]}"
    if not variants & {"upper", "lower"} and rng.random() < LOWER_JOB_SHARE:
        title = title[0].lower() + title[1:] if fill.fr else " ".join(
            w if w.isupper() and len(w) > 1 else w.lower() for w in title.split())  # "HR", "UX", "IT" keep their capitals
    return cased(title, variants)


def french_job_title(rng: random.Random, feminine: bool) -> str:
    """'Responsable marketing', 'Chargée de clientèle', 'Directeur des opérations', 'Ingénieure qualité senior'."""
    lists = _job_lists()
    role = rng.choice(lists["fr role"])[feminine]
    domains = column(lists["fr domain"])
    if role.startswith("Chargé"):  # "chargé de" + a noun: "Chargée de clientèle", "Chargé de communication"
        domain = rng.choice([d for d in domains if d.startswith(("de ", "d'", "des ", "du "))]
                            + ["de communication", "de marketing", "de recrutement", "de formation"])
    else:
        domain = rng.choice(domains)
    if feminine:  # the adjective agrees: "Directrice commerciale", "Responsable financière"
        domain = {"commercial": "commerciale", "financier": "financière"}.get(domain, domain)
    title = f"{role} {domain}"
    if rng.random() < 0.2:
        title += " " + rng.choice(lists["fr level"])[feminine]
    return title


def company_of(fill: Fill, index: int) -> Company:
    """Company `index` of the text, made on first use."""
    if index not in fill.companies:
        fill.companies[index] = new_company(fill)
    return fill.companies[index]
