"""The services the tools call: one module per tool back-end (plus `info` for `movie-mcp info` and
`catalogue_stats` for the resources and prompt completions)."""
