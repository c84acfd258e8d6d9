"""Pages the archive writes from its own code and measurements: the deviation list (docs/)."""
