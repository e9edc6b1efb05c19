"""The catalogue: live vouchers, categories, the feed, nearby places and suggestions."""
