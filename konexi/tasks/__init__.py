"""Background work: the RQ queues, the recurring schedule, and the admin's view of the jobs."""
