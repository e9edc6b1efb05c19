"""Reviews: leaving one, the provider's reply, reports, moderation and its notices."""
