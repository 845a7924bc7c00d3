"""Analyses over a compiled fleet.

Graph, engine and oracle, timelines, contingency, tier, headroom.
"""
