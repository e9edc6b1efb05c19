"""Domain services: the rules of Konexi, as plain functions that know nothing of HTTP."""
