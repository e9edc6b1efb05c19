"""Privacy: the user's switches, data export, unsubscribes, purge and retention of records."""
