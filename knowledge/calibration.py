"""The Decider's calibrated rule: a logistic regression over the evidence's features (coverage,
the share of unknown and bridged words, the heading's coverage, score margins, the meaning
channel's similarity), fitted on the tune halves of the question sets by ``tools/fit_decider.py``
and shipped as JSON (never pickle). One model for answers with the meaning channel, one for
lexical-only installs; each with the threshold its probability must reach."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("data") / "decider.json"
LEXICAL, MEANING = "lexical", "meaning"


class CalibrationError(ValueError):
    """A calibration file that cannot be used."""


@dataclass(frozen=True)
class Model:
    """A fitted logistic regression: ``coef[i]`` weighs ``features[i]``."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, values: Mapping[str, float]) -> float:
        """How likely an answer with these feature ``values`` is right (a missing feature counts 0)."""
        pairs = zip(self.features, self.coef, strict=True)
        z = self.intercept + sum(c * float(values.get(name, 0.0)) for name, c in pairs)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class Calibration:
    """The two models, by channel set (:data:`LEXICAL`, :data:`MEANING`)."""

    models: Mapping[str, Model]

    def model(self, meaning: bool) -> Model | None:
        """The model for answers made with (``meaning``) or without the meaning channel."""
        return self.models.get(MEANING if meaning else LEXICAL)

    @classmethod
    def load(cls, path: Path | str = DEFAULT_PATH) -> Calibration:
        """Read a calibration file; :class:`CalibrationError` when it is not one."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            models = {name: _model(raw) for name, raw in data["models"].items()}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CalibrationError(f"{path}: not a usable calibration ({exc})") from None
        return cls(models)

    def save(self, path: Path | str, notes: Sequence[str] = ()) -> None:
        """Write the calibration as JSON, with ``notes`` on how it was fitted."""
        models = {name: model.to_json() for name, model in self.models.items()}
        data = {"version": 1, "notes": list(notes), "models": models}
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _model(raw: Mapping[str, object]) -> Model:
    features = tuple(str(name) for name in raw["features"])  # type: ignore[union-attr]
    coef = tuple(float(c) for c in raw["coef"])  # type: ignore[union-attr]
    if len(features) != len(coef):
        raise ValueError("as many coefficients as features are needed")
    return Model(features, coef, float(raw["intercept"]), float(raw["threshold"]))  # type: ignore[arg-type]
