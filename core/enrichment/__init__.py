"""Enrichment: the offline labelling rules, how labels are read and written, and the enrich service."""
