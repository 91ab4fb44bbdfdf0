"""Language engines: the offline one and an OpenAI-compatible LLM behind one protocol (`engine.py`),
the wire client with structured output, retries, a cache and a concurrency bound (`client.py`), and the
tasks both answer (`tasks.py`)."""
