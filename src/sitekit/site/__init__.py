"""Site files: their schema, strict loading and typed model."""
