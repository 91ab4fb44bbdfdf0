"""MCP prompts for the common workflows, and argument completion for movie titles, genres and user ids.

A prompt is a message a user picks from the client's menu ("/recommend_from_liked" in Claude Code); it
tells the model which tools to call with which arguments. Titles are resolved to MovieLens ids here, so
the model starts from the right movies and the user sees at once when a title matches nothing.
"""

from __future__ import annotations

from prompts import compare, explain_taste, recommend_from_liked
from prompts._common import PromptSpec
from prompts.completion import completion_handler

ALL_PROMPTS: tuple[PromptSpec, ...] = (recommend_from_liked.PROMPT, explain_taste.PROMPT, compare.PROMPT)

__all__ = ["ALL_PROMPTS", "PromptSpec", "completion_handler"]
