"""Checkpoint conversion between each TF1 reference and its PyTorch port (convert/checkpoint.py)."""
