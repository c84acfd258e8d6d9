"""What each model is apart from any framework: one module per model, named as its reference.

`models/<model>.py` holds the model's frozen `HParams` (the original's defaults, each field's
trailing comment naming its source: the command's flag and its help come from it,
harness/command.py), which `tf1_reference/<model>.py` and `ports/<model>.py` both import, so the
two cannot drift; and what else both frameworks' loops share without either framework (the ring
GAN's display). Importing one imports neither TensorFlow nor PyTorch.
"""
