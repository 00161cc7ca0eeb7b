"""The analysts' web explorer over the archive (``policywatch serve``)."""
