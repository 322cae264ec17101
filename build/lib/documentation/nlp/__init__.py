"""Note understanding: free-text pain-practice notes to ClinicalFacts.

Pure: no ORM, no Django. ``extract.extract_facts`` is the entry point; ``pipeline.get_pipeline``
builds the medspaCy pipeline from the rule files in ``rules/``.
"""
