"""The state of one text being written: its locale, random stream, people, addresses and companies.

Values are kept by entity number, so a template that names person 2 twice names the same person
(`people.person_of`, `places.address_of`, `work.company_of` make them on first use).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faker import Faker

# Faker locales behind each language: English texts are American or British, one per text.
LOCALES: dict[str, tuple[str, ...]] = {"en": ("en_US", "en_GB"), "fr": ("fr_FR",)}

Segment = tuple[str, "str | None"]  # (text, label or None for unlabelled text)


@dataclass
class Fill:
    """Everything one text needs; values are cached so a repeated placeholder repeats its value."""

    lang: str
    locale: str
    fake: Faker
    rng: random.Random  # format choices, fillers, alternatives
    today: date
    cache: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    addresses: dict = field(default_factory=dict)
    companies: dict = field(default_factory=dict)
    moments: dict = field(default_factory=dict)
    dates: dict = field(default_factory=dict)
    times: dict = field(default_factory=dict)
    children: frozenset = frozenset()  # person numbers the template describes as children

    @property
    def us(self) -> bool:
        return self.locale == "en_US"

    @property
    def gb(self) -> bool:
        return self.locale == "en_GB"

    @property
    def fr(self) -> bool:
        return self.locale == "fr_FR"

    def moment(self, index: int) -> datetime:
        """Timestamps of one text (log lines) follow each other by seconds to minutes."""
        if index not in self.moments:
            if index <= 1:
                start = datetime(self.today.year, self.today.month, self.today.day)
                self.moments[index] = start + timedelta(seconds=self.rng.randrange(0, 86400 - 7200))
            else:
                self.moments[index] = self.moment(index - 1) + timedelta(seconds=self.rng.randint(1, 900))
        return self.moments[index]
