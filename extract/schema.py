"""The project's vocabulary: the entity labels a head learns and the splits a corpus is cut into.

Plain constants, no imports: label maps, the synthetic corpus, prepare and the CLI read them
without loading Faker, torch or a single template.
"""

from __future__ import annotations

# The entity types the project labels, with AI4Privacy's names. Personal data the way court
# pseudonymisation sees it: persons, addresses and places, identifiers and contacts, dates.
LABELS: tuple[str, ...] = (
    "PREFIX", "FIRSTNAME", "MIDDLENAME", "LASTNAME", "EMAIL", "PHONENUMBER", "USERNAME", "PASSWORD",
    "URL", "IPV4", "IPV6", "STREET", "BUILDINGNUMBER", "SECONDARYADDRESS", "CITY", "STATE", "ZIPCODE",
    "DATE", "TIME", "AGE", "COMPANYNAME", "JOBTITLE", "IBAN", "BIC", "CREDITCARDNUMBER", "ACCOUNTNUMBER",
    "SSN", "AMOUNT",
)

# The splits `prepare` writes, in this order: train fits the head, val chooses (epochs, trial,
# threshold, O bias), test is only reported.
SPLITS: tuple[str, ...] = ("train", "val", "test")
