"""A seventh model that lives outside the archive: tests/test_seventh_model.py registers it.

A toy GAN on 1-D Gaussian data with one dense layer in each network: its TF1 reference
(reference.py), its PyTorch port (port.py) and its cross-check case (case.py), in the shape
of the archive's six, so that the test can show every tool taking it from its registry row.
"""
