"""Realistic multi-force synthetic records with known ground truth (``spr generate``)."""

from synthetic.calibration import REFERENCE_DATE, SCALES
from synthetic.generator import GenerateSummary, generate

__all__ = ["REFERENCE_DATE", "SCALES", "GenerateSummary", "generate"]
