"""Outputs: report assembly, JSON / Markdown / HTML, tables, diagrams, Mermaid, files."""
