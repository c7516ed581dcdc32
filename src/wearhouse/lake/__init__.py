"""Delta Lake tables of every layer: paths, the append-only bronze writer, publishing."""
