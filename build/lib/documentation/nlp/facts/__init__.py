"""Fact families: each module reads a ReadNote and fills its part of a ClinicalFacts document."""
