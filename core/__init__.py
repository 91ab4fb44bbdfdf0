"""Domain logic of movie-mcp: data, models and engines. Never imports `mcp`."""
