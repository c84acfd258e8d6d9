"""What the models are fed: toy distributions and the MNIST reader."""
