"""PyTorch ports of the archive's models, one module per model, named as in tf1_reference/."""
