"""The data layer: the database schema, connections, the store (every query), importers and the build."""
