"""Providers: companies, branches, team and invitations, the console's vouchers and statistics."""
