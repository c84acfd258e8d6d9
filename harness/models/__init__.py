"""The registry's rows, one module per model: each defines MODEL, a harness.registry.Model."""
