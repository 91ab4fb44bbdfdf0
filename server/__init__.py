"""The MCP server: construction, transports and the `movie-mcp` command."""
