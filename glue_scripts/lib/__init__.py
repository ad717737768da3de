"""Shared helpers of the Glue scripts (shipped to Glue as a zip in `--extra-py-files`)."""
