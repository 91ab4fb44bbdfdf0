"""The LLM engine: one OpenAI-compatible client with structured output, retries, a cache and a
concurrency bound. Callers fall back to the offline engine when it is absent or fails."""
