"""Answerers: extractive (default, no LLM) and llm (optional), both producing offset-backed citations."""

from .types import Answer, Citation

__all__ = ["Answer", "Citation"]
