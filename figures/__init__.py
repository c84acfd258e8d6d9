"""What a run draws. Functions take arrays and return a matplotlib Figure; the caller saves it.

Figures are made with `matplotlib.figure.Figure` directly (no pyplot), so nothing needs a
display and nothing is left open between epochs.
"""
