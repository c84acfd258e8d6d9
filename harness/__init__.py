"""What every training command shares: its command line, its run folder and its errors."""
