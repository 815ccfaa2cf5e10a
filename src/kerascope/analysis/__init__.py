"""Analyses that read ModelReports: `diff` compares two, `check` finds what will
not survive saving and loading, and what is unsafe to load. Reports in, findings
(or a diff) out; nothing here opens a file or resolves a target."""
