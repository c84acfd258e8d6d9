"""Checkpoints between each TF1 reference and its PyTorch port, and any TF1 checkpoint listed.

convert/checkpoint.py says how; `python -m convert --help` lists the commands.
"""
