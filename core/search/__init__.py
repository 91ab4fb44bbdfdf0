"""Search and understanding: the filter model, plain-words query parsing, the embedder and vector search."""
