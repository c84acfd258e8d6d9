"""Sample quality of the MNIST models in numbers: a small classifier and three figures.

quality/classifier.py trains (once, then caches) a small convolutional MNIST classifier in
PyTorch; quality/metrics.py turns its outputs on 10,000 images into the classifier-based
Inception Score, the Frechet distance of its penultimate features to the real test set, and
the number of digit classes that receive at least 5% of the images. No TensorFlow here.
"""
