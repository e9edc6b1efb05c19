"""Claims: claiming a voucher, redemption codes, redeeming at a branch, per-voucher counts."""
