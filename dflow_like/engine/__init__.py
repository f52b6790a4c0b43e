"""Engines decide when and where the step runner runs (local, Argo)."""
