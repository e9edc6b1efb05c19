"""HTTP plumbing shared by every blueprint: sessions, security headers, caching, compression,
request log, error pages, htmx helpers, forms. Services never import from here."""
