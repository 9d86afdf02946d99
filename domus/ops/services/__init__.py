"""Writes of the ops app: background jobs, imports, database maintenance, reindexing."""
