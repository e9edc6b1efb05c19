"""Sharing a voucher with a friend, and the anti-phishing check of free text."""
