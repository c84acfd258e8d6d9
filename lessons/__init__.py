"""Runnable lessons on TF1 variable scopes, one percent-format file per lesson (see render.py)."""
