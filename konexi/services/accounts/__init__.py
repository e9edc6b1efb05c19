"""Accounts: sign-up, log-in, passwords, contacts (email, phone) and their proof, profiles."""
