"""Check types, grouped by product. Each module registers nothing itself:
``gate.registry`` names them, and they are imported only when needed."""
