"""The head as a Presidio recognizer: `PiiTaggerRecognizer` plugs into presidio-analyzer's
AnalyzerEngine, for English and French, with our labels mapped onto Presidio's entity names.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from extract.errors import PiiTaggerError
from head.tagger import Tagger

try:
    from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
except ImportError as err:  # an optional extra
    raise PiiTaggerError("the Presidio recognizer needs presidio-analyzer: pip install 'llm-pii-tagger[presidio]'") \
        from err

ENTITIES = {label: name for label, name in
            json.loads(resources.files("tools").joinpath("presidio_entities.json").read_text("utf-8")).items()
            if not label.startswith("_")}


def presidio_entity(label: str) -> str:
    """Presidio's name for one of our labels (PERSON, EMAIL_ADDRESS, ...); unmapped labels keep theirs."""
    return ENTITIES.get(label, label)


class PiiTaggerRecognizer(EntityRecognizer):
    """A presidio-analyzer `EntityRecognizer` over a loaded `Tagger` (head + frozen backbone).

    One instance serves one language, as Presidio asks; `for_language` makes another over the same
    loaded model. Adjacent spans of one entity (a first and a last name) come back as one result.
    """

    def __init__(self, tagger: Tagger, supported_language: str = "en", min_score: float | None = None):
        self.tagger = tagger
        self.min_score = min_score  # None: the head's threshold, chosen on val
        entities = sorted({presidio_entity(label) for label in tagger.loaded.scheme.entity_types})
        super().__init__(supported_entities=entities, name="PiiTaggerRecognizer",
                         supported_language=supported_language, version="0.1.0")

    @classmethod
    def from_pretrained(cls, head_dir: Path | str, supported_language: str = "en", **tagger_options
                        ) -> "PiiTaggerRecognizer":
        """Load the head and its backbone once (`Tagger.from_pretrained` options pass through)."""
        return cls(Tagger.from_pretrained(head_dir, **tagger_options), supported_language)

    def for_language(self, language: str) -> "PiiTaggerRecognizer":
        return type(self)(self.tagger, language, self.min_score)

    def load(self) -> None:  # Presidio's hook; the model is loaded in from_pretrained
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        wanted = set(entities or self.supported_entities)
        spans = self.tagger.tag([text], min_score=self.min_score)[0].spans
        results: list[RecognizerResult] = []
        for span in spans:
            entity = presidio_entity(span.label)
            if entity not in wanted:
                continue
            previous = results[-1] if results else None
            if previous is not None and previous.entity_type == entity and not text[previous.end:span.start].strip():
                previous.end, previous.score = span.end, min(previous.score, span.score)  # "Mary" + "Jones"
                continue
            explanation = AnalysisExplanation(recognizer=self.name, original_score=span.score,
                                              textual_explanation=f"llm-pii-tagger head: {span.label}")
            results.append(RecognizerResult(entity, span.start, span.end, span.score, analysis_explanation=explanation,
                                            recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                                                  "label": span.label}))
        return results
